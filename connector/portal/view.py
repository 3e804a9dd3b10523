"""The PO as its supplier sees it on the portal: what was sent (lines, ship-to, revision), what
changed since, what has shipped, what the supplier answered, and which answers it can give
now. Read in one transaction; no prices beyond what the PO message carried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from tandem.connector.channels import DocumentChange, Party
from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import POStatus
from tandem.connector.services.po_document import blind_ship, buyer, party
from tandem.connector.services.shipments import SHIPPABLE, shipped_so_far
from tandem.connector.services.supplier_answers import (
    ANSWERABLE,
    already_answered,
    answered,
)
from tandem.connector.store import schema as t

CONFIRMABLE_NOW = frozenset(
    {POStatus.RELEASED.value, POStatus.SENT.value, POStatus.ACKNOWLEDGED.value}
)


@dataclass(frozen=True)
class PortalLine:
    id: int
    sku: str
    supplier_sku: str
    name: str
    quantity: int
    shipped: int
    unit_cost: Decimal | None  # None: blind-shipped paperwork shows no prices
    expected_ship_date: date | None

    @property
    def open(self) -> int:
        return max(0, self.quantity - self.shipped)


@dataclass(frozen=True)
class Parcel:
    shipped_at: datetime
    tracking: list[str]
    carrier: str | None


@dataclass(frozen=True)
class PortalPO:
    id: int
    number: str
    supplier_id: str
    supplier_name: str
    status: str
    mode: str
    revision: int
    currency: str
    issued_at: datetime | None
    buyer: Party
    ship_to: Party
    lines: list[PortalLine]
    changes: list[DocumentChange]  # of the current revision, when it is a change
    parcels: list[Parcel]
    answers: list[tuple[datetime, str, str]]
    pending_revision: int | None  # a change or cancellation not yet acknowledged

    @property
    def can_confirm(self) -> bool:
        return self.status in CONFIRMABLE_NOW and any(line.quantity for line in self.lines)

    @property
    def can_refuse(self) -> bool:
        return (
            self.status in ANSWERABLE
            and self.status != POStatus.SHIPPED.value
            and any(line.open for line in self.lines)
        )

    @property
    def can_ship(self) -> bool:
        return self.status in SHIPPABLE and any(line.open for line in self.lines)

    @property
    def cancelled(self) -> bool:
        return self.status == POStatus.CANCELLED.value


def acknowledge_key(po_id: int, revision: int) -> str:
    """One acknowledgement per revision, however many times the button is pressed."""
    return f"portal:{po_id}:ack:{revision}"


def read_po(conn: Connection, config: TandemConfig, po_id: int) -> PortalPO:
    po, pl = t.purchase_orders, t.po_lines
    head = conn.execute(select(po).where(po.c.id == po_id)).one()
    supplier = config.supplier(head.supplier_id)
    blind = blind_ship(supplier, head.mode)
    shipped = shipped_so_far(conn, po_id)
    lines = [
        PortalLine(
            id=r.id,
            sku=r.sku,
            supplier_sku=r.supplier_sku,
            name=r.name,
            quantity=r.quantity,
            shipped=shipped.get(r.id, 0),
            unit_cost=None if blind else r.unit_cost,
            expected_ship_date=r.expected_ship_date,
        )
        for r in conn.execute(select(pl).where(pl.c.po_id == po_id).order_by(pl.c.id))
        if r.quantity > 0 or shipped.get(r.id)
    ]
    revision = head.revision or 1
    changes = [
        DocumentChange(c.kind, c.supplier_sku, c.name, c.old_quantity, c.new_quantity, c.reason)
        for c in conn.execute(
            select(t.po_changes, pl.c.name)
            .join(pl, pl.c.id == t.po_changes.c.po_line_id, isouter=True)
            .where(t.po_changes.c.po_id == po_id, t.po_changes.c.revision == revision)
            .order_by(t.po_changes.c.id)
        )
    ]
    pending = (
        revision
        if revision > 1 and already_answered(conn, acknowledge_key(po_id, revision)) is None
        else None
    )
    s = t.shipments
    parcels = [
        Parcel(r.shipped_at, list(r.tracking_numbers), r.carrier)
        for r in conn.execute(
            select(s.c.shipped_at, s.c.tracking_numbers, s.c.carrier)
            .where(s.c.po_id == po_id)
            .order_by(s.c.id)
        )
    ]
    me = buyer(config)
    return PortalPO(
        id=po_id,
        number=head.number,
        supplier_id=head.supplier_id,
        supplier_name=supplier.name if supplier else head.supplier_id,
        status=head.status,
        mode=head.mode,
        revision=revision,
        currency=head.currency,
        issued_at=head.released_at,
        buyer=me,
        ship_to=party(head.ship_to, me.name),
        lines=lines,
        changes=changes if revision > 1 else [],
        parcels=parcels,
        answers=list(answered(conn, po_id)),
        pending_revision=pending,
    )
