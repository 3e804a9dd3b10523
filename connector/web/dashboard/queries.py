"""Read models the dashboard needs beyond `connector.store.views`: the overview's counts,
orders with what serves each line, and the exceptions queue a page at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select

from tandem.connector import outbox
from tandem.connector.domain import OPEN_PO_STATUSES, POStatus
from tandem.connector.planning import LineStatus
from tandem.connector.store import schema as t
from tandem.connector.store.keys import chunks
from tandem.connector.store.views import list_exceptions, po_ref

PER_PAGE = 50
WAITING_FOR_GOODS = sorted({s.value for s in OPEN_PO_STATUSES} | {POStatus.DRAFT.value})


def counts(conn: Connection, query: Any) -> dict[str, int]:
    """`SELECT key, count(*) ... GROUP BY key` as a dict, for text keys (status, kind, supplier
    id); numeric ids use `counts_by_id`."""
    return {str(key): int(count) for key, count in conn.execute(query).all()}


def counts_by_id(conn: Connection, query: Any) -> dict[int, int]:
    """`SELECT id, count(*) ... GROUP BY id` as a dict keyed by the integer id."""
    return {int(key): int(count) for key, count in conn.execute(query).all()}


def overview(conn: Connection, now: datetime) -> dict[str, Any]:
    po, e, ol, o, a, pl = (
        t.purchase_orders,
        t.exceptions,
        t.order_lines,
        t.orders,
        t.allocations,
        t.po_lines,
    )
    po_counts = counts(conn, select(po.c.status, func.count()).group_by(po.c.status))
    by_kind = counts(
        conn, select(e.c.kind, func.count()).where(e.c.status == "open").group_by(e.c.kind)
    )
    # Waiting: a line not yet covered, or covered by a PO whose goods have not all arrived.
    uncovered = select(ol.c.order_id).where(
        ol.c.removed.is_(False), ol.c.status.in_(["new", "short"])
    )
    in_transit = (
        select(ol.c.order_id)
        .join(a, a.c.order_line_id == ol.c.id)
        .join(pl, pl.c.id == a.c.po_line_id)
        .join(po, po.c.id == pl.c.po_id)
        .where(po.c.status.in_(WAITING_FOR_GOODS), a.c.received < a.c.quantity)
    )
    waiting = conn.execute(
        select(func.count()).where(
            o.c.cancelled_at.is_(None), or_(o.c.id.in_(uncovered), o.c.id.in_(in_transit))
        )
    ).scalar_one()
    return {
        "orders": conn.execute(select(func.count()).select_from(o)).scalar_one(),
        "orders_waiting": waiting,
        "po_counts": po_counts,
        "exceptions": sum(by_kind.values()),
        "exceptions_by_kind": dict(sorted(by_kind.items())),
        "outbox": outbox.depth(conn, now),
    }


def list_orders(
    conn: Connection,
    search: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
    *,
    shop: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Orders, newest first, whose name contains `search` (of `shop`, if named); and how many
    match in all."""
    o = t.orders
    where = [] if shop is None else [o.c.shop == shop]
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(or_(o.c.name.ilike(pattern, escape="\\"), o.c.external_id == search))
    total = conn.execute(select(func.count()).select_from(o).where(*where)).scalar_one()
    rows = conn.execute(
        select(o)
        .where(*where)
        .order_by(o.c.created_at.desc(), o.c.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    lines = order_lines(conn, [r.id for r in rows])
    return [_order(r, lines.get(r.id, [])) for r in rows], int(total)


def _order(row: Any, lines: list[dict[str, Any]]) -> dict[str, Any]:
    customer = row.customer or {}
    return {
        "id": row.id,
        "name": row.name,
        "shop": row.shop,
        "external_id": row.external_id,
        "created_at": row.created_at,
        "financial_status": row.financial_status,
        "cancelled_at": row.cancelled_at,
        "customer": customer.get("name") or customer.get("email") or "",
        "lines": lines,
    }


def order_lines(conn: Connection, order_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Each order's lines with the allocations serving them, their POs and tracking. A line's
    status reads as the goods move: see `line_status`."""
    ol, a, pl, po, e = (
        t.order_lines,
        t.allocations,
        t.po_lines,
        t.purchase_orders,
        t.exceptions,
    )
    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    by_line: dict[int, dict[str, Any]] = {}
    for part in chunks(sorted(order_ids)):
        for r in conn.execute(
            select(ol).where(ol.c.order_id.in_(part)).order_by(ol.c.order_id, ol.c.position)
        ):
            line = {
                "id": r.id,
                "sku": r.sku,
                "title": r.title,
                "quantity": r.quantity,
                "removed": r.removed,
                "mode": r.mode,
                "status": r.status,
                "needed": r.needed,
                "supplier_override": r.supplier_override,
                "allocations": [],
                "exceptions": [],
            }
            result[r.order_id].append(line)
            by_line[r.id] = line
    line_ids = sorted(by_line)
    po_line_ids: list[int] = []
    for part in chunks(line_ids):
        for r in conn.execute(
            select(
                a.c.order_line_id,
                a.c.quantity,
                a.c.received,
                a.c.po_line_id,
                pl.c.po_id,
                pl.c.quantity.label("po_line_quantity"),
                po.c.number,
                po.c.supplier_id,
                po.c.status,
            )
            .select_from(
                a.outerjoin(pl, pl.c.id == a.c.po_line_id).outerjoin(po, po.c.id == pl.c.po_id)
            )
            .where(a.c.order_line_id.in_(part))
            .order_by(a.c.id)
        ):
            by_line[r.order_line_id]["allocations"].append(
                {
                    "quantity": r.quantity,
                    "received": r.received,
                    "po": po_ref(r.number, r.po_id) if r.po_id else None,
                    "supplier": r.supplier_id,
                    "po_status": r.status,
                    "po_line_id": r.po_line_id,
                    "po_line_quantity": r.po_line_quantity,
                    "tracking": [],
                    "shipped": False,
                }
            )
            if r.po_line_id is not None:
                po_line_ids.append(r.po_line_id)
        for r in conn.execute(
            select(e.c.id, e.c.order_line_id, e.c.kind, e.c.message)
            .where(e.c.status == "open", e.c.order_line_id.in_(part))
            .order_by(e.c.id)
        ):
            by_line[r.order_line_id]["exceptions"].append(dict(r._mapping))
    tracking, shipped = shipments_by_po_line(conn, po_line_ids)
    for line in by_line.values():
        for allocation in line["allocations"]:
            po_line_id = allocation["po_line_id"]
            allocation["tracking"] = tracking.get(po_line_id, [])
            if po_line_id is not None:  # shipped in full, in supplier units like PO lines
                allocation["shipped"] = shipped.get(po_line_id, 0) >= allocation["po_line_quantity"]
        line["status"] = line_status(line)
    return result


def line_status(line: dict[str, Any]) -> str:
    """What a line's status reads: the planner's ("allocated", "short", ...), moved on once the
    goods on its POs move. "shipped": every PO unit it waits for left the supplier with
    tracking (to the customer, or to the warehouse); "received": every one arrived at the
    warehouse. Units linked to warehouse stock are there already."""
    status = str(line["status"])
    supplied = [a for a in line["allocations"] if a["po_line_id"] is not None]
    if status != LineStatus.ALLOCATED or line["removed"] or not supplied:
        return status
    if all(a["received"] >= a["quantity"] for a in supplied):
        return "received"
    if all(a["received"] >= a["quantity"] or a["shipped"] for a in supplied):
        return "shipped"
    return status


def shipments_by_po_line(
    conn: Connection, po_line_ids: Sequence[int]
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, int]]:
    """The shipments that carried each PO line, oldest first (tracking numbers, carrier and
    when it shipped), and the supplier units of each line they carried in all."""
    sh, pl = t.shipments, t.po_lines
    wanted = set(po_line_ids)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    units: dict[int, int] = defaultdict(int)
    for part in chunks(sorted(wanted)):
        po_ids = select(pl.c.po_id).where(pl.c.id.in_(part))
        for r in conn.execute(select(sh).where(sh.c.po_id.in_(po_ids)).order_by(sh.c.id)):
            shipment = {
                "id": r.id,
                "numbers": list(r.tracking_numbers),
                "carrier": r.carrier,
                "shipped_at": r.shipped_at,
            }
            for shipped in r.lines or []:
                line_id = shipped.get("po_line_id")
                if line_id not in wanted:
                    continue
                units[line_id] += int(shipped.get("quantity") or 0)
                if shipment not in found[line_id]:
                    found[line_id].append(shipment)
    return found, units


def order_detail(conn: Connection, order_id: int) -> dict[str, Any] | None:
    o, ev, a, pl, po = t.orders, t.events, t.allocations, t.po_lines, t.purchase_orders
    row = conn.execute(select(o).where(o.c.id == order_id)).first()
    if row is None:
        return None
    data = _order(row, order_lines(conn, [order_id]).get(order_id, []))
    customer = row.customer or {}
    data.update(
        tags=row.tags or [],
        email=customer.get("email"),
        customer_tags=customer.get("tags") or [],
        address=row.shipping_address or {},
        currency=row.currency,
    )
    served_by = (
        select(pl.c.po_id)
        .join(a, a.c.po_line_id == pl.c.id)
        .join(t.order_lines, t.order_lines.c.id == a.c.order_line_id)
        .where(t.order_lines.c.order_id == order_id)
    )
    data["events"] = [
        {
            "at": r.at,
            "kind": r.kind,
            "message": r.message,
            "po": po_ref(r.number, r.po_id) if r.po_id else None,
        }
        for r in conn.execute(
            select(ev.c.at, ev.c.kind, ev.c.message, ev.c.po_id, po.c.number)
            .select_from(ev.outerjoin(po, po.c.id == ev.c.po_id))
            .where(or_(ev.c.order_id == order_id, ev.c.po_id.in_(served_by)))
            .order_by(ev.c.at, ev.c.id)
        )
    ]
    data["exceptions"] = exceptions_queue(conn, status=None, order_id=order_id)
    return data


def exceptions_queue(
    conn: Connection,
    *,
    status: str | None = "open",
    order_id: int | None = None,
    po_id: int | None = None,
    exception_id: int | None = None,
    page: int | None = None,
) -> list[dict[str, Any]]:
    """The exceptions queue as pages show it: newest first; all of them, or one `page` of
    `PER_PAGE`."""
    return list_exceptions(
        conn,
        status=status,
        order_id=order_id,
        po_id=po_id,
        exception_id=exception_id,
        newest_first=True,
        limit=None if page is None else PER_PAGE,
        offset=0 if page is None else (max(page, 1) - 1) * PER_PAGE,
    )


def count_exceptions(conn: Connection, status: str | None = "open") -> int:
    query = select(func.count()).select_from(t.exceptions)
    if status is not None:
        query = query.where(t.exceptions.c.status == status)
    return int(conn.execute(query).scalar_one())
