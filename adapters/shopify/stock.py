"""Stock out: supplier stock (minus a buffer) as the store's `available` quantity.

A push is planned here and performed by the outbox (`store.stock`, 250 quantities per item,
each item's idempotency key as the `@idempotent` key). Only figures that changed since the
last push are queued. Inventory item ids are looked up by SKU once and remembered, so a push of
10,000 changed SKUs is 40 calls; a SKU the store lacks (or does not stock at the location) is
looked up again every RECHECK. A SKU no active supplier offers any more is set to 0. The plan
is the core's (`connector.services.stock_push`); Shopify's are the look-up, the calls of 250
and the selling policy of back-to-back variants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import ShopifyError, reading
from tandem.connector.configuration import TandemConfig
from tandem.connector.outbox import Effect
from tandem.connector.services import stock_push
from tandem.connector.services.stock_push import Batch, Change, batches
from tandem.connector.services.store_updates import CONTINUE_SELLING
from tandem.connector.store import Database

PER_CALL = 250  # inventorySetQuantities takes at most 250 quantities
SKUS_PER_LOOKUP = 50  # "sku:'A' OR sku:'B' ..." terms per inventoryItems search
RECHECK = stock_push.RECHECK  # how often a SKU missing from the store is looked up again


@dataclass
class StockPlan(stock_push.StockPlan):
    location_id: str | None = None
    policy_products: int = 0  # products whose back-to-back variants were set to keep selling


async def resolve_location(client: ShopifyClient, wanted: str | None) -> str:
    if wanted and wanted.startswith("gid://"):
        return wanted
    data = await client.execute(doc.LOCATIONS)
    with reading(doc.LOCATIONS.name):
        locations = [
            (str(n["id"]), str(n["name"]), bool(n.get("isActive")))
            for n in data["locations"]["nodes"]
        ]
    for location_id, name, active in locations:
        if wanted is None and active:
            return location_id
        if wanted is not None and name.casefold() == wanted.casefold():
            return location_id
    names = ", ".join(repr(name) for _, name, _ in locations) or "none"
    raise ShopifyError(
        f"store.stock_push.location: no location {wanted!r} in the store (it has {names})"
        if wanted
        else "the store has no active location to hold supplier stock"
    )


def _search(skus: Sequence[str]) -> str:
    return " OR ".join("sku:'{}'".format(s.replace("\\", "\\\\").replace("'", "\\'")) for s in skus)


async def look_up(
    client: ShopifyClient, skus: Sequence[str], location_id: str
) -> dict[str, dict[str, Any]]:
    """SKU -> inventory item, variant, product, policy and `available` at the location."""
    found: dict[str, dict[str, Any]] = {}
    wanted = set(skus)
    for start in range(0, len(skus), SKUS_PER_LOOKUP):
        query = _search(skus[start : start + SKUS_PER_LOOKUP])
        after: str | None = None
        while True:
            data = await client.execute(
                doc.INVENTORY_ITEMS_BY_SKU,
                {"query": query, "after": after, "locationId": location_id},
            )
            with reading(doc.INVENTORY_ITEMS_BY_SKU.name):
                connection = data["inventoryItems"]
                for node in connection["nodes"]:
                    _found(node, wanted, found)
                if not connection["pageInfo"]["hasNextPage"]:
                    break
                after = connection["pageInfo"]["endCursor"]
    return found


def _found(node: dict[str, Any], wanted: set[str], found: dict[str, dict[str, Any]]) -> None:
    sku = node.get("sku")
    if sku not in wanted or sku in found:
        return
    variant = ((node.get("variants") or {}).get("nodes") or [{}])[0]
    level = node.get("inventoryLevel") or {}
    available = next(
        (q["quantity"] for q in level.get("quantities") or [] if q["name"] == "available"),
        None,
    )
    found[sku] = {
        "stocked": node.get("inventoryLevel") is not None,
        "inventory_item_id": node["id"],
        "variant_id": variant.get("id"),
        "product_id": (variant.get("product") or {}).get("id"),
        "continue_selling": variant.get("inventoryPolicy") == "CONTINUE",
        "store_quantity": available,
    }


async def plan_stock_push(
    db: Database, client: ShopifyClient, config: TandemConfig, shop: str, now: datetime
) -> StockPlan:
    location_id = await resolve_location(client, config.store.stock_push.location)
    plan = StockPlan(location_id=location_id)
    found = partial(look_up, client, location_id=location_id)

    def cut(changes: list[Change]) -> list[Batch]:
        items = [
            {
                "sku": c.sku,
                "inventory_item_id": c.row.inventory_item_id,
                "quantity": c.quantity,
                "change_from": c.current,
            }
            for c in changes
        ]
        return batches({"location_id": location_id}, items, PER_CALL)

    plan.policy_products = await stock_push.plan_push(
        db,
        config,
        shop,
        now,
        plan,
        look_up=found,
        cut=cut,
        policies=_policies,
        location_id=location_id,
    )
    return plan


def _policies(shop: str, known: dict[str, Any], b2b: set[str]) -> list[Effect]:
    """Back-to-back variants keep selling at zero stock (inventoryPolicy CONTINUE), one
    write-back per product."""
    by_product: dict[str, list[str]] = {}
    for sku in sorted(b2b):
        row = known.get(sku)
        if row is None or not row.variant_id or not row.product_id or row.continue_selling:
            continue
        by_product.setdefault(row.product_id, []).append(row.variant_id)
    return [
        Effect(
            CONTINUE_SELLING,
            f"{CONTINUE_SELLING}:{shop}:{product_id}:{','.join(sorted(variants))}",
            {"shop": shop, "product_id": product_id, "variant_ids": variants},
        )
        for product_id, variants in by_product.items()
    ]
