"""Shopify webhooks into Tandem's web app: each delivery, however often Shopify sends it,
stores and plans its order once, and a poll over the same orders finds nothing left to do."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tandem.adapters.shopify.deliveries import MAX_ATTEMPTS, process_deliveries
from tandem.adapters.shopify.errors import ShopifyError
from tandem.adapters.shopify.sync import shop_key
from tandem.adapters.suppliers import make_channel
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig, load_config
from tandem.connector.platforms import Delivery, store_delivery
from tandem.connector.services.polling import OrdersReport
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.shop_stops import shop_stopped
from tandem.connector.sync import SyncReport, store_pass
from tandem.connector.web import create_app
from tests.integration.shopify_support import (
    SECRET,
    client_for,
    exceptions,
    mutation_counts,
    po_number,
    tandem,
)
from tests.standin import ShopifyStandin
from tests.standin.shopify import INVALID_TOKEN


def after_webhooks(db: Database, config: TandemConfig) -> SyncReport:
    """What `tandem serve` runs once a webhook is answered: read, plan, send, write back."""
    return asyncio.run(store_pass(db, config, channels=make_channel, poll=False, push_stock=False))


@pytest.fixture
def webhooks(config_file: Path, tandem_db: Database) -> Iterator[TestClient]:
    """Tandem's web app, reading the orders and writing back after each new delivery."""
    config = load_config(config_file)

    async def on_delivery() -> None:
        await store_pass(tandem_db, config, channels=make_channel, poll=False, push_stock=False)

    with TestClient(create_app(config, tandem_db, on_delivery=on_delivery)) as client:
        yield client


def deliver(
    webhooks: TestClient, shop: ShopifyStandin, topic: str, order: str, times: int = 3
) -> None:
    """One webhook, sent `times` times as Shopify's retries do (same X-Shopify-Webhook-Id)."""
    body, headers = shop.webhook_request(
        topic, shop.order_payload(order), SECRET, webhook_id=f"wh-{topic}-{order}"
    )
    for _ in range(times):
        assert webhooks.post("/webhooks/shopify", content=body, headers=headers).status_code == 200


def planned(db: Database) -> dict[str, Any]:
    """What Tandem holds: orders, PO lines, and the units allocated to each order line."""
    ol, a, pl, po = t.order_lines, t.allocations, t.po_lines, t.purchase_orders
    with db.read() as conn:
        return {
            "orders": conn.execute(select(func.count()).select_from(t.orders)).scalar(),
            "po_lines": sorted(
                (r.supplier_id, r.sku, r.quantity)
                for r in conn.execute(
                    select(po.c.supplier_id, pl.c.sku, pl.c.quantity).join(
                        po, po.c.id == pl.c.po_id
                    )
                )
            ),
            "allocated": dict(
                conn.execute(
                    select(ol.c.sku, func.sum(a.c.quantity))
                    .join(a, a.c.order_line_id == ol.c.id)
                    .group_by(ol.c.sku)
                ).all()
            ),
            "pending_deliveries": conn.execute(
                select(func.count())
                .select_from(t.webhook_deliveries)
                .where(t.webhook_deliveries.c.processed_at.is_(None))
            ).scalar(),
        }


def test_webhooks_alone_plan_each_line_once_and_a_poll_changes_nothing(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, webhooks: TestClient
) -> None:
    tandem("sync", "--config", str(config_file))  # catalogues in; the shop has no orders yet
    b2b = shop.add_order([("SPADE", 3)])
    drop = shop.add_order([("ROSE", 2)], tags=["dropship"])
    for order in (b2b, drop):
        for topic in ("orders/create", "orders/paid"):
            deliver(webhooks, shop, topic, order)
    forged, headers = shop.webhook_request("orders/create", shop.order_payload(b2b), "wrong")
    assert webhooks.post("/webhooks/shopify", content=forged, headers=headers).status_code == 401

    # The webhooks alone stored and planned both orders, once, and tagged them.
    after_webhooks_only = planned(tandem_db)
    assert after_webhooks_only == {
        "orders": 2,
        "po_lines": [("acme", "SPADE", 3), ("bloom", "ROSE", 2)],
        "allocated": {"SPADE": 3, "ROSE": 2},
        "pending_deliveries": 0,
    }
    bloom = po_number(config_file, "bloom")
    assert bloom in shop.order_tags(drop)

    # The drop-ship supplier ships; Shopify's orders/updated comes three times.
    tandem("po", "ship", bloom, "--config", str(config_file), "--tracking", "1Z-DROP")
    deliver(webhooks, shop, "orders/updated", drop)
    assert len(shop.fulfillments(drop)) == 1
    assert "tandem:shipped" in shop.order_tags(drop)
    writes = mutation_counts(shop, "TagsAdd", "FulfillmentCreate")
    # One tagsAdd per status an order went through (released; released then shipped).
    assert writes[("TagsAdd", b2b)] == 1
    assert writes[("TagsAdd", drop)] == 2
    assert sum(n for (name, _), n in writes.items() if name == "FulfillmentCreate") == 1

    # The poll sees the same orders: nothing more is planned and nothing is written twice.
    tandem("sync", "--config", str(config_file))
    assert planned(tandem_db) == after_webhooks_only
    assert mutation_counts(shop, "TagsAdd", "FulfillmentCreate") == writes
    assert len(shop.fulfillments(drop)) == 1
    tags = shop.order_tags(drop)
    assert len(tags) == len(set(tags))


