"""Stock out: supplier stock (minus a buffer) as the WooCommerce products' `stock_quantity`.

Planned here, performed by the outbox (`store.stock`): WooCommerce takes at most 100 items per
batch request, and a variation only through its parent's `/products/{id}/variations/batch`, so
changes are grouped by parent (simple products together) and cut into items of 100. Only
figures that changed since the last push are queued. Products are looked up by SKU (100 SKUs
per `GET /products?sku=a,b,…`, which finds variations too) once and remembered in
`shop_inventory`; a SKU the shop lacks is looked up again every `stock_push.RECHECK`. A
product whose stock WooCommerce does not manage (`manage_stock` false, or a variation whose
parent manages it) is left alone and reported as not stocked: Tandem never switches stock
management on. The plan is the core's (`connector.services.stock_push`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from tandem.adapters.woocommerce.client import WooCommerceClient
from tandem.connector.configuration import TandemConfig
from tandem.connector.outbox import Effect
from tandem.connector.services import stock_push
from tandem.connector.services.stock_push import Batch, Change, batches
from tandem.connector.services.store_updates import CONTINUE_SELLING
from tandem.connector.store import Database

PER_BATCH = 100  # WooCommerce's batch limit
SKUS_PER_LOOKUP = 100
SIMPLE = ""  # the "parent" of products that are not variations: /products/batch


@dataclass
class StockPlan(stock_push.StockPlan):
    policy_batches: int = 0  # backorder write-backs for back-to-back products


def batch_path(parent: str) -> str:
    return f"/products/{parent}/variations/batch" if parent else "/products/batch"


async def look_up(client: WooCommerceClient, skus: Sequence[str]) -> dict[str, dict[str, Any]]:
    """SKU -> what shop_inventory keeps of the product or variation with that SKU."""
    found: dict[str, dict[str, Any]] = {}
    wanted = set(skus)
    # A SKU with a comma would be split by WooCommerce: it is looked up on its own.
    plain = [s for s in skus if "," not in s]
    groups = [plain[i : i + SKUS_PER_LOOKUP] for i in range(0, len(plain), SKUS_PER_LOOKUP)]
    groups += [[s] for s in skus if "," in s]
    for group in groups:
        number = 1
        while True:
            page = await client.page(
                "/products", {"sku": ",".join(group), "per_page": 100, "page": number}
            )
            for product in page.items:
                sku = product.get("sku")
                if sku in wanted and sku not in found:
                    found[sku] = _row(product)
            if number >= page.pages:
                break
            number += 1
    return found


def _row(product: dict[str, Any]) -> dict[str, Any]:
    variation = product.get("type") == "variation" or bool(product.get("parent_id"))
    quantity = product.get("stock_quantity")
    return {
        "inventory_item_id": str(product["id"]),
        "variant_id": str(product["id"]) if variation else None,
        "product_id": str(product.get("parent_id")) if variation else str(product["id"]),
        "stocked": product.get("manage_stock") is True,
        "store_quantity": int(quantity) if isinstance(quantity, int | float) else None,
        "continue_selling": product.get("backorders") not in (None, "no"),
    }


async def plan_stock_push(
    db: Database, client: WooCommerceClient, config: TandemConfig, shop: str, now: datetime
) -> StockPlan:
    plan = StockPlan()
    found = partial(look_up, client)
    plan.policy_batches = await stock_push.plan_push(
        db, config, shop, now, plan, look_up=found, cut=_cut, policies=_backorders
    )
    return plan


def _parent(row: Any) -> str:
    return str(row.product_id) if row.variant_id else SIMPLE


def _cut(changes: list[Change]) -> list[Batch]:
    """The changes by parent (simple products together), 100 to a batch request."""
    by_parent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in changes:
        by_parent[_parent(c.row)].append(
            {"sku": c.sku, "id": int(c.row.inventory_item_id), "quantity": c.quantity}
        )
    return [
        batch
        for parent, items in sorted(by_parent.items())
        for batch in batches({"parent_id": parent}, items, PER_BATCH)
    ]


def _digest(ids: Sequence[int]) -> str:
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:24]


def _backorders(shop: str, known: dict[str, Any], b2b: set[str]) -> list[Effect]:
    """Back-to-back products stay sellable at zero stock: backorders allowed ("notify", so
    the customer is told the item is on backorder)."""
    by_parent: dict[str, list[int]] = defaultdict(list)
    for sku in sorted(b2b):
        row = known.get(sku)
        if row is None or row.inventory_item_id is None or row.continue_selling:
            continue
        by_parent[_parent(row)].append(int(row.inventory_item_id))
    return [
        Effect(
            CONTINUE_SELLING,
            f"{CONTINUE_SELLING}:{shop}:{parent or 'products'}:{_digest(ids[i : i + PER_BATCH])}",
            {"shop": shop, "parent_id": parent, "ids": ids[i : i + PER_BATCH]},
        )
        for parent, ids in sorted(by_parent.items())
        for i in range(0, len(ids), PER_BATCH)
    ]
