"""What Tandem tells a shop about each order it serves, whatever the platform: the purchase
orders serving the order, as the list written onto it (and read back when the order comes in
again, for the planner's fences), and the units each shipment ships per order line.

Every write-back reads these when it runs, so it writes the newest state, not the one of the
moment it was queued.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select

from tandem.connector.domain import POStatus, PriorPO
from tandem.connector.fences import ENDED
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.prior import this_database_id

# What an entry of the list says of a PO that another Tandem, reading it back, can act on.
PRIOR_FIELDS = ("number", "database", "supplier", "status")


def shop_order(conn: Connection, order_id: int) -> Any:
    """The order's id in the shop (`external_id`) and its name, for the calls and messages."""
    return conn.execute(
        select(t.orders.c.external_id, t.orders.c.name).where(t.orders.c.id == order_id)
    ).one()


def purchase_orders_of(conn: Connection, order_id: int) -> list[dict[str, Any]]:
    """What the list on the order says: every PO that serves or served it. A PO the order's
    lines have left (an edit, a cancellation, a refusal) is listed as cancelled for this
    order, with no lines, unless the whole PO ended (`fences.ENDED`: it keeps its own
    status, a supplier's refusal for instance)."""
    po, pl, a, ol, s, link = (
        t.purchase_orders,
        t.po_lines,
        t.allocations,
        t.order_lines,
        t.suppliers,
        t.po_orders,
    )
    heads = conn.execute(
        select(po.c.id, po.c.number, po.c.status, po.c.mode, po.c.expected_at, s.c.name)
        .join(link, link.c.po_id == po.c.id)
        .join(s, s.c.id == po.c.supplier_id)
        .where(link.c.order_id == order_id, po.c.number.is_not(None))
        .order_by(po.c.number)
    ).all()
    if not heads:
        return []
    held: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for po_id, sku, units in conn.execute(
        select(pl.c.po_id, ol.c.sku, a.c.quantity)
        .join(a, a.c.po_line_id == pl.c.id)
        .join(ol, ol.c.id == a.c.order_line_id)
        .where(ol.c.order_id == order_id, pl.c.po_id.in_([h.id for h in heads]))
    ):
        if units > 0:
            held[po_id][sku] += units
    tracking: dict[int, list[str]] = defaultdict(list)
    for po_id, numbers in conn.execute(
        select(t.shipments.c.po_id, t.shipments.c.tracking_numbers).where(
            t.shipments.c.po_id.in_([h.id for h in heads])
        )
    ):
        tracking[po_id].extend(numbers)
    return [
        {
            "number": h.number,
            "supplier": h.name,
            "status": h.status if held[h.id] or h.status in ENDED else POStatus.CANCELLED.value,
            "mode": h.mode,
            "eta": h.expected_at.date().isoformat() if h.expected_at and held[h.id] else None,
            "lines": [{"sku": sku, "quantity": units} for sku, units in held[h.id].items()],
            "tracking": tracking[h.id],
        }
        for h in heads
    ]


@dataclass(frozen=True)
class OrderStatus:
    """An order's status write-back: the order (`shop_order`) and the list to write on it,
    each entry naming this database, since PO numbers repeat across databases and another one
    serving the same shop must tell its POs from ours (tandem.connector.fences)."""

    order: Any
    purchase_orders: list[dict[str, Any]]


def order_status(db: Database, order_id: int) -> OrderStatus | None:
    """What the order's status write-back writes; None while no PO serves it."""
    with db.read() as conn:
        order = shop_order(conn, order_id)
        pos = purchase_orders_of(conn, order_id)
        database = this_database_id(conn)
    if not pos:
        return None
    return OrderStatus(order, [{**p, "database": database} if database else p for p in pos])


def prior_pos(value: Any) -> tuple[PriorPO, ...]:
    """The POs a list written on an order names, given as JSON text or as the list itself.
    What cannot be read is skipped: another Tandem, or a person, may have written it."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    found: list[PriorPO] = []
    for entry in value if isinstance(value, list) else []:
        if not isinstance(entry, dict):
            continue
        fields = {k: entry.get(k) for k in PRIOR_FIELDS}
        try:
            found.append(PriorPO.model_validate({k: v for k, v in fields.items() if v}))
        except ValidationError:
            continue
    return tuple(found)


def shipment_write(conn: Connection, payload: dict[str, Any]) -> tuple[Any, Any, dict[str, int]]:
    """What a shipment's write-back (`store.fulfillment`, its payload) tells the order: the
    order (`shop_order`), the shipment, and order line -> units it ships."""
    order_id = int(payload["order_id"])
    shipment, wanted = shipment_quantities(conn, int(payload["shipment_id"]), order_id)
    return shop_order(conn, order_id), shipment, wanted


def shipment_quantities(conn: Connection, shipment_id: int, order_id: int) -> Any:
    """The shipment, and order line (its id in the shop) -> units it ships for one order."""
    shipment = conn.execute(select(t.shipments).where(t.shipments.c.id == shipment_id)).one()
    wanted: dict[str, int] = defaultdict(int)
    for line in shipment.lines:
        units = int(line["quantity"])
        pl = conn.execute(
            select(t.po_lines.c.pack_size).where(t.po_lines.c.id == line["po_line_id"])
        ).scalar_one()
        units *= pl
        allocations = conn.execute(
            select(t.order_lines.c.external_id, t.allocations.c.quantity)
            .join(t.allocations, t.allocations.c.order_line_id == t.order_lines.c.id)
            .where(
                t.allocations.c.po_line_id == line["po_line_id"],
                t.order_lines.c.order_id == order_id,
            )
            .order_by(t.order_lines.c.id)
        )
        for external_id, quantity in allocations:
            take = min(units, quantity)
            if take > 0:
                wanted[external_id] += take
                units -= take
    return shipment, dict(wanted)
