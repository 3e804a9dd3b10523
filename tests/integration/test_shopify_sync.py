"""`tandem sync` against the Shopify stand-in: orders in the shop become POs in Tandem, and
tags, the metafield, fulfillments and stock appear back in the shop."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tandem.connector.configuration import load_config
from tandem.connector.store import Database, open_database
from tandem.connector.store import schema as t
from tests.integration.shopify_support import mutations, pos, tandem, write_back_later
from tests.standin import ShopifyStandin


def test_orders_become_pos_and_status_tracking_and_stock_flow_back(
    shop: ShopifyStandin, config_file: Path
) -> None:
    b2b = shop.add_order([("SPADE", 2), ("FORK", 1)], tags=["vip"])
    drop = shop.add_order([("ROSE", 1)], tags=["dropship"])
    pending = shop.add_order([("SPADE", 5)], financial_status="PENDING")

    out = tandem("sync", "--config", str(config_file))
    assert "orders: 3 new" in out
    listed = {(p["supplier"], p["mode"]): p for p in pos(config_file)}
    acme = listed[("acme", "back_to_back")]
    bloom = listed[("bloom", "drop_ship")]
    assert {(line["sku"], line["quantity"]) for line in acme["lines"]} == {
        ("SPADE", 2),
        ("FORK", 1),
    }
    assert acme["status"] == bloom["status"] == "released"

    # Tags: the merchant's stay, the PO number and status are added.
    tags = shop.order_tags(b2b)
    assert {"vip", acme["number"], "tandem:released"} <= set(tags)
    assert set(shop.order_tags(drop)) >= {"dropship", bloom["number"], "tandem:released"}
    assert shop.order_tags(pending) == []  # not paid: not planned, nothing written
    field = shop.metafield(b2b, "tandem", "purchase_orders")
    assert field is not None and field["type"] == "json"
    written = json.loads(field["value"])
    assert written[0]["number"] == acme["number"]
    assert written[0]["supplier"] == "Acme"
    assert {(x["sku"], x["quantity"]) for x in written[0]["lines"]} == {("SPADE", 2), ("FORK", 1)}

    # Stock: supplier stock minus the buffer at the Suppliers location; b2b keeps selling.
    suppliers = next(
        loc["id"]
        for loc in shop.execute("{ locations(first: 5) { nodes { id name } } }")["data"][
            "locations"
        ]["nodes"]
        if loc["name"] == "Suppliers"
    )
    assert shop.inventory_quantity("SPADE", location_id=suppliers) == 38
    assert shop.inventory_quantity("ROSE", location_id=suppliers) == 7
    assert shop.variant_policy("SPADE") == "CONTINUE"
    assert shop.variant_policy("ROSE") == "DENY"  # drop-ship only

    # Every document was valid and nothing deprecated was used.
    assert all(r.accepted for r in shop.requests)
    assert shop.deprecated_requests == []

    # A second pass changes nothing in the shop.
    before = len(mutations(shop))
    out = tandem("sync", "--config", str(config_file))
    assert "0 new" in out
    assert len(mutations(shop)) == before
    assert shop.order_tags(b2b).count(acme["number"]) == 1

    # The drop-ship supplier ships: a fulfillment with tracking on the customer's order.
    tandem(
        "po",
        "ship",
        bloom["number"],
        "--config",
        str(config_file),
        "--tracking",
        "1Z999",
        "--carrier",
        "UPS",
    )
    tandem("sync", "--config", str(config_file))
    fulfillments = shop.fulfillments(drop)
    assert len(fulfillments) == 1
    assert "1Z999" in json.dumps(fulfillments[0])
    assert "tandem:shipped" in shop.order_tags(drop)
    assert "tandem:released" not in shop.order_tags(drop)
    tandem("sync", "--config", str(config_file))
    assert len(shop.fulfillments(drop)) == 1  # never twice


def test_partial_shipments_with_several_tracking_numbers(
    shop: ShopifyStandin, config_file: Path
) -> None:
    drop = shop.add_order([("ROSE", 3)], tags=["dropship"])
    tandem("sync", "--config", str(config_file))
    number = next(p["number"] for p in pos(config_file) if p["supplier"] == "bloom")
    for tracking in ("TRK-A", "TRK-B"):
        tandem(
            "po",
            "ship",
            number,
            "--config",
            str(config_file),
            "--tracking",
            tracking,
            "--sku",
            "ROSE",
            "--quantity",
            "1",
        )
    tandem(
        "po",
        "ship",
        number,
        "--config",
        str(config_file),
        "--tracking",
        "TRK-C",
        "--tracking",
        "TRK-D",
    )
    tandem("sync", "--config", str(config_file))
    fulfillments = shop.fulfillments(drop)
    assert len(fulfillments) == 3
    text = json.dumps(fulfillments)
    for tracking in ("TRK-A", "TRK-B", "TRK-C", "TRK-D"):
        assert tracking in text
    fulfillment_orders = shop.fulfillment_orders(drop)
    assert sum(line["remaining"] for fo in fulfillment_orders for line in fo["lines"]) == 0
    assert {fo["status"] for fo in fulfillment_orders} == {"CLOSED"}


def test_an_edit_after_release_becomes_a_change_request(
    shop: ShopifyStandin, config_file: Path
) -> None:
    order = shop.add_order([("SPADE", 4)])
    tandem("sync", "--config", str(config_file))
    line = shop.line_item_ids(order)[0]
    shop.edit_line_quantity(order, line, 1)
    shop.advance_time(5)
    tandem("sync", "--config", str(config_file))
    listed = json.loads(tandem("exceptions", "list", "--config", str(config_file), "--json"))
    assert any(e["kind"] == "po_change_requested" for e in listed), listed


def test_webhook_registration_keeps_existing_subscriptions(
    shop: ShopifyStandin, config_file: Path
) -> None:
    url = "https://tandem.example/webhooks/shopify"
    shop.add_webhook_subscription("ORDERS_CREATE", url)
    out = tandem("shopify", "webhooks", "register", "--config", str(config_file), "--url", url)
    assert "kept    orders/create" in out
    tandem("shopify", "webhooks", "register", "--config", str(config_file), "--url", url)
    topics = sorted(s["topic"] for s in shop.webhook_subscriptions())
    assert topics == sorted(
        [
            "ORDERS_CREATE",
            "ORDERS_UPDATED",
            "ORDERS_PAID",
            "ORDERS_CANCELLED",
            "ORDERS_EDITED",
            "APP_UNINSTALLED",
        ]
    )


def test_a_wrong_token_fails_the_pass_with_a_clear_summary(
    shop: ShopifyStandin, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.add_order([("SPADE", 1)])
    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_wrong_token_value")
    out = tandem("sync", "--config", str(config_file), code=1)
    assert "polling orders: Shopify refused the access token" in out
    assert "failed step(s)" in out
    assert "shpat_wrong_token_value" not in out


def test_an_outage_is_retried_and_nothing_is_lost(shop: ShopifyStandin, config_file: Path) -> None:
    order = shop.add_order([("SPADE", 2)])
    shop.fail_next(503, times=2)
    shop.rate_limit_next(retry_after=0.2)
    tandem("sync", "--config", str(config_file))
    listed = pos(config_file)
    assert [line["quantity"] for p in listed for line in p["lines"]] == [2]
    assert listed[0]["number"] in shop.order_tags(order)


def test_a_cancelled_order_cancels_its_draft_and_asks_the_supplier_after_release(
    shop: ShopifyStandin, config_file: Path
) -> None:
    order = shop.add_order([("ROSE", 2)], tags=["dropship"])
    tandem("sync", "--config", str(config_file))
    shop.cancel_order(order)
    shop.advance_time(5)
    tandem("sync", "--config", str(config_file))
    listed = json.loads(tandem("exceptions", "list", "--config", str(config_file), "--json"))
    assert any(e["kind"] == "po_change_requested" and "cancel" in e["message"] for e in listed)
    [po] = pos(config_file)
    assert po["status"] == "cancelled"


def test_the_poll_cursor_overlaps_and_never_passes_the_start(
    shop: ShopifyStandin, config_file: Path
) -> None:
    tandem("sync", "--config", str(config_file))
    db = open_database(load_config(config_file).database_url)
    with db.read() as conn:
        polled_until = conn.execute(select(t.shop_cursors.c.polled_until)).scalar_one()
    shop.clear_requests()
    tandem("sync", "--config", str(config_file))
    [query] = [
        r.variables["query"] for r in shop.accepted_requests if r.operation_name == "OrdersUpdated"
    ]
    since = polled_until - timedelta(minutes=5)
    assert query == f"updated_at:>='{since:%Y-%m-%dT%H:%M:%SZ}'"


def test_an_unreadable_answer_fails_the_step_clearly_and_the_next_pass_recovers(
    shop: ShopifyStandin, config_file: Path
) -> None:
    order = shop.add_order([("SPADE", 2)])
    shop.answer_next("OrdersUpdated", 200, {"data": {"orders": {"nodes": [{"updatedAt": "x"}]}}})
    out = tandem("sync", "--config", str(config_file), code=1)
    assert "polling orders: Shopify's answer to OrdersUpdated is not what Tandem expects" in out
    assert "Traceback" not in out
    tandem("sync", "--config", str(config_file))
    [po] = pos(config_file)
    assert po["number"] in shop.order_tags(order)


def test_a_write_back_answered_without_data_waits_in_the_outbox(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database
) -> None:
    order = shop.add_order([("SPADE", 2)])
    shop.answer_next("TagsAdd", 200, {"data": None})
    tandem("sync", "--config", str(config_file))
    assert shop.order_tags(order) == []
    with tandem_db.read() as conn:
        [(status, error)] = conn.execute(
            select(t.outbox.c.status, t.outbox.c.last_error).where(
                t.outbox.c.kind == "store.order_status"
            )
        ).all()
    assert status == "pending"  # not left leased, not given up
    assert error == "Shopify answered TagsAdd without data"
    report = write_back_later(tandem_db, load_config(config_file), shop)
    assert report.done == 1
    [po] = pos(config_file)
    assert {po["number"], "tandem:released"} <= set(shop.order_tags(order))
