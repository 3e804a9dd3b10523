"""Backfill: plan orders from before this database served the shop, deliberately.

A first poll looks back at nothing (`store.first_poll_lookback` unset), so older orders come in
only through here: the store adapter reads the orders updated since a date, this stores them
and plans, with the same fences as every plan (an order the store says was handled elsewhere
is an exception, not a PO). With `dry_run` it shows what it would order, per supplier, and
keeps nothing: the orders, the plan and the PO lines are rolled back together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import Order
from tandem.connector.services.ingest import IngestReport, ingest_orders
from tandem.connector.services.plan import PlanSummary, plan_lines
from tandem.connector.services.release import release_due
from tandem.connector.services.suppliers import sync_suppliers
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import NewException, raise_exceptions
from tandem.connector.store.keys import chunks


@dataclass
class OrderedLine:
    """What the backfill put (or would put) on one draft PO line: store units of one SKU."""

    supplier_id: str
    mode: str
    sku: str
    supplier_sku: str
    units: int
    orders: list[str] = field(default_factory=list)


@dataclass
class Held:
    """An open exception on a backfilled order: why a line of it is not ordered."""

    kind: str
    order: str
    sku: str | None
    message: str


@dataclass
class BackfillReport:
    dry_run: bool
    orders: int = 0
    ingest: IngestReport = field(default_factory=IngestReport)
    plan: PlanSummary = field(default_factory=PlanSummary)
    ordered: list[OrderedLine] = field(default_factory=list)
    exceptions: list[Held] = field(default_factory=list)


def backfill(
    db: Database,
    config: TandemConfig,
    shop: str,
    orders: Sequence[Order],
    now: datetime,
    *,
    unreadable: Sequence[NewException] = (),
    dry_run: bool = False,
) -> BackfillReport:
    """Store `orders` (as the store reports them now), plan, and release what is due; with
    `dry_run`, report the same and keep nothing."""
    report = BackfillReport(dry_run=dry_run, orders=len(orders))
    with db.write(rollback=dry_run) as conn:
        db.lock(conn, "planner")
        statuses = config.store.planned_financial_statuses
        report.ingest = ingest_orders(conn, shop, orders, statuses, now)
        raise_exceptions(conn, unreadable, now)
        sync_suppliers(conn, config, now)
        before = conn.execute(select(func.max(t.allocations.c.id))).scalar() or 0
        report.plan = plan_lines(conn, config, now)
        order_ids = _order_ids(conn, shop, [o.id for o in orders])
        report.ordered = _ordered(conn, order_ids, before)
        report.exceptions = _exceptions(conn, order_ids)
        if not dry_run:
            report.plan.released = [r.number for r in release_due(conn, config, now)]
    return report


def _order_ids(conn: Connection, shop: str, external_ids: Sequence[str]) -> list[int]:
    o = t.orders
    found: list[int] = []
    for part in chunks(list(external_ids)):
        found.extend(
            conn.execute(
                select(o.c.id).where(o.c.shop == shop, o.c.external_id.in_(part))
            ).scalars()
        )
    return found


def _ordered(conn: Connection, order_ids: Sequence[int], after: int) -> list[OrderedLine]:
    """Units this run put on PO lines for these orders, per supplier and SKU."""
    a, pl, po, ol, o = (
        t.allocations,
        t.po_lines,
        t.purchase_orders,
        t.order_lines,
        t.orders,
    )
    lines: dict[tuple[str, str, str, str], OrderedLine] = {}
    names: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for part in chunks(list(order_ids)):
        rows = conn.execute(
            select(po.c.supplier_id, po.c.mode, pl.c.sku, pl.c.supplier_sku, a.c.quantity, o.c.name)
            .join(pl, pl.c.id == a.c.po_line_id)
            .join(po, po.c.id == pl.c.po_id)
            .join(ol, ol.c.id == a.c.order_line_id)
            .join(o, o.c.id == ol.c.order_id)
            .where(a.c.id > after, ol.c.order_id.in_(part), a.c.quantity > 0)
        )
        for r in rows:
            key = (r.supplier_id, r.mode, r.sku, r.supplier_sku)
            line = lines.setdefault(key, OrderedLine(*key, units=0))
            line.units += r.quantity
            names[key].add(r.name)
    for key, line in lines.items():
        line.orders = sorted(names[key])
    return [lines[k] for k in sorted(lines)]


def _exceptions(conn: Connection, order_ids: Sequence[int]) -> list[Held]:
    e, ol, o = t.exceptions, t.order_lines, t.orders
    found: list[Any] = []
    for part in chunks(list(order_ids)):
        found.extend(
            conn.execute(
                select(e.c.kind, o.c.name, ol.c.sku, e.c.message)
                .join(o, o.c.id == e.c.order_id)
                .join(ol, ol.c.id == e.c.order_line_id, isouter=True)
                .where(e.c.status == "open", e.c.order_id.in_(part))
                .order_by(o.c.created_at, e.c.id)
            )
        )
    return [Held(r.kind, r.name, r.sku, r.message) for r in found]
