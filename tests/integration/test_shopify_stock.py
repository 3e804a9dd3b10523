"""Supplier stock pushed to the shop's "Suppliers" location: 250 quantities per call at most,
a figure the merchant changed meanwhile is re-read rather than overwritten, a push retried by a
later pass is applied once under the key it was queued with, a SKU the merchant adds to the
shop later is found again, and a SKU no supplier offers any more is no longer for sale."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from tandem.adapters.shopify.stock import RECHECK, StockPlan, plan_stock_push
from tandem.adapters.shopify.sync import shop_key
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig, load_config
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.integration.shopify_support import (
    client_for,
    config_data,
    tandem,
    write_back_later,
    write_config,
)
from tests.standin import ShopifyStandin


def suppliers_location(shop: ShopifyStandin) -> str:
    body = shop.execute("{ locations(first: 5) { nodes { id name } } }")
    return next(n["id"] for n in body["data"]["locations"]["nodes"] if n["name"] == "Suppliers")


def pushes(shop: ShopifyStandin) -> list[list[dict[str, object]]]:
    """The quantities of each inventorySetQuantities call Shopify ran."""
    return [
        r.variables["input"]["quantities"]
        for r in shop.accepted_requests
        if r.operation_name == "InventorySetQuantities"
    ]


def test_600_changed_skus_go_in_three_calls_of_at_most_250(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path
) -> None:
    data = config_data(shop, tmp_path)
    # One product per variant here: keeping each sellable would be 600 more calls.
    data["store"]["stock_push"]["continue_selling_back_to_back"] = False
    write_config(config_file, data)
    location = suppliers_location(shop)
    skus = [f"BULK-{n:04d}" for n in range(600)]
    for sku in skus:
        shop.add_variant(sku, inventory_quantity=0, location_id=location)
    rows = "".join(f"{sku},AC-{sku},Item {sku},1.00,{n % 50 + 10}\n" for n, sku in enumerate(skus))
    (tmp_path / "acme.csv").write_text("sku,supplier_sku,name,cost,stock\n" + rows)

    tandem("sync", "--config", str(config_file))

    calls = pushes(shop)  # Acme's 600 SKUs and Bloom's ROSE
    assert sorted(len(q) for q in calls) == [101, 250, 250]
    assert all(r.outcome == "ok" for r in shop.requests)  # no call over Shopify's limit
    for n, sku in enumerate(skus):
        assert shop.inventory_quantity(sku, location_id=location) == n % 50 + 10 - 2  # buffer
    keys = [a["idempotency_key"] for a in shop.inventory_adjustments]
    assert len(set(keys)) == 3  # one key per call

    before = len(pushes(shop))
    tandem("sync", "--config", str(config_file))
    assert len(pushes(shop)) == before  # nothing changed: nothing pushed


def test_a_quantity_the_merchant_changed_is_read_again_not_overwritten(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path
) -> None:
    location = suppliers_location(shop)
    tandem("sync", "--config", str(config_file))
    assert shop.inventory_quantity("SPADE", location_id=location) == 38
    assert shop.inventory_quantity("FORK", location_id=location) == 10

    # The merchant corrects SPADE by hand; then Acme's feed changes both figures.
    shop.set_inventory("SPADE", 5, location_id=location)
    (tmp_path / "acme.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nSPADE,AC-1,Spade,10.00,30\nFORK,AC-2,Fork,9.00,20\n"
    )
    shop.clear_requests()
    tandem("sync", "--config", str(config_file))
    # Tandem's push still expected 38: Shopify refused it whole, so nothing was clobbered.
    [stale] = pushes(shop)
    assert {q["changeFromQuantity"] for q in stale} == {38, 10}
    assert shop.inventory_quantity("SPADE", location_id=location) == 5
    assert shop.inventory_quantity("FORK", location_id=location) == 10
    assert "store_write_failed" not in tandem("exceptions", "list", "--config", str(config_file))

    # The next pass reads the shop's figures again and sets the supplier's against them.
    tandem("sync", "--config", str(config_file))
    retried = pushes(shop)[-1]
    assert sorted((q["quantity"], q["changeFromQuantity"]) for q in retried) == [(18, 10), (28, 5)]
    assert shop.inventory_quantity("SPADE", location_id=location) == 28
    assert shop.inventory_quantity("FORK", location_id=location) == 18


def test_a_push_retried_by_a_later_pass_reuses_its_key_and_applies_once(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, tmp_path: Path
) -> None:
    location = suppliers_location(shop)
    data = config_data(shop, tmp_path)
    data["store"]["stock_push"]["continue_selling_back_to_back"] = False
    config = load_config(write_config(config_file, data))
    for supplier in ("acme", "bloom"):
        tandem("catalogue", "import", "--supplier", supplier, "--config", str(config_file))

    async def plan() -> None:
        async with client_for(shop) as client:
            await plan_stock_push(tandem_db, client, config, shop_key(config), utcnow())

    asyncio.run(plan())
    with tandem_db.read() as conn:
        [queued_key] = conn.execute(select(t.outbox.c.idempotency_key)).scalars()

    # Shopify sets the quantities but the answer is lost; this client does not retry itself.
    shop.lose_answer_next("InventorySetQuantities")
    first = write_back_later(tandem_db, config, shop, after=timedelta(0), max_attempts=1)
    assert first.retried == 1
    second = write_back_later(tandem_db, config, shop, max_attempts=1)
    assert second.done == 1

    sent = [r for r in shop.accepted_requests if r.operation_name == "InventorySetQuantities"]
    assert [r.variables["key"] for r in sent] == [queued_key, queued_key]
    assert len(shop.inventory_adjustments) == 1  # the second call was a replay
    assert shop.inventory_quantity("SPADE", location_id=location) == 38
    with tandem_db.read() as conn:
        pushed = dict(
            conn.execute(select(t.shop_inventory.c.sku, t.shop_inventory.c.pushed_quantity)).all()
        )
    assert pushed == {"SPADE": 38, "FORK": 10, "ROSE": 7}


def plan_at(shop: ShopifyStandin, db: Database, config: TandemConfig, now: datetime) -> StockPlan:
    """The stock push as a pass at `now` plans it."""

    async def plan() -> StockPlan:
        async with client_for(shop) as client:
            return await plan_stock_push(db, client, config, shop_key(config), now)

    return asyncio.run(plan())


def test_a_sku_added_to_the_shop_later_gets_its_stock_after_the_recheck_period(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, tmp_path: Path
) -> None:
    location = suppliers_location(shop)
    data = config_data(shop, tmp_path)
    data["store"]["stock_push"]["continue_selling_back_to_back"] = False
    config = load_config(write_config(config_file, data))
    # Acme offers a rake the shop does not sell yet, and a hoe it stocks elsewhere only.
    shop.add_variant("HOE", inventory_quantity=3)
    (tmp_path / "acme.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nSPADE,AC-1,Spade,10.00,40\n"
        "RAKE,AC-3,Rake,12.00,15\nHOE,AC-4,Hoe,8.00,6\n"
    )
    tandem("catalogue", "import", "--supplier", "acme", "--config", str(config_file))
    start = utcnow()
    first = plan_at(shop, tandem_db, config, start)
    assert (first.not_in_store, first.not_stocked) == (1, ["HOE"])

    # Next week the merchant creates the product; within the recheck period neither SKU is
    # asked for again.
    shop.add_variant("RAKE", inventory_quantity=0, location_id=location)
    assert plan_at(shop, tandem_db, config, start + RECHECK / 2).looked_up == 0

    later = start + RECHECK + timedelta(minutes=1)
    found = plan_at(shop, tandem_db, config, later)
    assert (found.looked_up, found.not_in_store, found.changed) == (2, 0, 1)
    assert found.not_stocked == ["HOE"]
    write_back_later(tandem_db, config, shop, after=later - start + timedelta(minutes=1))
    assert shop.inventory_quantity("RAKE", location_id=location) == 13  # 15 minus the buffer


def test_a_sku_no_active_supplier_offers_any_more_is_set_to_zero(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path
) -> None:
    location = suppliers_location(shop)
    tandem("sync", "--config", str(config_file))
    assert shop.inventory_quantity("FORK", location_id=location) == 10
    assert shop.inventory_quantity("ROSE", location_id=location) == 7

    # Bloom is switched off, and Acme's feed drops FORK.
    data = config_data(shop, tmp_path)
    data["suppliers"][1]["active"] = False
    write_config(config_file, data)
    (tmp_path / "acme.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nSPADE,AC-1,Spade,10.00,40\n"
    )
    shop.clear_requests()
    tandem("sync", "--config", str(config_file))
    [withdrawn] = pushes(shop)
    assert sorted((q["quantity"], q["changeFromQuantity"]) for q in withdrawn) == [(0, 7), (0, 10)]
    assert shop.inventory_quantity("FORK", location_id=location) == 0
    assert shop.inventory_quantity("ROSE", location_id=location) == 0
    assert shop.inventory_quantity("SPADE", location_id=location) == 38

    tandem("sync", "--config", str(config_file))
    assert len(pushes(shop)) == 1  # zero is what the shop has now: nothing more to push


def test_a_push_records_when_the_shop_took_it(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database
) -> None:
    config = load_config(config_file)
    for supplier in ("acme", "bloom"):
        tandem("catalogue", "import", "--supplier", supplier, "--config", str(config_file))
    started = utcnow()
    plan_at(shop, tandem_db, config, started)
    shop.delay_next(1.5)  # a slow answer, as under load
    write_back_later(tandem_db, config, shop, after=timedelta(0))
    with tandem_db.read() as conn:
        pushed = conn.execute(select(t.shop_inventory.c.pushed_at)).scalars().all()
    assert len(pushed) == 3 and None not in pushed  # SPADE, FORK, ROSE
    assert min(pushed) >= started + timedelta(seconds=1.5)  # when it answered, not before


def test_a_push_shopify_refuses_is_reported_and_the_next_pass_pushes_again(
    shop: ShopifyStandin, config_file: Path
) -> None:
    location = suppliers_location(shop)
    refusal = {"field": ["input", "quantities", "0"], "message": "Location is being moved"}
    shop.answer_next(
        "InventorySetQuantities",
        200,
        {
            "data": {
                "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": None,
                    "userErrors": [refusal],
                }
            }
        },
    )
    tandem("sync", "--config", str(config_file), code=1)
    listed = tandem("exceptions", "list", "--config", str(config_file))
    assert "store_write_failed" in listed and "Location is being moved" in listed
    assert shop.inventory_quantity("SPADE", location_id=location) == 0

    # Given up, the SKUs wait for no push any more: the next pass sets them.
    tandem("sync", "--config", str(config_file))
    assert shop.inventory_quantity("SPADE", location_id=location) == 38
