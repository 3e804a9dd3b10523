"""Stock out: supplier stock (minus a buffer) as the store's `available` quantity.

A push is planned here and performed by the outbox (`store.stock`, 250 quantities per item,
each item's idempotency key as the `@idempotent` key). Only figures that changed since the
last push are queued. Inventory item ids are looked up by SKU once and remembered, so a push of
10,000 changed SKUs is 40 calls; a SKU the store lacks (or does not stock at the location) is
looked up again every RECHECK. A SKU no active supplier offers any more is set to 0.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from adapters.shopify import documents as doc
from adapters.shopify.client import ShopifyClient
from adapters.shopify.errors import ShopifyError, reading
from connector.configuration import TandemConfig
from connector.domain import Mode
from connector.outbox import Effect, enqueue
from connector.services.store_updates import CONTINUE_SELLING, STOCK
from connector.store import Database
from connector.store import schema as t
from connector.store.planning_input import chunks

PER_CALL = 250  # inventorySetQuantities takes at most 250 quantities
SKUS_PER_LOOKUP = 50  # "sku:'A' OR sku:'B' ..." terms per inventoryItems search
# How often a SKU missing from the store, or not stocked at the location, is looked up again.
RECHECK = timedelta(hours=1)


@dataclass
class StockPlan:
    location_id: str | None = None
    looked_up: int = 0
    not_in_store: int = 0
    changed: int = 0
    queued_calls: int = 0
    policy_products: int = 0
    not_stocked: list[str] = field(default_factory=list)  # SKUs without a level there


def supplier_stock(conn: Connection, buffer: int) -> dict[str, int]:
    """SKU -> units the active suppliers have (all of them together), minus the buffer."""
    o, s = t.offers, t.suppliers
    rows = conn.execute(
        select(o.c.sku, func.sum(o.c.stock * o.c.pack_size))
        .join(s, s.c.id == o.c.supplier_id)
        .where(s.c.active.is_(True), o.c.stock.is_not(None))
        .group_by(o.c.sku)
    )
    return {sku: max(0, int(units or 0) - buffer) for sku, units in rows}


def back_to_back_skus(conn: Connection) -> set[str]:
    o, s = t.offers, t.suppliers
    rows = conn.execute(
        select(o.c.sku)
        .join(s, s.c.id == o.c.supplier_id)
        .where(s.c.active.is_(True), s.c.mode == Mode.BACK_TO_BACK.value)
        .distinct()
    )
    return {sku for (sku,) in rows}


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


def _known(conn: Connection, shop: str, location_id: str) -> dict[str, Any]:
    inv = t.shop_inventory
    return {
        r.sku: r
        for r in conn.execute(
            select(inv).where(inv.c.shop == shop, inv.c.location_id == location_id)
        )
    }


async def plan_stock_push(
    db: Database, client: ShopifyClient, config: TandemConfig, shop: str, now: datetime
) -> StockPlan:
    settings = config.store.stock_push
    plan = StockPlan()
    location_id = await resolve_location(client, settings.location)
    plan.location_id = location_id
    with db.read() as conn:
        desired = supplier_stock(conn, settings.buffer)
        known = _known(conn, shop, location_id)
        b2b = back_to_back_skus(conn) if settings.continue_selling_back_to_back else set()
    stale = [sku for sku in sorted(desired) if _stale(known.get(sku), now)]
    if stale:
        found = await look_up(client, stale, location_id)
        plan.looked_up = len(stale)
        plan.not_in_store = len(stale) - len(found)
        with db.write() as conn:
            inv = t.shop_inventory
            for part in chunks(stale):
                conn.execute(inv.delete().where(inv.c.shop == shop, inv.c.sku.in_(part)))
            conn.execute(
                inv.insert(),
                [
                    {
                        "shop": shop,
                        "sku": sku,
                        "location_id": location_id,
                        "looked_up_at": now,
                        "inventory_item_id": None,
                        "variant_id": None,
                        "product_id": None,
                        "store_quantity": None,
                        "stocked": True,
                        "continue_selling": False,
                        **found.get(sku, {}),
                    }
                    for sku in stale
                ],
            )
            known = _known(conn, shop, location_id)
    # A SKU no active supplier offers any more (a supplier switched off, a row gone from its
    # feed): the figure Tandem pushed last would stay on sale, so it goes to 0.
    withdrawn = {s: 0 for s, row in known.items() if s not in desired and row.pushed_quantity}
    with db.write() as conn:
        _queue_changes(conn, plan, shop, location_id, desired | withdrawn, known, now)
        if b2b:
            _queue_policies(conn, plan, shop, known, b2b, now)
    return plan


def _stale(row: Any, now: datetime) -> bool:
    """Whether a SKU must be looked up in the store (again) before its stock is pushed."""
    if row is None:
        return True
    if row.pending_quantity is not None:
        return False  # a push is on its way; its outcome says what the store has
    if row.inventory_item_id is None or not row.stocked:
        # Not in the store, or not stocked at the location: the merchant may add it any day.
        return bool(row.looked_up_at < now - RECHECK)
    # The store's figure was forgotten (it moved under a push) and nothing was set since.
    return row.store_quantity is None and row.pushed_quantity is None


def _queue_changes(
    conn: Connection,
    plan: StockPlan,
    shop: str,
    location_id: str,
    desired: dict[str, int],
    known: dict[str, Any],
    now: datetime,
) -> None:
    changes: list[dict[str, Any]] = []
    for sku, quantity in sorted(desired.items()):
        row = known.get(sku)
        if row is None or row.inventory_item_id is None or row.pending_quantity is not None:
            continue  # not in the store, or a push of it is still on its way
        if not row.stocked:
            plan.not_stocked.append(sku)
            continue
        current = row.pushed_quantity if row.pushed_quantity is not None else row.store_quantity
        if current == quantity:
            continue
        changes.append(
            {
                "sku": sku,
                "inventory_item_id": row.inventory_item_id,
                "quantity": quantity,
                "change_from": current,
            }
        )
    plan.changed = len(changes)
    inv = t.shop_inventory
    for start in range(0, len(changes), PER_CALL):
        batch = changes[start : start + PER_CALL]
        enqueue(
            conn,
            [
                Effect(
                    STOCK,
                    f"{STOCK}:{shop}:{uuid.uuid4()}",
                    {"shop": shop, "location_id": location_id, "items": batch},
                )
            ],
            now,
        )
        plan.queued_calls += 1
        conn.execute(
            update(inv)
            .where(inv.c.shop == shop, inv.c.sku == bindparam("b_sku"))
            .values(pending_quantity=bindparam("b_quantity")),
            [{"b_sku": c["sku"], "b_quantity": c["quantity"]} for c in batch],
        )


def _queue_policies(
    conn: Connection,
    plan: StockPlan,
    shop: str,
    known: dict[str, Any],
    b2b: set[str],
    now: datetime,
) -> None:
    by_product: dict[str, list[str]] = {}
    for sku in sorted(b2b):
        row = known.get(sku)
        if row is None or not row.variant_id or not row.product_id or row.continue_selling:
            continue
        by_product.setdefault(row.product_id, []).append(row.variant_id)
    effects = [
        Effect(
            CONTINUE_SELLING,
            f"{CONTINUE_SELLING}:{shop}:{product_id}:{','.join(sorted(variants))}",
            {"shop": shop, "product_id": product_id, "variant_ids": variants},
        )
        for product_id, variants in by_product.items()
    ]
    plan.policy_products = enqueue(conn, effects, now)
