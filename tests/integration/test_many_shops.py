"""An agency's Tandem: two Shopify shops and a WooCommerce shop under one `tandem run`.

Each shop's orders reach the shared supplier on POs of their own shop, each shop hears of
its own POs, and when one shop goes away the other two keep ordering."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tandem.connector.store import open_database
from tests.integration.daemon_support import free_port, start, stop, wait_for
from tests.standin import ShopifyStandin
from tests.standins.woocommerce import WooCommerceStandin
from tests.store.helpers import shops_served
from tests.suppliers.email.support import Recorder, smtp_server


@pytest.fixture
def inbox() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


@pytest.fixture
def two_shopify_shops() -> Iterator[tuple[ShopifyStandin, ShopifyStandin]]:
    north = ShopifyStandin(token="shpat_north", domain="north-garden.myshopify.com").start()
    south = ShopifyStandin(token="shpat_south", domain="south-garden.myshopify.com").start()
    try:
        yield north, south
    finally:
        north.stop()
        south.stop()


def agency_config(
    folder: Path,
    shopify: tuple[ShopifyStandin, ShopifyStandin],
    woo: WooCommerceStandin,
    smtp_port: int,
) -> Path:
    (folder / "acme.csv").write_text("sku,supplier_sku,name,cost,stock\nSPADE,AC-1,Spade,10,900\n")
    stores: list[dict[str, Any]] = [
        {
            "platform": "shopify",
            "shop_url": shop.url,
            "access_token": shop.token,
            "webhook_secret": f"whsec-{index}",
            "first_poll_lookback": "1d",
        }
        for index, shop in enumerate(shopify)
    ]
    stores.append(
        {
            "platform": "woocommerce",
            "shop_url": woo.url,
            "consumer_key": woo.consumer_key,
            "consumer_secret": woo.consumer_secret,
            "webhook_secret": "whsec-woo",
            "first_poll_lookback": "1d",
        }
    )
    data = {
        "database_url": f"sqlite:///{folder / 'tandem.db'}",
        "stores": stores,
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "po@agency.example"},
        "rules": {"default_mode": "back_to_back"},
        "suppliers": [
            {
                "id": "acme",
                "name": "Acme",
                "release": {"immediate": True},
                "catalogue": {"path": "acme.csv"},
                "transport": {"type": "email", "to": "orders@acme.example", "attach_pdf": False},
            }
        ],
        "daemon": {
            "intervals": {
                "poll_orders": "1s",
                "plan": "1s",
                "dispatch": "1s",
                "reconcile": "1h",
            },
        },
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_three_shops_order_apart_and_one_outage_leaves_the_others_running(
    two_shopify_shops: tuple[ShopifyStandin, ShopifyStandin],
    woocommerce_standin: WooCommerceStandin,
    inbox: tuple[Recorder, int],
    tmp_path: Path,
) -> None:
    recorder, smtp_port = inbox
    north, south = two_shopify_shops
    woo = woocommerce_standin
    for shop in (north, south):
        shop.add_variant("SPADE")
    woo.add_product("SPADE", stock=5)
    config = agency_config(tmp_path, (north, south), woo, smtp_port)
    hosts = [shop.url.split("//")[1] for shop in (north, south)] + [woo.host]
    port, log = free_port(), tmp_path / "tandem.log"
    process = start(config, port, log)
    try:
        north_order = north.add_order([("SPADE", 1)])
        south_order = south.add_order([("SPADE", 2)])
        woo_order = woo.add_order([("SPADE", 3)])
        wait_for(lambda: len(recorder.messages()) == 3, 60, "a PO per shop", log)
        numbers = {re.findall(r"PO-\d+", m["Subject"])[0] for m in recorder.messages()}

        def tagged(shop: ShopifyStandin, order: str) -> bool:
            return any(tag in numbers for tag in shop.order_tags(order))

        wait_for(lambda: tagged(north, north_order), 30, "north's order tagged", log)
        wait_for(lambda: tagged(south, south_order), 30, "south's order tagged", log)

        def noted(order: int) -> bool:
            return any(n in note for note in woo.order_notes(order) for n in numbers)

        wait_for(lambda: noted(woo_order), 30, "the WooCommerce order's note", log)
        # South goes away (its site is down): north and WooCommerce keep ordering.
        south.stop()
        north_again = north.add_order([("SPADE", 4)])
        woo_again = woo.add_order([("SPADE", 5)])
        wait_for(lambda: len(recorder.messages()) == 5, 60, "the next POs", log)

        numbers = {re.findall(r"PO-\d+", m["Subject"])[0] for m in recorder.messages()}
        wait_for(lambda: tagged(north, north_again), 30, "north's next order tagged", log)
        wait_for(lambda: noted(woo_again), 30, "the next WooCommerce order's note", log)
    finally:
        code = stop(process)
    assert code == 0, log.read_text()[-3000:]

    db = open_database(f"sqlite:///{tmp_path / 'tandem.db'}")
    served = shops_served(db)
    db.dispose()
    assert all(len(shops) == 1 for shops in served.values())  # no PO mixes shops
    assert sorted(shop for shops in served.values() for shop in shops) == sorted(
        [hosts[0], hosts[0], hosts[1], hosts[2], hosts[2]]
    )