def deliveries(db: Database) -> dict[str, Any]:
    """Webhook id -> (processed, attempts, last error)."""
    wd = t.webhook_deliveries
    with db.read() as conn:
        rows = conn.execute(
            select(wd.c.webhook_id, wd.c.processed_at, wd.c.attempts, wd.c.last_error)
        )
        return {r.webhook_id: (r.processed_at is not None, r.attempts, r.last_error) for r in rows}


def test_a_delivery_that_cannot_be_read_holds_up_nothing_and_is_given_up_in_the_end(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, webhooks: TestClient
) -> None:
    tandem("sync", "--config", str(config_file))
    bad = {"id": 12, "admin_graphql_api_id": "gid://shopify/Order/12x", "name": "#bad"}
    body, headers = shop.webhook_request("orders/create", bad, SECRET, webhook_id="wh-bad")
    assert webhooks.post("/webhooks/shopify", content=body, headers=headers).status_code == 200
    good = shop.add_order([("SPADE", 2)], name="#good")
    deliver(webhooks, shop, "orders/create", good, times=1)

    # The good order came in by webhook although the bad one sits in the same batch.
    assert planned(tandem_db)["allocated"] == {"SPADE": 2}
    done, attempts, error = deliveries(tandem_db)["wh-bad"]
    assert not done and attempts == 2  # one try per pass, one pass per new delivery
    assert "Invalid global id 'gid://shopify/Order/12x'" in error

    config = load_config(config_file)
    for _ in range(6):  # Shopify's eight tries' worth of passes, then Tandem gives up
        after_webhooks(tandem_db, config)
    done, attempts, _ = deliveries(tandem_db)["wh-bad"]
    assert done and attempts == 8
    [problem] = [e for e in exceptions(config_file) if e["kind"] == "order_unreadable"]
    assert "gid://shopify/Order/12x" in problem["message"]
    assert "orders/create" in problem["message"]


def test_a_delivery_for_another_shop_is_ignored_and_says_why(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, webhooks: TestClient
) -> None:
    tandem("sync", "--config", str(config_file))
    order = shop.add_order([("SPADE", 2)])
    other = "someone-else.myshopify.com"
    for topic, payload in (
        ("orders/create", shop.order_payload(order)),
        ("app/uninstalled", {**shop.shop_payload(), "myshopify_domain": other}),
    ):
        body, headers = shop.webhook_request(topic, payload, SECRET, webhook_id=f"wh-{topic}")
        headers["X-Shopify-Shop-Domain"] = other
        assert webhooks.post("/webhooks/shopify", content=body, headers=headers).status_code == 200

    assert planned(tandem_db)["orders"] == 0
    for done, _, error in deliveries(tandem_db).values():
        assert done
        assert error == (
            "sent for someone-else.myshopify.com, but Tandem serves tandem-test.myshopify.com:"
            " ignored"
        )
    assert not [e for e in exceptions(config_file) if e["kind"] == "app_uninstalled"]

    deliver(webhooks, shop, "orders/paid", order, times=1)  # the shop's own still count
    assert planned(tandem_db)["orders"] == 1


@pytest.fixture
def receiver(config_file: Path, tandem_db: Database) -> Iterator[TestClient]:
    """Tandem's web app storing deliveries only, so a test decides when they are read."""
    with TestClient(create_app(load_config(config_file), tandem_db)) as client:
        yield client


def test_a_delivery_stored_for_another_shop_of_the_database_is_left_to_that_shop(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, receiver: TestClient
) -> None:
    tandem("sync", "--config", str(config_file))
    order = shop.add_order([("SPADE", 2)])
    deliver(receiver, shop, "orders/create", order, times=1)
    # A second shop served from the same database, whose deliveries its own pass reads.
    loaded = load_config(config_file)
    other = loaded.store.model_copy(update={"shop_url": "https://other-shop.myshopify.com"})
    config = loaded.model_copy(update={"stores": [loaded.store, other]})
    theirs = [
        Delivery("wh-theirs", other.shop_name, "orders/create", order, None),
        Delivery(
            "wh-theirs-redact",
            other.shop_name,
            "customers/redact",
            None,
            None,
            payload={"shop_domain": other.shop_name, "customer": {"id": 1}},
        ),
    ]
    with tandem_db.write() as conn:
        for delivery in theirs:
            assert store_delivery(conn, delivery, utcnow())

    async def one_pass() -> OrdersReport:
        async with client_for(shop) as client:
            return await process_deliveries(tandem_db, client, config, shop_key(config), utcnow())

    report = asyncio.run(one_pass())

    seen = deliveries(tandem_db)
    assert seen[f"wh-orders/create-{order}"][0]  # this shop's own is read
    assert planned(tandem_db)["orders"] == 1
    assert seen["wh-theirs"] == (False, 0, None)  # the other's waits, untouched
    assert seen["wh-theirs-redact"] == (False, 0, None)
    assert not [p for p in report.problems if "other-shop" in p]


