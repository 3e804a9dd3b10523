"""A drop-ship shipment as fulfillments on the customer's order, each created once.

Shopify takes the fulfillment orders of one location per fulfillmentCreate ("All fulfillment
orders must be assigned to a single location"), so a shipment whose lines sit at several
locations becomes one fulfillment per location, each carrying the shipment's tracking.

fulfillmentCreate has no `@idempotent` key, so before creating, Tandem reads the order's
fulfillments and counts, per order line, the units already fulfilled under exactly this
shipment's tracking numbers. Those units are first the PO's earlier shipments under the same
numbers (a second parcel under a number already used), then this one's; only what is left of
this shipment is fulfilled now. So an attempt whose answer was lost is recognised, a retry after
one location's fulfillment was made and the next one's failed makes only the rest, and a genuine
later shipment is not skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import UserError, UserErrors, check, reading
from tandem.connector.configuration import TandemConfig
from tandem.connector.outbox import OutboxItem
from tandem.connector.services.order_facts import shipment_quantities, shipment_write
from tandem.connector.store import Database
from tandem.connector.store import schema as t

OPEN_FULFILLMENT = {"OPEN", "IN_PROGRESS", "SCHEDULED"}


def tracking_key(numbers: Iterable[Any]) -> frozenset[str]:
    """A shipment's or fulfillment's tracking numbers, compared as a set."""
    return frozenset(str(n) for n in numbers if n)


def shipped_under(conn: Connection, shipment: Any, order_id: int) -> Counter[str]:
    """Units per order line of the PO's shipments under the same tracking numbers as this
    one, up to and including it."""
    numbers = tracking_key(shipment.tracking_numbers)
    earlier = conn.execute(
        select(t.shipments.c.id)
        .where(t.shipments.c.po_id == shipment.po_id, t.shipments.c.id <= shipment.id)
        .order_by(t.shipments.c.id)
    ).scalars()
    units: Counter[str] = Counter()
    for shipment_id in earlier:
        other, lines = shipment_quantities(conn, shipment_id, order_id)
        if tracking_key(other.tracking_numbers) == numbers:
            units.update(lines)
    return units


def fulfilled_under(remote: dict[str, Any], numbers: frozenset[str]) -> Counter[str]:
    """Units per order line in the order's fulfillments under exactly these numbers."""
    units: Counter[str] = Counter()
    with reading(doc.FULFILLMENT_ORDERS.name):
        for fulfillment in remote.get("fulfillments") or []:
            tracking = [i.get("number") for i in fulfillment.get("trackingInfo") or []]
            if tracking_key(tracking) != numbers:
                continue
            for item in (fulfillment.get("fulfillmentLineItems") or {}).get("nodes") or []:
                units[str(item["lineItem"]["id"])] += int(item.get("quantity") or 0)
    return units


def still_due(wanted: dict[str, int], shipped: Counter[str], made: Counter[str]) -> dict[str, int]:
    """The units of this shipment no fulfillment holds yet: per line, what the shipments so far
    under its numbers ship beyond what is fulfilled under them, at most what this one ships."""
    due = {gid: min(q, shipped[gid] - made[gid]) for gid, q in wanted.items()}
    return {gid: q for gid, q in due.items() if q > 0}


@dataclass
class Location:
    """The open fulfillment order lines of one location that take a shipment's units."""

    name: str
    lines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by fulfillment order


def open_lines(
    remote: dict[str, Any], wanted: dict[str, int]
) -> tuple[list[Location], dict[str, int]]:
    """The locations whose open lines take the units wanted (in the order Shopify lists their
    fulfillment orders), and the units no open line could take."""
    left = dict(wanted)
    locations: dict[str, Location] = {}
    with reading(doc.FULFILLMENT_ORDERS.name):
        for fo in (remote.get("fulfillmentOrders") or {}).get("nodes") or []:
            if fo.get("status") not in OPEN_FULFILLMENT:
                continue
            assigned = fo["assignedLocation"]
            # A location deleted since: its fulfillment order goes alone.
            where = (assigned.get("location") or {}).get("id") or fo["id"]
            for fo_line in (fo.get("lineItems") or {}).get("nodes") or []:
                line_gid = str((fo_line.get("lineItem") or {}).get("id"))
                need = left.get(line_gid, 0)
                take = min(need, int(fo_line.get("remainingQuantity") or 0))
                if take > 0:
                    location = locations.setdefault(where, Location(str(assigned["name"])))
                    location.lines.setdefault(fo["id"], []).append(
                        {"id": fo_line["id"], "quantity": take}
                    )
                    left[line_gid] = need - take
    return list(locations.values()), {gid: q for gid, q in left.items() if q > 0}


async def create_fulfillment(
    db: Database, client: ShopifyClient, config: TandemConfig, item: OutboxItem
) -> None:
    with db.read() as conn:
        order, shipment, wanted = shipment_write(conn, item.payload)
        if not wanted:
            return
        shipped = shipped_under(conn, shipment, int(item.payload["order_id"]))
    subject = f"order {order.name}"
    data = await client.execute(doc.FULFILLMENT_ORDERS, {"id": order.external_id})
    remote = data.get("order")
    if remote is None:
        raise UserErrors("fulfillmentCreate", subject, [UserError((), "order not found")])
    due = still_due(
        wanted, shipped, fulfilled_under(remote, tracking_key(shipment.tracking_numbers))
    )
    if not due:
        return  # made by an earlier attempt, whose answer was lost or which failed later on
    locations, short = open_lines(remote, due)
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
    for location in locations:
        fulfillment = {
            "lineItemsByFulfillmentOrder": [
                {"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": lines}
                for fo_id, lines in location.lines.items()
            ],
            "trackingInfo": tracking,
            "notifyCustomer": config.store.notify_customer,
        }
        data = await client.execute(doc.FULFILLMENT_CREATE, {"fulfillment": fulfillment})
        where = subject if len(locations) == 1 else f"{subject} at {location.name}"
        check(data.get("fulfillmentCreate"), "fulfillmentCreate", where)
