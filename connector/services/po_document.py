"""The document a supplier receives for a PO revision, read from the store.

Its lines and orders are the revision's content, fixed when the revision was made (the
outbox item's payload, see services.po_revisions); without one (status polling, an item
queued before revisions kept their content) they are read as the PO stands now. The
idempotency key is the outbox item's, the same on every attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from tandem.connector.channels import (
    DocumentChange,
    DocumentKind,
    DocumentLine,
    Party,
    PurchaseOrderDocument,
)
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.documents import CompanyConfig
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.domain import Mode
from tandem.connector.errors import NotFound
from tandem.connector.portal import portal_link
from tandem.connector.services.po_revisions import contents, unit_cost
from tandem.connector.store import schema as t


def party(data: dict[str, Any] | None, fallback_name: str) -> Party:
    data = data or {}
    name = data.get("name") or data.get("company") or fallback_name
    return Party(
        name=name,
        company=data.get("company") if data.get("company") != name else None,
        address1=data.get("address1"),
        address2=data.get("address2"),
        city=data.get("city"),
        province=data.get("province"),
        province_code=data.get("province_code"),
        zip=data.get("zip"),
        country=data.get("country"),
        country_code=data.get("country_code"),
        phone=data.get("phone"),
        email=data.get("email"),
    )


def company_party(company: CompanyConfig) -> Party:
    address = company.address
    return party(
        {
            **address.model_dump(),
            "name": company.name,
            "company": address.company or address.name,
            "email": company.email or address.email,
            "phone": company.phone or address.phone,
        },
        company.name,
    )


def buyer(config: TandemConfig) -> Party:
    """Who orders: the configured company, else the warehouse."""
    if config.company is not None:
        return company_party(config.company)
    warehouse = config.warehouse
    return party(warehouse.address.model_dump(), warehouse.name)


def requested_delivery(
    issued: datetime | None, lead_time: timedelta | None, timezone: str
) -> date | None:
    """The day the PO asks delivery by: its date, where the shop is, plus the lead time."""
    if issued is None or lead_time is None:
        return None
    if issued.tzinfo is None:  # stored as UTC
        issued = issued.replace(tzinfo=UTC)
    return (issued.astimezone(ZoneInfo(timezone)) + lead_time).date()


def blind_ship(supplier: SupplierConfig | None, mode: str) -> bool:
    """No prices on the paperwork: the supplier blind-ships, and this PO's parcel (with its
    paperwork) goes to the customer."""
    return bool(supplier and supplier.blind_ship and mode == Mode.DROP_SHIP.value)


def build_document(
    conn: Connection,
    config: TandemConfig,
    po_id: int,
    *,
    revision: int | None = None,
    idempotency_key: str = "",
    content: Mapping[str, Any] | None = None,
) -> PurchaseOrderDocument:
    po, pl = t.purchase_orders, t.po_lines
    head = conn.execute(select(po).where(po.c.id == po_id)).first()
    if head is None or head.number is None:
        raise NotFound(f"no released PO with id {po_id}")
    supplier = config.supplier(head.supplier_id)
    revision = revision or head.revision or 1
    changes = tuple(
        DocumentChange(
            kind=c.kind,
            supplier_sku=c.supplier_sku,
            name=c.name,
            old_quantity=c.old_quantity,
            new_quantity=c.new_quantity,
            reason=c.reason,
        )
        for c in conn.execute(
            select(t.po_changes, pl.c.name)
            .join(pl, pl.c.id == t.po_changes.c.po_line_id, isouter=True)
            .where(t.po_changes.c.po_id == po_id, t.po_changes.c.revision == revision)
            .order_by(t.po_changes.c.id)
        )
    )
    kind: DocumentKind = "order"
    if revision > 1:
        kind = "cancel" if any(c.kind == "cancel_po" for c in changes) else "change"
    if content is None:
        content = contents(conn, [po_id], cancelled=kind == "cancel")[po_id]
    lines = tuple(
        DocumentLine(
            sku=line["sku"],
            supplier_sku=line["supplier_sku"],
            name=line["name"],
            quantity=int(line["quantity"]),
            unit_cost=unit_cost(line),
            pack_size=int(line.get("pack_size") or 1),
        )
        for line in content["lines"]
    )
    orders = content["orders"]
    me = buyer(config)
    return PurchaseOrderDocument(
        kind=kind,
        number=head.number,
        revision=revision,
        supplier_id=head.supplier_id,
        supplier_name=supplier.name if supplier else head.supplier_id,
        mode=head.mode,
        currency=head.currency,
        buyer=me,
        ship_to=party(head.ship_to, me.name),
        lines=lines,
        changes=changes,
        issued_at=head.released_at,
        idempotency_key=idempotency_key,
        order_names=tuple(orders),
        blind_ship=blind_ship(supplier, head.mode),
        supplier_reference=head.supplier_reference,
        po_id=po_id,
        vat_number=config.company.vat_number if config.company else None,
        supplier_address=(
            party(supplier.address.model_dump(), supplier.name)
            if supplier and supplier.address
            else None
        ),
        account_number=supplier.account_number if supplier else None,
        payment_terms=supplier.payment_terms if supplier else None,
        requested_delivery=requested_delivery(
            head.released_at, supplier.delivery_lead_time if supplier else None, config.timezone
        ),
        portal_url=portal_link(config, po_id, head.supplier_id),
    )