def test_an_uninstall_stops_the_shops_work_until_the_app_is_installed_again(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, receiver: TestClient
) -> None:
    tandem("sync", "--config", str(config_file))
    order = shop.add_order([("SPADE", 2)])
    for topic, payload in (
        ("orders/create", shop.order_payload(order)),
        ("app/uninstalled", shop.shop_payload()),
    ):
        body, headers = shop.webhook_request(topic, payload, SECRET, webhook_id=f"wh-{topic}")
        assert receiver.post("/webhooks/shopify", content=body, headers=headers).status_code == 200

    # Uninstalling revoked the token: Shopify answers the check with 401.
    shop.answer_next("AppInstalled", 401, {"errors": INVALID_TOKEN})
    config = load_config(config_file)
    shop.clear_requests()
    result = after_webhooks(tandem_db, config)

    [uninstalled] = [e for e in exceptions(config_file) if e["kind"] == "app_uninstalled"]
    assert "uninstalled from tandem-test.myshopify.com" in uninstalled["message"]
    with tandem_db.read() as conn:
        assert shop_stopped(conn, shop_key(config))
    seen = deliveries(tandem_db)
    assert seen["wh-app/uninstalled"][0]  # done
    done, _, error = seen["wh-orders/create"]
    assert not done and "read once it is installed again" in error
    assert "OrdersById" not in shop.operations()  # no call made with a token known gone
    assert any("installed again" in p for p in result.problems)

    # While Shopify still refuses the token, a claim fails and the shop stays stopped.
    shop.answer_next("ShopIdentity", 401, {"errors": INVALID_TOKEN})
    after_webhooks(tandem_db, config)
    with tandem_db.read() as conn:
        assert shop_stopped(conn, shop_key(config))
    assert not deliveries(tandem_db)["wh-orders/create"][0]

    # Installed again: the claim succeeds, the stop is lifted and the waiting order read.
    after_webhooks(tandem_db, config)
    with tandem_db.read() as conn:
        assert not shop_stopped(conn, shop_key(config))
    assert deliveries(tandem_db)["wh-orders/create"][0]
    assert planned(tandem_db)["orders"] == 1
    assert not [e for e in exceptions(config_file) if e["kind"] == "app_uninstalled"]


def test_an_uninstall_shopify_does_not_confirm_is_not_acted_on(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, receiver: TestClient
) -> None:
    """A signed app/uninstalled (a shop body: an order body replayed so gets 400 at the door)
    while Shopify still takes the token: no exception, the delivery is done saying why."""
    tandem("sync", "--config", str(config_file))
    order = shop.add_order([("SPADE", 2)])
    replayed, headers = shop.webhook_request(
        "orders/create", shop.order_payload(order), SECRET, webhook_id="wh-replayed"
    )
    headers["X-Shopify-Topic"] = "app/uninstalled"
    assert receiver.post("/webhooks/shopify", content=replayed, headers=headers).status_code == 400
    body, headers = shop.webhook_request(
        "app/uninstalled", shop.shop_payload(), SECRET, webhook_id="wh-gone"
    )
    assert receiver.post("/webhooks/shopify", content=body, headers=headers).status_code == 200

    result = after_webhooks(tandem_db, load_config(config_file))
    assert not [e for e in exceptions(config_file) if e["kind"] == "app_uninstalled"]
    done, _, error = deliveries(tandem_db)["wh-gone"]
    assert done and "Shopify still accepts Tandem's access token" in error
    assert not any("Traceback" in f for f in result.failures)


