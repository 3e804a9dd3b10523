"""Read models for the PO and supplier pages: a filtered, paged PO list; what `show_po` leaves
out (shipments, the served orders' ids to link); each supplier's health at a glance."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, or_, select

from tandem.connector import outbox
from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import OPEN_PO_STATUSES, SEND_FAILURES, POStatus
from tandem.connector.store import schema as t
from tandem.connector.store.views import po_ref
from tandem.connector.web.dashboard.queries import PER_PAGE, counts, counts_by_id


def list_po_rows(
    conn: Connection,
    now: datetime,
    *,
    supplier: str | None = None,
    status: str | None = None,
    older_than_days: int | None = None,
    shop: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> tuple[list[dict[str, Any]], int]:
    """POs, newest first, with their totals and how many orders each serves. `shop`: the POs
    serving (or that served) an order of that shop."""
    po, o, pl, a, ol = t.purchase_orders, t.orders, t.po_lines, t.allocations, t.order_lines
    where = []
    if shop:
        held = (
            select(pl.c.po_id)
            .join(a, a.c.po_line_id == pl.c.id)
            .join(ol, ol.c.id == a.c.order_line_id)
            .join(o, o.c.id == ol.c.order_id)
            .where(o.c.shop == shop)
        )
        linked = (
            select(t.po_orders.c.po_id)
            .join(o, o.c.id == t.po_orders.c.order_id)
            .where(o.c.shop == shop)
        )
        where.append(or_(po.c.shop == shop, po.c.id.in_(held), po.c.id.in_(linked)))
    if supplier:
        where.append(po.c.supplier_id == supplier)
    if status:
        where.append(po.c.status == status)
    if older_than_days is not None:
        where.append(po.c.opened_at <= now - timedelta(days=older_than_days))
    total = conn.execute(select(func.count()).select_from(po).where(*where)).scalar_one()
    rows = conn.execute(
        select(po, t.suppliers.c.name.label("supplier_name"), o.c.name.label("order_name"))
        .select_from(
            po.join(t.suppliers, t.suppliers.c.id == po.c.supplier_id).outerjoin(
                o, o.c.id == po.c.order_id
            )
        )
        .where(*where)
        .order_by(po.c.opened_at.desc(), po.c.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    ids = [r.id for r in rows]
    totals: dict[int, Decimal] = defaultdict(Decimal)
    lines: dict[int, int] = defaultdict(int)
    for r in conn.execute(
        select(pl.c.po_id, pl.c.unit_cost, pl.c.quantity).where(pl.c.po_id.in_(ids))
    ):
        totals[r.po_id] += r.unit_cost * r.quantity
        lines[r.po_id] += 1
    orders = counts_by_id(
        conn,
        select(pl.c.po_id, func.count(func.distinct(ol.c.order_id)))
        .join(a, a.c.po_line_id == pl.c.id)
        .join(ol, ol.c.id == a.c.order_line_id)
        .where(pl.c.po_id.in_(ids))
        .group_by(pl.c.po_id),
    )
    return [
        {
            "ref": po_ref(r.number, r.id),
            "number": r.number,
            "supplier": r.supplier_id,
            "supplier_name": r.supplier_name,
            "mode": r.mode,
            "status": r.status,
            "revision": r.revision,
            "opened_at": r.opened_at,
            "released_at": r.released_at,
            "currency": r.currency,
            "order": r.order_name,
            "lines": lines.get(r.id, 0),
            "orders": orders.get(r.id, 0),
            "total": totals.get(r.id, Decimal(0)),
        }
        for r in rows
    ], int(total)


def po_extras(conn: Connection, po: dict[str, Any]) -> dict[str, Any]:
    """What the PO page shows beside `show_po`'s PO: its shipments, and Tandem's id of each order
    it serves (by name, for the links), taken from the lines `show_po` read."""
    sh = t.shipments
    shipments = [
        {
            "shipped_at": r.shipped_at,
            "tracking": r.tracking_numbers,
            "carrier": r.carrier,
            "urls": r.tracking_urls,
            "lines": r.lines,
        }
        for r in conn.execute(select(sh).where(sh.c.po_id == po["id"]).order_by(sh.c.id))
    ]
    order_ids = {
        str(served["order"]): int(served["order_db_id"])
        for line in po["lines"]
        for served in line["serves"]
    }
    return {"shipments": shipments, "order_ids": order_ids}


def supplier_summaries(
    conn: Connection, config: TandemConfig, now: datetime
) -> list[dict[str, Any]]:
    """Per configured supplier: catalogue, last import, open and draft POs, and what waits
    for a person (outbox items given up or held in doubt, open send exceptions)."""
    po, of, ci, ob, e = t.purchase_orders, t.offers, t.catalogue_imports, t.outbox, t.exceptions
    offers = counts(conn, select(of.c.supplier_id, func.count()).group_by(of.c.supplier_id))
    open_statuses = [s.value for s in OPEN_PO_STATUSES]
    open_pos = counts(
        conn,
        select(po.c.supplier_id, func.count())
        .where(po.c.status.in_(open_statuses))
        .group_by(po.c.supplier_id),
    )
    drafts = counts(
        conn,
        select(po.c.supplier_id, func.count())
        .where(po.c.status == POStatus.DRAFT.value)
        .group_by(po.c.supplier_id),
    )
    dead = counts(
        conn,
        select(ob.c.supplier_id, func.count())
        .where(ob.c.status == outbox.DEAD)
        .group_by(ob.c.supplier_id),
    )
    # Held in doubt: it may have reached the supplier; a person must say whether it did.
    held = counts(
        conn,
        select(ob.c.supplier_id, func.count())
        .where(ob.c.status == outbox.HELD)
        .group_by(ob.c.supplier_id),
    )
    failing = counts(
        conn,
        select(e.c.supplier_id, func.count())
        .where(e.c.status == "open", e.c.kind.in_(SEND_FAILURES))
        .group_by(e.c.supplier_id),
    )
    latest = select(func.max(ci.c.id)).group_by(ci.c.supplier_id)
    imports = {r.supplier_id: r for r in conn.execute(select(ci).where(ci.c.id.in_(latest)))}
    summaries = []
    for supplier in config.suppliers:
        last = imports.get(supplier.id)
        summaries.append(
            {
                "id": supplier.id,
                "name": supplier.name,
                "active": supplier.active,
                "mode": supplier.mode.value,
                "modes": sorted(m.value for m in supplier.accepted_modes()),
                "transport": supplier.transport.type,
                "offers": offers.get(supplier.id, 0),
                "last_import": None
                if last is None
                else {
                    "at": last.finished_at,
                    "age_days": (now - last.finished_at).days,
                    "imported": last.rows_imported,
                    "rejected": last.rows_rejected,
                    "total": last.rows_total,
                },
                "open_pos": open_pos.get(supplier.id, 0),
                "drafts": drafts.get(supplier.id, 0),
                "dead": dead.get(supplier.id, 0),
                "held": held.get(supplier.id, 0),
                "send_failures": failing.get(supplier.id, 0),
            }
        )
    return summaries
