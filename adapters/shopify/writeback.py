"""Performing write-backs on Shopify: order tags and metafield, stock, selling policy.
(Fulfillments are in fulfillments.py.)

Each performer reads what to write from the database when it runs (the newest state, not the
state when it was queued) and is safe to repeat: tags are added (Shopify ignores a tag already
there), the metafield is set whole, and stock is set under the outbox item's idempotency key.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, update

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import UserErrors, check, reading
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import POStatus
from tandem.connector.outbox import OutboxItem
from tandem.connector.services.order_facts import order_status
from tandem.connector.store import Database
from tandem.connector.store import schema as t

METAFIELD_NAMESPACE = "tandem"
METAFIELD_KEY = "purchase_orders"


async def write_order_status(
    db: Database, client: ShopifyClient, config: TandemConfig, item: OutboxItem
) -> None:
    status = order_status(db, int(item.payload["order_id"]))
    if status is None:
        return
    order, pos = status.order, status.purchase_orders
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
        "value": json.dumps(pos, separators=(",", ":")),  # each entry naming this database
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
