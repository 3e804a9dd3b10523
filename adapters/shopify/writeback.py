"""Performing write-backs on Shopify: order tags and metafield, stock, selling policy.
(Fulfillments are in fulfillments.py.)

Each performer reads what to write from the database when it runs (the newest state, not the
state when it was queued) and is safe to repeat: tags are added (Shopify ignores a tag already
there), the metafield is set whole, and stock is set under the outbox item's idempotency key.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, select, update

from adapters.shopify import documents as doc
from adapters.shopify.client import ShopifyClient
from adapters.shopify.errors import UserErrors, check, reading
from connector.clock import utcnow
from connector.configuration import TandemConfig
from connector.domain import POStatus
from connector.outbox import OutboxItem
from connector.store import Database
from connector.store import schema as t
from connector.store.prior import this_database_id

METAFIELD_NAMESPACE = "tandem"
METAFIELD_KEY = "purchase_orders"


def shop_order(conn: Connection, order_id: int) -> Any:
    """The order's id in the shop (`external_id`) and its name, for the calls and messages."""
    return conn.execute(
        select(t.orders.c.external_id, t.orders.c.name).where(t.orders.c.id == order_id)
    ).one()


# A PO that ended keeps its own status on the orders it served (a supplier's refusal).
ENDED = frozenset({POStatus.CANCELLED.value, POStatus.REJECTED.value})


def purchase_orders_of(conn: Connection, order_id: int) -> list[dict[str, Any]]:
    """What the `tandem.purchase_orders` metafield says about one order: every PO that serves
    or served it. A PO the order's lines have left (an edit, a cancellation, a refusal) is
    listed as cancelled for this order, with no lines, unless the whole PO ended."""
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


async def write_order_status(
    db: Database, client: ShopifyClient, config: TandemConfig, item: OutboxItem
) -> None:
    order_id = int(item.payload["order_id"])
    with db.read() as conn:
        order = shop_order(conn, order_id)
        pos = purchase_orders_of(conn, order_id)
        database = this_database_id(conn)
    if not pos:
        return
    subject = f"order {order.name}"
    tags = [p["number"] for p in pos]
    template = config.store.status_tag
    current = {template.format(status=p["status"]) for p in pos} if template else set()
    data = await client.execute(
        doc.TAGS_ADD, {"id": order.external_id, "tags": tags + sorted(current)}
    )
    added = check(data.get("tagsAdd"), "tagsAdd", subject)
    if template:
        # Status tags Tandem added earlier that no PO of this order has any more: only those the
        # order still carries (tagsAdd answers with its tags) are removed, so most writes need
        # no tagsRemove.
        with reading(doc.TAGS_ADD.name):
            carried = {str(tag) for tag in (added["node"] or {}).get("tags") or ()}
        ours = {template.format(status=s.value) for s in POStatus}
        stale = sorted((ours - current) & carried)
        if stale:
            data = await client.execute(doc.TAGS_REMOVE, {"id": order.external_id, "tags": stale})
            check(data.get("tagsRemove"), "tagsRemove", subject)
    metafield = {
        "ownerId": order.external_id,
        "namespace": METAFIELD_NAMESPACE,
        "key": METAFIELD_KEY,
        "type": "json",
        # Each entry names this database: PO numbers repeat across databases, and another one
        # serving the same shop must tell its POs from ours (connector.fences).
        "value": json.dumps(
            [{**p, "database": database} if database else p for p in pos], separators=(",", ":")
        ),
    }
    data = await client.execute(doc.METAFIELDS_SET, {"metafields": [metafield]})
    check(data.get("metafieldsSet"), "metafieldsSet", subject)


async def set_stock(
    db: Database, client: ShopifyClient, config: TandemConfig, item: OutboxItem
) -> None:
    payload = item.payload
    quantities = [
        {
            "inventoryItemId": q["inventory_item_id"],
            "locationId": payload["location_id"],
            "quantity": q["quantity"],
            "changeFromQuantity": q["change_from"],
        }
        for q in payload["items"]
    ]
    variables = {
        "input": {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": f"gid://tandem/StockPush/{item.id}",
            "quantities": quantities,
        },
        "key": item.idempotency_key,
    }
    data = await client.execute(doc.INVENTORY_SET_QUANTITIES, variables)
    inv = t.shop_inventory
    shop = payload["shop"]
    skus = [q["sku"] for q in payload["items"]]
    try:
        check(data.get("inventorySetQuantities"), "inventorySetQuantities", f"{len(skus)} SKU(s)")
    except UserErrors as exc:
        if "CHANGE_FROM_QUANTITY_STALE" not in exc.codes:
            raise
        # The store's figure moved (a sale, a merchant's edit): forget what we knew so the next
        # push reads the current quantities and sets them again.
        with db.write() as conn:
            conn.execute(
                update(inv)
                .where(inv.c.shop == shop, inv.c.sku.in_(skus))
                .values(store_quantity=None, pushed_quantity=None, pending_quantity=None)
            )
        return
    pushed_at = utcnow()  # when the shop took the figures, however long the pass has run
    with db.write() as conn:
        for q in payload["items"]:
            conn.execute(
                update(inv)
                .where(inv.c.shop == shop, inv.c.sku == q["sku"])
                .values(
                    pushed_quantity=q["quantity"],
                    store_quantity=q["quantity"],
                    pending_quantity=None,
                    pushed_at=pushed_at,
                )
            )


def stock_given_up(conn: Connection, item: OutboxItem) -> None:
    """A stock push given up: its SKUs wait for no push any more, so the next plan may queue
    them again."""
    payload = item.payload
    inv = t.shop_inventory
    skus = [q["sku"] for q in payload["items"]]
    conn.execute(
        update(inv)
        .where(inv.c.shop == payload["shop"], inv.c.sku.in_(skus))
        .values(pending_quantity=None)
    )


async def continue_selling(
    db: Database, client: ShopifyClient, config: TandemConfig, item: OutboxItem
) -> None:
    payload = item.payload
    variants = [{"id": v, "inventoryPolicy": "CONTINUE"} for v in payload["variant_ids"]]
    data = await client.execute(
        doc.VARIANTS_CONTINUE_SELLING, {"productId": payload["product_id"], "variants": variants}
    )
    check(data.get("productVariantsBulkUpdate"), "productVariantsBulkUpdate", payload["product_id"])
    with db.write() as conn:
        conn.execute(
            update(t.shop_inventory)
            .where(
                t.shop_inventory.c.shop == payload["shop"],
                t.shop_inventory.c.variant_id.in_(payload["variant_ids"]),
            )
            .values(continue_selling=True)
        )
