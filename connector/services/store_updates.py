"""Write-backs to the store, queued in the outbox with the change that calls for them.

Each effect has a stable dedupe key, so a replayed release or shipment queues nothing twice:
- `store.order_status`: tag the order with the PO number (and status tag) and refresh its
  `tandem.purchase_orders` metafield; one per order, PO, status and revision.
- `store.fulfillment`: a drop-ship shipment's tracking as a fulfillment; one per shipment and
  order.
Only the Shopify platform writes back; for the `file` platform nothing is queued.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, select

from connector.configuration import TandemConfig
from connector.outbox import Effect, enqueue
from connector.store import schema as t
from connector.store.planning_input import chunks

ORDER_STATUS = "store.order_status"
FULFILLMENT = "store.fulfillment"
STOCK = "store.stock"
CONTINUE_SELLING = "store.continue_selling"
KINDS = (ORDER_STATUS, FULFILLMENT, STOCK, CONTINUE_SELLING)


def writes_back(config: TandemConfig) -> bool:
    return config.store.platform == "shopify"


def served_orders(conn: Connection, po_ids: Collection[int]) -> dict[int, set[int]]:
    """PO id -> the ids of the orders its lines serve."""
    a, pl, ol = t.allocations, t.po_lines, t.order_lines
    served: dict[int, set[int]] = {}
    for part in chunks(sorted(set(po_ids))):
        rows = conn.execute(
            select(pl.c.po_id, ol.c.order_id)
            .join(a, a.c.po_line_id == pl.c.id)
            .join(ol, ol.c.id == a.c.order_line_id)
            .where(pl.c.po_id.in_(part))
            .distinct()
        )
        for po_id, order_id in rows:
            served.setdefault(po_id, set()).add(order_id)
    return served


def queue_status_updates(
    conn: Connection, config: TandemConfig, po_ids: Collection[int], now: datetime
) -> int:
    """Queue a status write-back for every order the POs serve, at their current status."""
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
    effects = [
        Effect(
            ORDER_STATUS,
            f"{ORDER_STATUS}:{order_id}:{po_id}:{states[po_id][0]}:{states[po_id][1]}",
            {"order_id": order_id},
            po_id=po_id,
        )
        for po_id, orders in sorted(served_orders(conn, states).items())
        for order_id in sorted(orders)
    ]
    return enqueue(conn, effects, now)


def queue_fulfillments(
    conn: Connection, config: TandemConfig, shipment_id: int, po_id: int, now: datetime
) -> int:
    if not writes_back(config):
        return 0
    orders = served_orders(conn, [po_id]).get(po_id, set())
    return enqueue(
        conn,
        [
            Effect(
                FULFILLMENT,
                f"{FULFILLMENT}:{shipment_id}:{order_id}",
                {"shipment_id": shipment_id, "order_id": order_id},
                po_id=po_id,
            )
            for order_id in sorted(orders)
        ],
        now,
    )
