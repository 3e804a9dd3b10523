"""Write-backs to the store, queued in the outbox with the change that calls for them.

Each effect has a stable dedupe key, so a replayed release or shipment queues nothing twice:
- `store.order_status`: tag the order with the PO number (and status tag) and refresh its
  `tandem.purchase_orders` metafield; one per order, PO, status, revision and the units the
  PO holds for the order, so an order whose lines left a PO hears of it too.
- `store.fulfillment`: a drop-ship shipment's tracking as a fulfillment; one per shipment and
  order.
Only a shop whose platform takes write-backs gets them queued (for the `file` platform
nothing is), each marked with its shop: every shop's worker performs its own.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, func, select

from tandem.connector.configuration import TandemConfig
from tandem.connector.outbox import Effect, enqueue
from tandem.connector.platforms import Capability, shops_that_can
from tandem.connector.store import schema as t
from tandem.connector.store.keys import among, batches

ORDER_STATUS = "store.order_status"
FULFILLMENT = "store.fulfillment"
STOCK = "store.stock"
CONTINUE_SELLING = "store.continue_selling"
KINDS = (ORDER_STATUS, FULFILLMENT, STOCK, CONTINUE_SELLING)


def writes_back(config: TandemConfig) -> bool:
    """Whether any configured shop's platform takes order status and shipments."""
    return bool(shops_that_can(config, Capability.WRITE_BACK))


def _shops_of(conn: Connection, config: TandemConfig, order_ids: Collection[int]) -> dict[int, str]:
    """Order id -> its shop, for the orders of shops that take write-backs. With one shop
    configured, every order is that shop's (whatever name an older version stored it under)."""
    writing = shops_that_can(config, Capability.WRITE_BACK)
    if len(config.stores) == 1:
        if not writing:
            return {}
        [only] = writing
        return dict.fromkeys(order_ids, only)
    o = t.orders
    found: dict[int, str] = {}
    for part in batches(conn, sorted(set(order_ids))):
        for order_id, shop in conn.execute(
            select(o.c.id, o.c.shop).where(among(conn, o.c.id, part))
        ):
            if shop in writing:
                found[order_id] = shop
    return found


def link_orders(conn: Connection, po_ids: Collection[int], now: datetime) -> None:
    """Remember every order the numbered POs serve now (`po_orders`), so the order still hears
    of a PO after its lines have left it."""
    a, pl, ol, po, link = t.allocations, t.po_lines, t.order_lines, t.purchase_orders, t.po_orders
    for part in batches(conn, sorted(set(po_ids))):
        known = {
            (row.po_id, row.order_id)
            for row in conn.execute(
                select(link.c.po_id, link.c.order_id).where(among(conn, link.c.po_id, part))
            )
        }
        serving = conn.execute(
            select(pl.c.po_id, ol.c.order_id)
            .join(a, a.c.po_line_id == pl.c.id)
            .join(ol, ol.c.id == a.c.order_line_id)
            .join(po, po.c.id == pl.c.po_id)
            .where(among(conn, pl.c.po_id, part), po.c.number.is_not(None))
            .distinct()
        )
        new = [
            {"po_id": row.po_id, "order_id": row.order_id, "linked_at": now}
            for row in serving
            if (row.po_id, row.order_id) not in known
        ]
        if new:
            conn.execute(link.insert(), new)


def served_orders(conn: Connection, po_ids: Collection[int]) -> dict[int, set[int]]:
    """PO id -> the ids of the orders it serves or served."""
    link = t.po_orders
    served: dict[int, set[int]] = {}
    for part in batches(conn, sorted(set(po_ids))):
        for po_id, order_id in conn.execute(
            select(link.c.po_id, link.c.order_id).where(among(conn, link.c.po_id, part))
        ):
            served.setdefault(po_id, set()).add(order_id)
    return served


def _units_served(conn: Connection, po_ids: Collection[int]) -> dict[tuple[int, int], int]:
    """(PO id, order id) -> store units the PO holds for the order now."""
    a, pl, ol = t.allocations, t.po_lines, t.order_lines
    units: dict[tuple[int, int], int] = {}
    for part in batches(conn, sorted(set(po_ids))):
        for po_id, order_id, held in conn.execute(
            select(pl.c.po_id, ol.c.order_id, func.sum(a.c.quantity))
            .join(a, a.c.po_line_id == pl.c.id)
            .join(ol, ol.c.id == a.c.order_line_id)
            .where(among(conn, pl.c.po_id, part))
            .group_by(pl.c.po_id, ol.c.order_id)
        ):
            units[(po_id, order_id)] = int(held or 0)
    return units


def po_ids_of_lines(conn: Connection, po_line_ids: Collection[int]) -> set[int]:
    pl = t.po_lines
    found: set[int] = set()
    for part in batches(conn, sorted(set(po_line_ids))):
        found.update(conn.execute(select(pl.c.po_id).where(among(conn, pl.c.id, part))).scalars())
    return found


def queue_status_updates(
    conn: Connection, config: TandemConfig, po_ids: Collection[int], now: datetime
) -> int:
    """Queue a status write-back for every order the POs serve or served, at their current
    status and share: one per order, PO, status, revision and units held for the order."""
    if not writes_back(config) or not po_ids:
        return 0
    po = t.purchase_orders
    states = {
        r.id: (r.status, r.revision)
        for r in conn.execute(
            select(po.c.id, po.c.status, po.c.revision).where(
                po.c.id.in_(list(po_ids)), po.c.number.is_not(None)
            )
        )
    }
    link_orders(conn, states, now)
    units = _units_served(conn, states)
    served = served_orders(conn, states)
    shops = _shops_of(conn, config, {o for orders in served.values() for o in orders})
    effects = [
        Effect(
            ORDER_STATUS,
            f"{ORDER_STATUS}:{order_id}:{po_id}:{states[po_id][0]}:{states[po_id][1]}"
            f":{units.get((po_id, order_id), 0)}",
            {"order_id": order_id},
            po_id=po_id,
            shop=shops[order_id],
        )
        for po_id, orders in sorted(served.items())
        for order_id in sorted(orders)
        if order_id in shops
    ]
    return enqueue(conn, effects, now)


def queue_fulfillments(
    conn: Connection, config: TandemConfig, shipment_id: int, po_id: int, now: datetime
) -> int:
    if not writes_back(config):
        return 0
    orders = {order for (_, order), units in _units_served(conn, [po_id]).items() if units > 0}
    shops = _shops_of(conn, config, orders)
    return enqueue(
        conn,
        [
            Effect(
                FULFILLMENT,
                f"{FULFILLMENT}:{shipment_id}:{order_id}",
                {"shipment_id": shipment_id, "order_id": order_id},
                po_id=po_id,
                shop=shops[order_id],
            )
            for order_id in sorted(orders)
            if order_id in shops
        ],
        now,
    )
