"""A drop-ship shipment as a fulfillment on the customer's order, created once.

fulfillmentCreate has no `@idempotent` key, so before creating, Tandem reads the order's
fulfillments and looks for this shipment: the same tracking numbers *and* the same line
quantities. Shipments that look alike (a second parcel under a number already used) are told
apart by count: the n-th of them is created only while fewer than n such fulfillments exist.
So an attempt whose answer was lost is recognised, and a genuine later shipment is not skipped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Connection, select

from adapters.shopify import documents as doc
from adapters.shopify.client import ShopifyClient
from adapters.shopify.errors import UserError, UserErrors, check, reading
from adapters.shopify.writeback import shop_order
from connector.configuration import TandemConfig
from connector.outbox import OutboxItem
from connector.store import Database
from connector.store import schema as t

OPEN_FULFILLMENT = {"OPEN", "IN_PROGRESS", "SCHEDULED"}

# What a fulfillment holds, to compare one shipment with another: its tracking numbers and
# (order line GID, units) for each line.
Content = tuple[frozenset[str], frozenset[tuple[str, int]]]


def content(numbers: Any, lines: dict[str, int]) -> Content:
    return frozenset(str(n) for n in numbers), frozenset((k, q) for k, q in lines.items() if q)


def shipment_quantities(conn: Connection, shipment_id: int, order_id: int) -> Any:
    """The shipment, and order line (store GID) -> units it ships for one order."""
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


def alike_up_to(conn: Connection, shipment: Any, order_id: int, wanted: dict[str, int]) -> int:
    """How many shipments of the PO, this one included, carry the same content for the order."""
    mine = content(shipment.tracking_numbers, wanted)
    earlier = conn.execute(
        select(t.shipments.c.id).where(
            t.shipments.c.po_id == shipment.po_id, t.shipments.c.id <= shipment.id
        )
    ).scalars()
    count = 0
    for shipment_id in earlier:
        other, lines = shipment_quantities(conn, shipment_id, order_id)
        count += content(other.tracking_numbers, lines) == mine
    return count


def existing_fulfillments(remote: dict[str, Any]) -> Counter[Content]:
    with reading(doc.FULFILLMENT_ORDERS.name):
        found: Counter[Content] = Counter()
        for fulfillment in remote.get("fulfillments") or []:
            numbers = [i.get("number") for i in fulfillment.get("trackingInfo") or []]
            lines: dict[str, int] = defaultdict(int)
            for item in (fulfillment.get("fulfillmentLineItems") or {}).get("nodes") or []:
                lines[str(item["lineItem"]["id"])] += int(item.get("quantity") or 0)
            found[content((n for n in numbers if n), lines)] += 1
        return found


def open_lines(
    remote: dict[str, Any], wanted: dict[str, int]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    """Fulfillment order -> its lines to fulfil now, and the units no open line could take."""
    left = dict(wanted)
    by_fulfillment_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with reading(doc.FULFILLMENT_ORDERS.name):
        for fo in (remote.get("fulfillmentOrders") or {}).get("nodes") or []:
            if fo.get("status") not in OPEN_FULFILLMENT:
                continue
            for fo_line in (fo.get("lineItems") or {}).get("nodes") or []:
                line_gid = str((fo_line.get("lineItem") or {}).get("id"))
                need = left.get(line_gid, 0)
                take = min(need, int(fo_line.get("remainingQuantity") or 0))
                if take > 0:
                    by_fulfillment_order[fo["id"]].append({"id": fo_line["id"], "quantity": take})
                    left[line_gid] = need - take
    return by_fulfillment_order, {gid: q for gid, q in left.items() if q > 0}


async def create_fulfillment(
    db: Database, client: ShopifyClient, config: TandemConfig, item: OutboxItem
) -> None:
    order_id = int(item.payload["order_id"])
    with db.read() as conn:
        order = shop_order(conn, order_id)
        shipment, wanted = shipment_quantities(conn, int(item.payload["shipment_id"]), order_id)
        if not wanted:
            return
        rank = alike_up_to(conn, shipment, order_id, wanted)
    subject = f"order {order.name}"
    data = await client.execute(doc.FULFILLMENT_ORDERS, {"id": order.external_id})
    remote = data.get("order")
    if remote is None:
        raise UserErrors("fulfillmentCreate", subject, [UserError((), "order not found")])
    made = existing_fulfillments(remote)[content(shipment.tracking_numbers, wanted)]
    if made >= rank:
        return  # created by an earlier attempt whose answer was lost
    by_fulfillment_order, short = open_lines(remote, wanted)
    if short:
        raise UserErrors(
            "fulfillmentCreate",
            subject,
            [
                UserError((), f"line {gid}: {q} unit(s) not open for fulfillment")
                for gid, q in short.items()
            ],
        )
    tracking: dict[str, Any] = {"numbers": list(shipment.tracking_numbers)}
    if shipment.carrier:
        tracking["company"] = shipment.carrier
    if shipment.tracking_urls:
        tracking["urls"] = list(shipment.tracking_urls)
    fulfillment = {
        "lineItemsByFulfillmentOrder": [
            {"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": lines}
            for fo_id, lines in by_fulfillment_order.items()
        ],
        "trackingInfo": tracking,
        "notifyCustomer": config.store.notify_customer,
    }
    data = await client.execute(doc.FULFILLMENT_CREATE, {"fulfillment": fulfillment})
    check(data.get("fulfillmentCreate"), "fulfillmentCreate", subject)
