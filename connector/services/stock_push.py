"""Planning a stock push, whatever the platform: which SKUs the shop is to be told of, queued
as write-backs (`store.stock`) that the outbox performs.

The figures are the suppliers' (`stock_figures`). What Tandem knows of the shop's product for
each SKU is kept in `shop_inventory`: looked up once and remembered, and looked up again every
RECHECK while the shop lacks the SKU or does not stock it. Only figures that changed since the
last push are queued, and a SKU whose push is on its way waits for that push's outcome. A SKU
no active supplier offers any more (a supplier switched off, a row gone from its feed) goes
to 0: the figure Tandem pushed last would stay on sale otherwise.

The platform brings what is its own: how SKUs are looked up, how the changes are cut into the
calls it takes (`Batch`), and the write-backs that keep back-to-back SKUs sellable at zero.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from tandem.connector.configuration import TandemConfig
from tandem.connector.outbox import Effect, enqueue
from tandem.connector.services.stock_figures import back_to_back_skus, supplier_stock
from tandem.connector.services.store_updates import STOCK
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.keys import chunks

# How often a SKU missing from the shop, or not stocked there, is looked up again.
RECHECK = timedelta(hours=1)


@dataclass
class StockPlan:
    looked_up: int = 0  # SKUs looked up in the shop
    not_in_store: int = 0  # of those, the ones the shop lacks
    changed: int = 0  # SKUs whose figure changed and was queued
    queued_calls: int = 0  # write-backs queued for them
    not_stocked: list[str] = field(default_factory=list)  # SKUs the shop keeps no level of


@dataclass(frozen=True)
class Change:
    """A SKU whose figure the shop is to get: `quantity`, where it has `current` as far as
    Tandem knows."""

    sku: str
    quantity: int
    current: int | None
    row: Any  # the SKU's shop_inventory row


@dataclass(frozen=True)
class Batch:
    """One write-back: what names where its items go (payload keys besides shop and items),
    and the items, each with its `sku` and `quantity`."""

    target: dict[str, Any]
    items: list[dict[str, Any]]


# SKU -> what shop_inventory keeps of the shop's product with that SKU (SKUs it lacks left out).
LookUp = Callable[[list[str]], Awaitable[dict[str, dict[str, Any]]]]
# The changes as the write-backs the platform takes, in the order they are queued.
Cut = Callable[[list[Change]], list[Batch]]
# The shop's write-backs keeping the back-to-back SKUs sellable at zero, given shop_inventory
# by SKU and those SKUs.
Policies = Callable[[str, dict[str, Any], set[str]], list[Effect]]


def batches(target: dict[str, Any], items: Sequence[dict[str, Any]], size: int) -> list[Batch]:
    """The items cut into write-backs of at most `size`, all to `target`."""
    return [Batch(target, list(items[i : i + size])) for i in range(0, len(items), size)]


async def plan_push(
    db: Database,
    config: TandemConfig,
    shop: str,
    now: datetime,
    plan: StockPlan,
    *,
    look_up: LookUp,
    cut: Cut,
    policies: Policies,
    location_id: str | None = None,
) -> int:
    """Queue the stock figures that changed, counting in `plan`; returns how many selling
    policy write-backs were queued. `location_id`: where the shop holds the stock, for a
    platform that keeps it per location."""
    settings = config.store.stock_push
    with db.read() as conn:
        desired = supplier_stock(conn, settings.buffer)
        known = _known(conn, shop, location_id)
        b2b = back_to_back_skus(conn) if settings.continue_selling_back_to_back else set()
    stale = [sku for sku in sorted(desired) if _stale(known.get(sku), now)]
    if stale:
        found = await look_up(stale)
        plan.looked_up, plan.not_in_store = len(stale), len(stale) - len(found)
        with db.write() as conn:
            _remember(conn, shop, location_id, stale, found, now)
            known = _known(conn, shop, location_id)
    withdrawn = {s: 0 for s, row in known.items() if s not in desired and row.pushed_quantity}
    with db.write() as conn:
        changes = _changes(plan, desired | withdrawn, known)
        _queue(conn, plan, shop, cut(changes), now)
        return enqueue(conn, policies(shop, known, b2b), now) if b2b else 0


def _known(conn: Connection, shop: str, location_id: str | None) -> dict[str, Any]:
    inv = t.shop_inventory
    query = select(inv).where(inv.c.shop == shop)
    if location_id is not None:
        query = query.where(inv.c.location_id == location_id)
    return {r.sku: r for r in conn.execute(query)}


def _stale(row: Any, now: datetime) -> bool:
    """Whether a SKU must be looked up in the shop (again) before its stock is pushed."""
    if row is None:
        return True
    if row.pending_quantity is not None:
        return False  # a push is on its way; its outcome says what the shop has
    if row.inventory_item_id is None or not row.stocked:
        # Not in the shop, or not stocked there: the merchant may add it any day.
        return bool(row.looked_up_at < now - RECHECK)
    # The shop's figure was forgotten (it moved under a push) and nothing was set since.
    return row.store_quantity is None and row.pushed_quantity is None


def _remember(
    conn: Connection,
    shop: str,
    location_id: str | None,
    skus: list[str],
    found: dict[str, dict[str, Any]],
    now: datetime,
) -> None:
    """What the look-up found of the SKUs replaces what Tandem knew of them."""
    inv = t.shop_inventory
    for part in chunks(skus):
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
            for sku in skus
        ],
    )


def _changes(plan: StockPlan, desired: dict[str, int], known: dict[str, Any]) -> list[Change]:
    changes = []
    for sku, quantity in sorted(desired.items()):
        row = known.get(sku)
        if row is None or row.inventory_item_id is None or row.pending_quantity is not None:
            continue  # not in the shop, or a push of it is still on its way
        if not row.stocked:
            plan.not_stocked.append(sku)
            continue
        current = row.pushed_quantity if row.pushed_quantity is not None else row.store_quantity
        if current != quantity:
            changes.append(Change(sku, quantity, current, row))
    plan.changed = len(changes)
    return changes


def _queue(
    conn: Connection, plan: StockPlan, shop: str, cut: Sequence[Batch], now: datetime
) -> None:
    """Queue each batch, its SKUs waiting for it (`pending_quantity`) until it is performed."""
    inv = t.shop_inventory
    for batch in cut:
        payload = {"shop": shop, **batch.target, "items": batch.items}
        enqueue(conn, [Effect(STOCK, f"{STOCK}:{shop}:{uuid.uuid4()}", payload)], now)
        plan.queued_calls += 1
        conn.execute(
            update(inv)
            .where(inv.c.shop == shop, inv.c.sku == bindparam("b_sku"))
            .values(pending_quantity=bindparam("b_quantity")),
            [{"b_sku": item["sku"], "b_quantity": item["quantity"]} for item in batch.items],
        )
