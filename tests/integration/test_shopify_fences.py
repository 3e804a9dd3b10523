"""Fences on the shop's side: a second or fresh database pointed at a shop another one already
served orders nothing again; it lists each order that shop says was handled, naming the PO.
Tandem's own marks on an order never fence itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tandem.connector.configuration import load_config
from tandem.connector.store import Database, open_database
from tandem.connector.store import schema as t
from tests.integration.shopify_support import (
    config_data,
    exceptions,
    pos,
    tandem,
    write_config,
)
from tests.standin import ShopifyStandin

HANDLED = "handled_elsewhere"


def another_database(shop: ShopifyStandin, tmp_path: Path, **store: Any) -> Path:
    """The same shop and suppliers, with an empty database of its own in another folder."""
    folder = tmp_path / "second"
    folder.mkdir()
    data = config_data(shop, folder)
    data["store"].update(store)
    return write_config(folder / "tandem.yaml", data)


def database_of(config: Path) -> Database:
    return open_database(load_config(config).database_url)


def name_the_database(config: Path, database_id: str) -> None:
    """What a database records on its first run (tandem.connector.store.identity): which shop it
    serves, under its own id."""
    db = database_of(config)
    with db.write() as conn:
        conn.execute(
            t.store_identity.insert().values(
                shop=load_config(config).store.shop_name,
                platform="shopify",
                database_id=database_id,
                first_run_at=datetime.now(UTC) - timedelta(days=2),
            )
        )
    db.dispose()


def handled(config: Path) -> dict[str, str]:
    """Order name -> message of each open handled_elsewhere exception."""
    return {e["order_name"]: e["message"] for e in exceptions(config) if e["kind"] == HANDLED}


def test_a_second_empty_database_on_the_same_shop_releases_nothing_and_names_the_pos(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path
) -> None:
    spade = shop.add_order([("SPADE", 2)])
    rose = shop.add_order([("ROSE", 1)], tags=["dropship"])
    tandem("sync", "--config", str(config_file))
    first = {p["supplier"]: p["number"] for p in pos(config_file)}
    assert set(first) == {"acme", "bloom"}  # released and written back to both orders
    assert first["acme"] in shop.order_tags(spade)
    assert shop.metafield(rose, "tandem", "purchase_orders") is not None

    second = another_database(shop, tmp_path)  # its first poll reaches back a day
    refused = tandem("sync", "--config", str(second), code=1)
    assert refused.count("\n") == 1 and "is served by another Tandem database" in refused
    assert "tandem db adopt-shop" in refused and pos(second) == []

    # The first database is lost for good, says its merchant: the second adopts the shop.
    adopted = tandem("db", "adopt-shop", "--config", str(second))
    assert "is now served by" in adopted
    out = tandem("sync", "--config", str(second))

    assert pos(second) == []
    assert "released" not in out
    said = handled(second)
    assert set(said) == {shop.order(spade)["name"], shop.order(rose)["name"]}
    assert said[shop.order(spade)["name"]].startswith(
        f"order {shop.order(spade)['name']} already names {first['acme']} (Acme,"
    )
    assert "from another Tandem database" in said[shop.order(rose)["name"]]
    assert "2 × SPADE" in said[shop.order(spade)["name"]]

    # Planning again, or the next poll, changes nothing: still no PO, no duplicate exception.
    tandem("plan", "--all", "--config", str(second))
    tandem("sync", "--config", str(second))
    assert pos(second) == []
    assert len([e for e in exceptions(second) if e["kind"] == HANDLED]) == 2

    # The first database comes back: the shop now names the second one, so it refuses too.
    assert "is served by another" in tandem("sync", "--config", str(config_file), code=1)
    # Adopted back, it re-reads its own orders (tags and metafield now on them): no fence.
    tandem("db", "adopt-shop", "--config", str(config_file))
    tandem("sync", "--config", str(config_file))
    assert {p["supplier"]: p["number"] for p in pos(config_file)} == first
    assert handled(config_file) == {}


def test_a_line_added_to_an_order_this_database_served_is_ordered_not_fenced(
    shop: ShopifyStandin, config_file: Path
) -> None:
    order = shop.add_order([("SPADE", 1), ("RAKE", 1)])  # RAKE: in no catalogue yet
    tandem("sync", "--config", str(config_file))
    tandem("sync", "--config", str(config_file))  # re-reads the order with our PO on it
    [po] = pos(config_file)
    assert po["number"] in shop.order_tags(order)
    assert [e["kind"] for e in exceptions(config_file)] == ["unmapped_sku"]

    acme = config_file.parent / "acme.csv"
    acme.write_text(acme.read_text() + "RAKE,AC-3,Rake,7.00,10\n")
    tandem("sync", "--config", str(config_file))

    assert exceptions(config_file) == []
    assert len(pos(config_file)) == 2  # RAKE on a PO of its own (Acme released the first)


def test_database_ids_tell_our_pos_from_another_databases_with_the_same_numbers(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path
) -> None:
    name_the_database(config_file, "db-one")
    second = another_database(shop, tmp_path)
    name_the_database(second, "db-two")
    served = shop.add_order([("SPADE", 2)])
    tandem("sync", "--config", str(config_file))
    [po] = pos(config_file)
    field = shop.metafield(served, "tandem", "purchase_orders")
    assert field is not None
    assert [(e["number"], e["database"]) for e in json.loads(field["value"])] == [
        (po["number"], "db-one")
    ]

    tandem("db", "adopt-shop", "--config", str(second))
    tandem("sync", "--config", str(second))
    [exception] = [e for e in exceptions(second) if e["kind"] == HANDLED]
    assert f"already names {po['number']} (Acme," in exception["message"]

    # The merchant knows better: the second database orders it deliberately. Its first PO has
    # the same number as the first database's, and the order now names both databases' POs.
    out = tandem("exceptions", "plan-anyway", str(exception["id"]), "--config", str(second))
    assert f"exception {exception['id']} resolved" in out
    [mine] = pos(second)
    assert mine["number"] == po["number"]
    tandem("sync", "--config", str(second))
    field = shop.metafield(served, "tandem", "purchase_orders")
    assert field is not None
    assert [(e["number"], e["database"]) for e in json.loads(field["value"])] == [
        (po["number"], "db-two")
    ]
    [resolved] = [e for e in exceptions_all(second) if e["kind"] == HANDLED]
    assert resolved["status"] == "resolved" and "anyway" in resolved["resolution"]

    # Neither database fences itself on its next passes (each adopting the shop in turn).
    tandem("sync", "--config", str(second))
    tandem("db", "adopt-shop", "--config", str(config_file))
    tandem("sync", "--config", str(config_file))
    assert handled(second) == {} and handled(config_file) == {}
    assert len(pos(second)) == 1 and len(pos(config_file)) == 1


def exceptions_all(config: Path) -> list[dict[str, Any]]:
    listed = tandem("exceptions", "list", "--all", "--json", "--config", str(config))
    return json.loads(listed)  # type: ignore[no-any-return]


FULFILL = """
mutation Fulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id } userErrors { message } }
}
"""


def test_an_order_fulfilled_or_held_in_the_shop_is_not_ordered(
    shop: ShopifyStandin, config_file: Path
) -> None:
    fulfilled = shop.add_order([("SPADE", 2)])
    held = shop.add_order([("FORK", 1)])
    [fo] = shop.fulfillment_orders(fulfilled)  # the merchant ships it from the shelf
    answer = shop.execute(
        FULFILL,
        {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]}},
    )
    assert answer["data"]["fulfillmentCreate"]["userErrors"] == []
    shop.hold_fulfillment(held)

    tandem("sync", "--config", str(config_file))

    assert pos(config_file) == []
    said = handled(config_file)
    name, other = shop.order(fulfilled)["name"], shop.order(held)["name"]
    assert said[name].startswith(f"order {name}: 2 of 2 × SPADE already fulfilled in the shop.")
    assert said[other].startswith(f"order {other}'s fulfilment is on hold in the shop.")

    # The hold is released: the next poll reads the order again and the fence lifts by itself.
    shop.advance_time(5)
    shop.release_fulfillment_hold(held)
    tandem("sync", "--config", str(config_file))
    assert [p["supplier"] for p in pos(config_file)] == ["acme"]
    assert set(handled(config_file)) == {name}


def test_a_first_poll_looks_back_at_nothing_and_backfill_shows_before_it_orders(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path
) -> None:
    # `config_file` only sets the shop's token in the environment; the database is a new one.
    served = shop.add_order([("SPADE", 2)])
    other = shop.add_order([("SPADE", 1), ("FORK", 1)])
    config = another_database(shop, tmp_path, first_poll_lookback=None)
    out = tandem("sync", "--config", str(config))
    assert "orders: 0 new" in out and pos(config) == []

    # Another database served the first order meanwhile (its PO tag is on it).
    shop.update_order(served, tags=["PO-00042"])
    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    dry = tandem("backfill", "--since", since, "--dry-run", "--config", str(config))
    assert "2 order(s) updated since" in dry and "dry run" in dry
    assert "would order from Acme (back-to-back):" in dry
    assert f"1 × SPADE (AC-1) for {shop.order(other)['name']}" in dry
    assert f"1 × FORK (AC-2) for {shop.order(other)['name']}" in dry
    assert "is tagged PO-00042, not a PO of this database" in dry
    shown = json.loads(
        tandem("backfill", "--since", since, "--dry-run", "--json", "--config", str(config))
    )
    assert [(x["supplier_id"], x["sku"], x["units"]) for x in shown["ordered"]] == [
        ("acme", "FORK", 1),
        ("acme", "SPADE", 1),
    ]
    assert [(x["kind"], x["order"]) for x in shown["exceptions"]] == [
        (HANDLED, shop.order(served)["name"])
    ]
    db = database_of(config)
    with db.read() as conn:  # nothing was kept
        assert conn.execute(t.orders.select()).first() is None
        assert conn.execute(t.purchase_orders.select()).first() is None
        assert conn.execute(t.exceptions.select()).first() is None
    db.dispose()

    out = tandem("backfill", "--since", since, "--config", str(config))
    assert "ordered from Acme (back-to-back):" in out and "released: PO-00001" in out
    [po] = pos(config)
    assert po["supplier"] == "acme"
    assert set(handled(config)) == {shop.order(served)["name"]}