def test_an_uninstall_waits_while_shopify_cannot_confirm_it(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, receiver: TestClient
) -> None:
    tandem("sync", "--config", str(config_file))
    body, headers = shop.webhook_request(
        "app/uninstalled", shop.shop_payload(), SECRET, webhook_id="wh-gone"
    )
    assert receiver.post("/webhooks/shopify", content=body, headers=headers).status_code == 200
    config = load_config(config_file)

    async def one_pass() -> None:
        async with client_for(shop, max_attempts=1) as client:
            await process_deliveries(tandem_db, client, config, shop_key(config), utcnow())

    shop.answer_next("AppInstalled", 503, b"Service Unavailable")
    asyncio.run(one_pass())
    done, attempts, error = deliveries(tandem_db)["wh-gone"]
    assert (done, attempts) == (False, 0) and "HTTP 503" in error
    assert not [e for e in exceptions(config_file) if e["kind"] == "app_uninstalled"]

    shop.answer_next("AppInstalled", 401, {"errors": INVALID_TOKEN})  # now it is gone
    asyncio.run(one_pass())
    assert deliveries(tandem_db)["wh-gone"][0]
    assert [e["kind"] for e in exceptions(config_file)] == ["app_uninstalled"]


def test_passes_during_an_outage_do_not_count_toward_giving_a_delivery_up(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, receiver: TestClient
) -> None:
    tandem("sync", "--config", str(config_file))
    bad = {"id": 12, "admin_graphql_api_id": "gid://shopify/Order/12x", "name": "#bad"}
    body, headers = shop.webhook_request("orders/create", bad, SECRET, webhook_id="wh-bad")
    assert receiver.post("/webhooks/shopify", content=body, headers=headers).status_code == 200
    config = load_config(config_file)

    def one_pass() -> None:
        async def run() -> None:
            async with client_for(shop, max_attempts=1) as client:
                with contextlib.suppress(ShopifyError):
                    await process_deliveries(tandem_db, client, config, shop_key(config), utcnow())

        asyncio.run(run())

    # A long Shopify outage: every pass finds the order read failing with 503.
    shop.answer_next("OrdersById", 503, b"Service Unavailable", times=MAX_ATTEMPTS)
    for _ in range(MAX_ATTEMPTS):
        one_pass()
    done, attempts, error = deliveries(tandem_db)["wh-bad"]
    assert (done, attempts) == (False, 0)
    assert "HTTP 503" in error

    # Shopify is back: the delivery's own fault counts as its first try, not its ninth.
    one_pass()
    done, attempts, error = deliveries(tandem_db)["wh-bad"]
    assert (done, attempts) == (False, 1)
    assert "Invalid global id 'gid://shopify/Order/12x'" in error
    assert not [e for e in exceptions(config_file) if e["kind"] == "order_unreadable"]


def test_the_web_app_answers_while_the_pass_after_a_webhook_waits_to_plan(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, tmp_path: Path
) -> None:
    tandem("sync", "--config", str(config_file))
    config = load_config(config_file)
    app = create_app(config, tandem_db)
    # Another writer holds the database for two seconds, as an import or a large plan does.
    holder = sqlite3.connect(tmp_path / "tandem.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(2.0, holder.commit)

    async def run() -> tuple[int, float, float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tandem") as web:
            started = time.monotonic()
            running = asyncio.create_task(
                store_pass(tandem_db, config, channels=make_channel, poll=False, push_stock=False)
            )
            await asyncio.sleep(0.5)  # the pass is waiting for the planner's write by now
            answer = await web.get("/healthz")
            answered = time.monotonic() - started
            await running
            return answer.status_code, answered, time.monotonic() - started

    release.start()
    try:
        status, answered, finished = asyncio.run(run())
    finally:
        release.cancel()
        holder.close()
    assert status == 200
    assert answered < 1.5  # answered while the planner waited, not after
    assert finished >= 2.0  # the pass did wait for the database


def test_each_order_topic_registered_is_read_and_no_other(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, receiver: TestClient
) -> None:
    url = "https://tandem.example/webhooks/shopify"
    created = tandem("shopify", "webhooks", "register", "--config", str(config_file), "--url", url)
    subscribed = [line.split()[1] for line in created.splitlines() if line.startswith("created")]
    order = shop.add_order([("SPADE", 1)])
    config = load_config(config_file)

    def deliver_and_read(*topics: str) -> list[list[str]]:
        """The ids of each order read Shopify answered after these deliveries."""
        for topic in topics:
            body, headers = shop.webhook_request(
                topic, shop.order_payload(order), SECRET, webhook_id=f"wh-{topic}"
            )
            response = receiver.post("/webhooks/shopify", content=body, headers=headers)
            assert response.status_code == 200
        shop.clear_requests()
        after_webhooks(tandem_db, config)
        assert planned(tandem_db)["pending_deliveries"] == 0
        return [
            r.variables["ids"] for r in shop.accepted_requests if r.operation_name == "OrdersById"
        ]

    order_topics = [topic for topic in subscribed if topic.startswith("orders/")]
    assert len(order_topics) == 5
    assert deliver_and_read(*order_topics) == [[order]]  # five deliveries, one read
    # From a subscription the merchant made by hand: orders/updated brings the same change.
    assert "orders/fulfilled" not in subscribed
    assert deliver_and_read("orders/fulfilled") == []
