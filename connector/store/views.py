"""Read models: POs, exceptions and orders as people see them (CLI tables, JSON, dashboard)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from tandem.connector.errors import NotFound
from tandem.connector.store import schema as t
from tandem.connector.store.keys import chunks


def _po_query() -> Any:
    po, o = t.purchase_orders, t.orders
    return select(
        po.c.id,
        po.c.number,
        po.c.supplier_id,
        t.suppliers.c.name.label("supplier_name"),
        po.c.mode,
        po.c.status,
        po.c.revision,
        po.c.ship_to,
        po.c.currency,
        po.c.opened_at,
        po.c.released_at,
        po.c.release_reason,
        po.c.cancelled_at,
        po.c.supplier_reference,
        o.c.name.label("order_name"),
    ).select_from(
        po.join(t.suppliers, t.suppliers.c.id == po.c.supplier_id).outerjoin(
            o, o.c.id == po.c.order_id
        )
    )


def _lines(conn: Connection, po_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    pl, a, ol, o = t.po_lines, t.allocations, t.order_lines, t.orders
    serves: dict[int, list[dict[str, Any]]] = defaultdict(list)
    lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for part in chunks(sorted(po_ids)):
        for r in conn.execute(
            select(
                a.c.po_line_id,
                a.c.quantity,
                a.c.received,
                ol.c.external_id.label("line_ref"),
                o.c.id.label("order_db_id"),
                o.c.external_id.label("order_ref"),
                o.c.name,
            )
            .join(pl, pl.c.id == a.c.po_line_id)
            .join(ol, ol.c.id == a.c.order_line_id)
            .join(o, o.c.id == ol.c.order_id)
            .where(pl.c.po_id.in_(part))
            .order_by(o.c.created_at, o.c.id, ol.c.position)
        ):
            serves[r.po_line_id].append(
                {
                    "order": r.name,
                    "order_id": r.order_ref,
                    "order_db_id": r.order_db_id,  # Tandem's own id, as the dashboard links it
                    "order_line_id": r.line_ref,
                    "quantity": r.quantity,
                    "received": r.received,
                }
            )
        for r in conn.execute(
            select(pl).where(pl.c.po_id.in_(part)).order_by(pl.c.po_id, pl.c.sku, pl.c.id)
        ):
            lines[r.po_id].append(
                {
                    "sku": r.sku,
                    "supplier_sku": r.supplier_sku,
                    "name": r.name,
                    "quantity": r.quantity,
                    "pack_size": r.pack_size,
                    "units": r.quantity * r.pack_size,
                    "unit_cost": r.unit_cost,
                    "line_total": r.unit_cost * r.quantity,
                    "received_units": r.received_units,
                    "serves": serves.get(r.id, []),
                }
            )
    return lines


def _po_dict(row: Any, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "supplier": row.supplier_id,
        "supplier_name": row.supplier_name,
        "mode": row.mode,
        "status": row.status,
        "revision": row.revision,
        "ship_to": row.ship_to,
        "order": row.order_name,
        "currency": row.currency,
        "total": sum((line["line_total"] for line in lines), Decimal(0)),
        "opened_at": row.opened_at,
        "released_at": row.released_at,
        "release_reason": row.release_reason,
        "cancelled_at": row.cancelled_at,
        "supplier_reference": row.supplier_reference,
        "lines": lines,
    }


def list_pos(
    conn: Connection,
    *,
    status: str | None = None,
    supplier: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    po = t.purchase_orders
    query = _po_query().order_by(po.c.number.is_(None), po.c.number, po.c.id)
    if status is not None:
        query = query.where(po.c.status == status)
    if supplier is not None:
        query = query.where(po.c.supplier_id == supplier)
    if limit is not None:
        query = query.limit(limit)
    rows = conn.execute(query).all()
    lines = _lines(conn, [r.id for r in rows])
    return [_po_dict(r, lines.get(r.id, [])) for r in rows]


def po_ref(number: str | None, po_id: int) -> str:
    """How a PO is named where a person may type it back (`find_po`): its number, or
    `draft-<id>` before it has one."""
    return number or f"draft-{po_id}"


def find_po(conn: Connection, reference: str) -> int:
    """A PO id from its number, or `draft-<id>` / `<id>` for drafts."""
    po = t.purchase_orders
    found = conn.execute(select(po.c.id).where(po.c.number == reference)).scalar()
    if found is None:
        raw = reference.removeprefix("draft-")
        if raw.isdigit():
            found = conn.execute(select(po.c.id).where(po.c.id == int(raw))).scalar()
    if found is None:
        raise NotFound(f"no PO {reference!r} (use its number, or draft-<id> for a draft)")
    return int(found)


def show_po(conn: Connection, reference: str) -> dict[str, Any]:
    po_id = find_po(conn, reference)
    row = conn.execute(_po_query().where(t.purchase_orders.c.id == po_id)).one()
    data = _po_dict(row, _lines(conn, [po_id]).get(po_id, []))
    data["changes"] = [
        dict(r._mapping)
        for r in conn.execute(
            select(
                t.po_changes.c.revision,
                t.po_changes.c.kind,
                t.po_changes.c.sku,
                t.po_changes.c.supplier_sku,
                t.po_changes.c.old_quantity,
                t.po_changes.c.new_quantity,
                t.po_changes.c.reason,
                t.po_changes.c.created_at,
            )
            .where(t.po_changes.c.po_id == po_id)
            .order_by(t.po_changes.c.id)
        )
    ]
    data["events"] = [
        {
            "at": r.at,
            "kind": r.kind,
            "message": r.message,
            "revision": (r.data or {}).get("revision"),
            # The exact message a supplier was sent, as it was sent.
            "sent": (r.data or {}).get("sent") if r.kind == "po.sent" else None,
        }
        for r in conn.execute(
            select(t.events).where(t.events.c.po_id == po_id).order_by(t.events.c.at, t.events.c.id)
        )
    ]
    data["outbox"] = [
        {
            "kind": r.kind,
            "status": r.status,
            "attempts": r.attempts,
            "last_error": r.last_error,
            "revision": (r.payload or {}).get("revision"),
        }
        for r in conn.execute(
            select(t.outbox).where(t.outbox.c.po_id == po_id).order_by(t.outbox.c.id)
        )
    ]
    return data


def list_exceptions(
    conn: Connection,
    *,
    status: str | None = "open",
    kind: str | None = None,
    order_id: int | None = None,
    po_id: int | None = None,
    exception_id: int | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Exceptions with what they concern: Tandem's ids of the order, line and PO (`order_id`,
    `order_line_id`, `po_id`), the shop's (`order_ref`, `line_ref`), the order's name, the
    line's SKU, and the PO as pages name it (`po`: its number, or draft-<id>)."""
    e, o, ol, po = t.exceptions, t.orders, t.order_lines, t.purchase_orders
    query = (
        select(
            e.c.id,
            e.c.kind,
            e.c.status,
            e.c.message,
            e.c.order_id,
            e.c.order_line_id,
            e.c.po_id,
            e.c.supplier_id,
            e.c.created_at,
            e.c.updated_at,
            e.c.resolved_at,
            e.c.resolved_by,
            e.c.resolution,
            o.c.name.label("order_name"),
            o.c.external_id.label("order_ref"),
            ol.c.sku,
            ol.c.external_id.label("line_ref"),
            ol.c.supplier_override,
            po.c.number.label("po_number"),
            po.c.status.label("po_status"),
        )
        .select_from(
            e.outerjoin(o, o.c.id == e.c.order_id)
            .outerjoin(ol, ol.c.id == e.c.order_line_id)
            .outerjoin(po, po.c.id == e.c.po_id)
        )
        .order_by(e.c.id.desc() if newest_first else e.c.id)
    )
    filters = (
        (e.c.status, status),
        (e.c.kind, kind),
        (e.c.order_id, order_id),
        (e.c.po_id, po_id),
        (e.c.id, exception_id),
    )
    query = query.where(*(column == value for column, value in filters if value is not None))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    items = []
    for r in conn.execute(query):
        item = dict(r._mapping)
        item["po"] = po_ref(r.po_number, r.po_id) if r.po_id is not None else None
        items.append(item)
    return items
