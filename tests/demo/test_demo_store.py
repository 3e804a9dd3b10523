"""`tandem demo`'s pieces together, on the packaged demo schema (no ../shared needed): the
stand-in seeded with the demo garden shop, Tandem syncing it, POs emailed to the mailbox,
tags, metafields, stock and a drop-ship fulfillment written back."""

from __future__ import annotations

import email
import email.policy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tandem.connector.clock import utcnow
from tandem.connector.configuration import load_config
from tandem.connector.demo.catalogue import (
    CURRENCY,
    SHOP_NAME,
    SUPPLIER_LIST,
    SUPPLIERS,
    SUPPLIERS_LOCATION,
    random_order,
    seed_store,
    write_catalogues,
)
from tandem.connector.demo.mailbox import Mailbox
from tandem.connector.services.shipments import record_shipment
from tandem.connector.store import open_database
from tandem.connector.store.views import list_exceptions, list_pos
from tandem.connector.sync import SyncReport, sync_once
from tandem_shopify_standin import DEMO_SCHEMA_PATH, ShopifyStandin

BUFFER = 1


@pytest.fixture
def shop() -> Iterator[ShopifyStandin]:
    with ShopifyStandin(
        schema_path=DEMO_SCHEMA_PATH, shop_name=SHOP_NAME, currency=CURRENCY
    ) as standin:
        assert standin.schema_source == "demo"
        yield standin


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    with Mailbox(tmp_path / "mailbox") as box:
        yield box


def demo_config(folder: Path, shop: ShopifyStandin, mailbox: Mailbox) -> Path:
    """What `tandem demo` writes, with every supplier releasing at once."""
    write_catalogues(folder)
    suppliers = [dict(s, release={"immediate": True}) for s in SUPPLIERS]
    data: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'tandem.db'}",
        "timezone": "Europe/London",
        "currency": CURRENCY,
        "store": {
            "platform": "shopify",
            "shop_url": shop.url,
            "access_token": shop.token,
            "webhook_secret": "whsec-demo",
            # Orders are placed before the first sync, which must reach back to them.
            "first_poll_lookback": "1d",
            "stock_push": {
                "enabled": True,
                "location": SUPPLIERS_LOCATION,
                "buffer": BUFFER,
                "continue_selling_back_to_back": True,
            },
        },
        "smtp": {
            "host": "127.0.0.1",
            "port": mailbox.port,
            "from": "Purchasing <purchasing@demo-garden.example>",
        },
        "rules": {"default_mode": "back_to_back"},
        "suppliers": suppliers,
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def sync(config_path: Path) -> SyncReport:
    config = load_config(config_path)
    report = sync_once(open_database(config.database_url), config, utcnow())
    assert report.ok, (report.problems, report.failures)
    return report


def test_a_full_round_trip_on_the_demo_schema(
    shop: ShopifyStandin, mailbox: Mailbox, tmp_path: Path
) -> None:
    rng = random.Random(11)
    products = seed_store(shop, rng)
    assert len(products) == 24
    config_path = demo_config(tmp_path, shop, mailbox)

    b2b = shop.add_order([("GT-TROWEL", 2), ("GT-SHEARS", 1)])  # shears: Greenleaf has none
    plants = shop.add_order([("PL-LAVENDER-3", 1)])  # only Bloom, which drop-ships
    tagged = shop.add_order([("PT-RAISED-BED", 1)], tags=["dropship"])
    extra = [random_order(shop, rng) for _ in range(6)]

    report = sync(config_path)
    assert report.orders.created == 3 + len(extra)

    config = load_config(config_path)
    db = open_database(config.database_url)
    with db.read() as conn:
        pos = list_pos(conn)
        assert list_exceptions(conn) == []
    by_key = {(p["supplier"], p["mode"]) for p in pos}
    assert {("greenleaf", "back_to_back"), ("hortus", "back_to_back")} <= by_key
    assert ("bloom", "drop_ship") in by_key and ("hortus", "drop_ship") in by_key
    assert all(p["status"] == "sent" for p in pos), [(p["number"], p["status"]) for p in pos]

    # Every PO went to its supplier's address, through the mailbox.
    received = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in mailbox.messages()
    ]
    assert len(received) == len(pos)
    addresses = {s.email for s in SUPPLIER_LIST}
    assert {str(m["To"]) for m in received} <= addresses
    assert all(str(m["Delivered-To"]) in addresses for m in received)

    # Tags and the metafield are back on the orders.
    for order in (b2b, plants, tagged, *extra):
        tags = shop.order_tags(order)
        assert any(tag.startswith("PO-") for tag in tags), tags
        field = shop.metafield(order, "tandem", "purchase_orders")
        assert field is not None and json.loads(field["value"])
    assert "dropship" in shop.order_tags(tagged)

    # All suppliers' stock, less the buffer, at the Suppliers location; back-to-back keeps
    # selling.
    suppliers = next(
        loc["id"]
        for loc in shop.execute("{ locations(first: 5) { nodes { id name } } }")["data"][
            "locations"
        ]["nodes"]
        if loc["name"] == SUPPLIERS_LOCATION
    )
    for sku in ("GT-TROWEL", "GT-SHEARS", "PL-OLIVE-80"):
        stock = sum(i.stock for s in SUPPLIER_LIST for i in s.listings if i.sku == sku)
        assert shop.inventory_quantity(sku, location_id=suppliers) == stock - BUFFER
    assert shop.variant_policy("GT-TROWEL") == "CONTINUE"
    assert shop.variant_policy("PL-OLIVE-80") == "DENY"  # drop-ship only

    # Bloom ships the lavender: a fulfillment with tracking on the customer's order.
    lavender = next(
        p["number"]
        for p in pos
        if p["supplier"] == "bloom" and any(line["sku"] == "PL-LAVENDER-3" for line in p["lines"])
    )
    record_shipment(db, config, lavender, ["DEMO123456789GB"], utcnow(), carrier="Royal Mail")
    sync(config_path)
    [fulfillment] = shop.fulfillments(plants)
    assert fulfillment["tracking"][0]["number"] == "DEMO123456789GB"

    # Every document Tandem sent validated against the demo schema and ran.
    assert shop.requests and all(r.accepted for r in shop.requests), [
        (r.operation_name, r.errors) for r in shop.requests if not r.accepted
    ]
    assert {
        "OrdersUpdated",
        "OrdersById",
        "TagsAdd",
        "TagsRemove",
        "MetafieldsSet",
        "Locations",
        "InventoryItemsBySku",
        "InventorySetQuantities",
        "VariantsContinueSelling",
        "FulfillmentOrders",
        "FulfillmentCreate",
    } <= set(shop.operations())


def test_webhook_registration_on_the_demo_schema(
    shop: ShopifyStandin, mailbox: Mailbox, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from tandem.connector.cli import app

    config_path = demo_config(tmp_path, shop, mailbox)
    url = "https://tandem.example/webhooks/shopify"
    for _ in range(2):
        result = CliRunner().invoke(
            app, ["shopify", "webhooks", "register", "--config", str(config_path), "--url", url]
        )
        assert result.exit_code == 0, result.output
    topics = sorted(s["topic"] for s in shop.webhook_subscriptions())
    assert len(topics) == len(set(topics)) == 6
    assert all(r.accepted for r in shop.requests)
    assert {"WebhookSubscriptions", "WebhookSubscriptionCreate"} <= set(shop.operations())
