"""Suppliers: the configuration is the source of truth; the table mirrors it for joins.

A supplier that becomes inactive loses its draft POs: their lines are planned again, so they
move to another supplier or show up as exceptions. A supplier whose catalogue arrives (or who
becomes active) has the lines left to the global default for want of an offer decided again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import PLANNING_EXCEPTIONS, Mode, POStatus, SupplierTerms
from tandem.connector.planning import LineStatus
from tandem.connector.store import schema as t


def supplier_terms(config: TandemConfig) -> dict[str, SupplierTerms]:
    return {
        s.id: SupplierTerms(
            id=s.id,
            active=s.active,
            default_mode=s.mode,
            modes=s.accepted_modes(),
            priority=s.priority,
            drop_ship_fee=s.drop_ship_fee,
            consolidate=s.consolidate,
            across_shops=s.consolidate_shops,
        )
        for s in config.suppliers
    }


def sync_suppliers(conn: Connection, config: TandemConfig, now: datetime) -> None:
    existing = {row.id: row for row in conn.execute(select(t.suppliers))}
    changed_activity: list[str] = []
    for s in config.suppliers:
        row = existing.get(s.id)
        values = {"name": s.name, "active": s.active, "mode": s.mode.value, "updated_at": now}
        if row is None:
            conn.execute(t.suppliers.insert().values(id=s.id, **values))
            changed_activity.append(s.id)
        elif (row.name, row.active, row.mode) != (s.name, s.active, s.mode.value):
            conn.execute(t.suppliers.update().where(t.suppliers.c.id == s.id).values(**values))
            if row.active != s.active:
                changed_activity.append(s.id)
    removed = set(existing) - {s.id for s in config.suppliers}
    for supplier_id in removed:
        if existing[supplier_id].active:
            conn.execute(
                t.suppliers.update()
                .where(t.suppliers.c.id == supplier_id)
                .values(active=False, updated_at=now)
            )
            changed_activity.append(supplier_id)
    if changed_activity:
        replan_for_suppliers(conn, changed_activity)


def replan_for_suppliers(conn: Connection, supplier_ids: list[str]) -> None:
    """Mark for planning every line a change to these suppliers may move: lines on their
    drafts, and lines waiting in a planning exception."""
    on_drafts = (
        select(t.allocations.c.order_line_id)
        .join(t.po_lines, t.po_lines.c.id == t.allocations.c.po_line_id)
        .join(t.purchase_orders, t.purchase_orders.c.id == t.po_lines.c.po_id)
        .where(
            t.purchase_orders.c.status == POStatus.DRAFT.value,
            t.purchase_orders.c.supplier_id.in_(supplier_ids),
        )
    )
    conn.execute(
        update(t.order_lines).where(t.order_lines.c.id.in_(on_drafts)).values(needs_planning=True)
    )
    replan_waiting(conn)
    replan_fallbacks(conn, supplier_ids)


def replan_fallbacks(conn: Connection, supplier_ids: list[str]) -> None:
    """Mark for planning the lines whose mode only the global default decided, for want of a
    catalogue listing their SKU, now that these suppliers list it; only lines that hold
    nothing (no PO line, no stock): a line already on a PO keeps its mode."""
    ol = t.order_lines
    listed = select(t.offers.c.sku).where(t.offers.c.supplier_id.in_(supplier_ids))
    holds = select(t.allocations.c.id).where(t.allocations.c.order_line_id == ol.c.id)
    conn.execute(
        update(ol)
        .where(
            ol.c.mode_fallback.is_(True),
            ol.c.mode == Mode.STOCK.value,
            ol.c.status == LineStatus.STOCK.value,  # not cancelled, not awaiting payment
            ol.c.needs_planning.is_(False),
            ol.c.sku.in_(listed),
            ~holds.exists(),
        )
        .values(needs_planning=True)
    )


def replan_waiting(conn: Connection, skus: list[str] | None = None) -> None:
    """Mark lines with an open planning exception (optionally only for `skus`) for planning:
    new catalogue rows, stock or supplier settings may serve them now."""
    waiting = select(t.exceptions.c.order_line_id).where(
        t.exceptions.c.status == "open",
        t.exceptions.c.kind.in_([k.value for k in PLANNING_EXCEPTIONS]),
        t.exceptions.c.order_line_id.is_not(None),
    )
    stmt = update(t.order_lines).where(t.order_lines.c.id.in_(waiting))
    if skus is not None:
        stmt = stmt.where(t.order_lines.c.sku.in_(skus))
    conn.execute(stmt.values(needs_planning=True))
