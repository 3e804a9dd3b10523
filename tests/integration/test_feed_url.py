"""A supplier feed fetched from a URL on a schedule, against a real local HTTP server: the
second fetch is one conditional request (304, nothing imported); a changed feed writes only
the offers that changed, and only their stock reaches the Shopify push; the credentials go
to the server and nowhere else; an oversize feed is refused; a feed failing for longer than
`fail_after` raises an exception and turns /healthz red, and both clear once it works."""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tandem.adapters.feeds import make_feed
from tandem.adapters.shopify.stock import plan_stock_push
from tandem.adapters.shopify.sync import shop_key
from tandem.adapters.shopify.worker import perform_store_writes
from tandem.connector.catalogue.feeds import FeedReport, refresh_feed
from tandem.connector.configuration import TandemConfig
from tandem.connector.daemon.jobs import Jobs
from tandem.connector.store import Database, open_database
from tandem.connector.store import schema as t
from tandem.connector.sync import SyncReport, sync_inputs
from tandem.connector.web import create_app
from tests.conftest import make_config
from tests.integration.shopify_support import client_for
from tests.standin import ShopifyStandin
from tests.store.helpers import T0
from tests.support.feed_server import FeedServer

TOKEN = "feed-token-7c1e9a"
HEADER = "sku,supplier_sku,name,cost,stock\n"


def csv(stock: dict[int, int], count: int = 20) -> bytes:
    """A feed of `count` rows; row n has stock n unless `stock` says otherwise."""
    rows = [f"SKU-{n:03d},AC-{n:03d},Item {n},{n + 1}.50,{stock.get(n, n)}\n" for n in range(count)]
    return (HEADER + "".join(rows)).encode()


def feed_config(tmp_path: Path, server: FeedServer, **catalogue: Any) -> TandemConfig:
    source = {"type": "url", "url": server.url, "auth": {"type": "bearer", "token": TOKEN}}
    source.update(catalogue.pop("source", {}))
    return make_config(
        {
            "database_url": f"sqlite:///{tmp_path / 'tandem.db'}",
            "suppliers": [
                {
                    "id": "acme",
                    "name": "Acme",
                    "catalogue": {"source": source, "fail_after": "1h", **catalogue},
                }
            ],
        },
        base_dir=tmp_path,
    )


@pytest.fixture
def server() -> Any:
    with FeedServer(token=TOKEN) as running:
        running.serve(csv({}))
        yield running


def refresh(db: Database, config: TandemConfig, minutes: int = 0) -> FeedReport:
    return refresh_feed(db, config, "acme", T0 + timedelta(minutes=minutes), make_feed)


def offer_ids(db: Database) -> dict[str, int]:
    o = t.offers
    with db.read() as conn:
        return dict(conn.execute(select(o.c.supplier_sku, o.c.id)).all())


def imports(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.catalogue_imports)).scalar_one())


def test_an_unchanged_feed_costs_one_conditional_request_and_writes_nothing(
    tmp_path: Path, server: FeedServer
) -> None:
    config = feed_config(tmp_path, server)
    db = open_database(config.database_url)
    first = refresh(db, config)
    assert first.error is None and first.imported is not None
    assert first.imported.rows_imported == 20 and first.imported.changes.added == 20

    server.requests.clear()
    again = refresh(db, config, minutes=60)
    assert again.unchanged and again.imported is None and again.error is None
    [request] = server.requests
    assert request.headers["If-None-Match"] == server.etag
    assert "If-Modified-Since" in request.headers and request.status == 304
    assert imports(db) == 1


def test_a_changed_feed_writes_only_the_changed_offers(tmp_path: Path, server: FeedServer) -> None:
    config = feed_config(tmp_path, server)
    db = open_database(config.database_url)
    refresh(db, config)
    before = offer_ids(db)

    body = csv({3: 300, 7: 700}, count=20).replace(b"AC-019,Item 19", b"AC-099,Item 99")
    server.serve(body)
    report = refresh(db, config, minutes=60)
    assert report.imported is not None
    changes = report.imported.changes
    assert (changes.added, changes.changed, changes.removed) == (1, 2, 1)
    assert changes.skus == {"SKU-003", "SKU-007", "SKU-019"}
    after = offer_ids(db)
    # The 17 offers that did not change are the same rows: they were not written again.
    kept = {k: v for k, v in before.items() if k not in ("AC-003", "AC-007", "AC-019")}
    assert all(after[k] == v for k, v in kept.items())
    assert "AC-019" not in after and "AC-099" in after
    o = t.offers
    with db.read() as conn:
        stock = dict(conn.execute(select(o.c.supplier_sku, o.c.stock)).all())
    assert stock["AC-003"] == 300 and stock["AC-007"] == 700 and stock["AC-004"] == 4


def test_only_the_changed_stock_reaches_the_shopify_stock_push(
    tmp_path: Path, shop: ShopifyStandin
) -> None:
    location = next(
        n["id"]
        for n in shop.execute("{ locations(first: 5) { nodes { id name } } }")["data"]["locations"][
            "nodes"
        ]
        if n["name"] == "Suppliers"
    )
    for n in range(20):
        shop.add_variant(f"SKU-{n:03d}", inventory_quantity=0, location_id=location)
    with FeedServer() as server:
        server.serve(csv({}))
        config = make_config(
            {
                "database_url": f"sqlite:///{tmp_path / 'tandem.db'}",
                "store": {
                    "platform": "shopify",
                    "shop_url": shop.url,
                    "access_token": shop.token,
                    "stock_push": {"enabled": True, "location": "Suppliers"},
                },
                "suppliers": [
                    {
                        "id": "acme",
                        "name": "Acme",
                        "catalogue": {"source": {"type": "url", "url": server.url}},
                    }
                ],
            },
            base_dir=tmp_path,
        )
        db = open_database(config.database_url)

        async def push() -> list[str]:
            async with client_for(shop) as client:
                await plan_stock_push(db, client, config, shop_key(config), T0)
                await perform_store_writes(db, client, config)
            sent = [
                q
                for r in shop.accepted_requests
                if r.operation_name == "InventorySetQuantities"
                for q in r.variables["input"]["quantities"]
            ]
            return [str(q["inventoryItemId"]) for q in sent]

        refresh(db, config)
        assert len(asyncio.run(push())) == 19  # SKU-000 has stock 0, as the store already
        shop.clear_requests()
        server.serve(csv({3: 30, 8: 80, 11: 11}).replace(b"Item 5,6.50", b"Item 5,7.25"))
        report = refresh(db, config, minutes=60)
        assert report.imported is not None and report.imported.changes.changed == 3
        pushed = asyncio.run(push())
        # SKU-011's stock is as before and SKU-005 only changed its cost: two quantities go.
        assert len(pushed) == 2
        assert shop.inventory_quantity("SKU-003", location_id=location) == 30
        assert shop.inventory_quantity("SKU-008", location_id=location) == 80


def test_the_credentials_reach_the_server_and_no_log_or_message(
    tmp_path: Path, server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = feed_config(tmp_path, server)
    db = open_database(config.database_url)
    assert refresh(db, config).error is None
    assert server.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"

    wrong = feed_config(tmp_path, server, source={"auth": {"type": "bearer", "token": "nope"}})
    report = refresh(db, wrong, minutes=60)
    assert report.error is not None
    assert "refused the credentials (401)" in report.error and server.url in report.error
    assert TOKEN not in caplog.text and "nope" not in caplog.text and "nope" not in report.error
    with db.read() as conn:
        stored = conn.execute(select(t.feed_state)).mappings().one()
    assert TOKEN not in str(dict(stored)) and "nope" not in str(dict(stored))


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "streamed"])
def test_an_oversize_feed_is_refused_with_a_clear_error(
    tmp_path: Path, server: FeedServer, announced: bool
) -> None:
    server.send_length = announced
    config = feed_config(tmp_path, server, source={"max_bytes": 200})
    db = open_database(config.database_url)
    report = refresh(db, config)
    assert report.error is not None and report.imported is None
    assert server.url in report.error and "max_bytes (200)" in report.error
    assert offer_ids(db) == {}


def test_a_feed_failing_longer_than_fail_after_fails_its_check(
    tmp_path: Path, server: FeedServer
) -> None:
    config = feed_config(tmp_path, server)
    db = open_database(config.database_url)
    assert refresh(db, config).failing == []
    server.status = 500
    soon = refresh(db, config, minutes=30)
    assert soon.error is not None and "answered 500" in soon.error
    assert soon.failing == []  # within fail_after (1h): reported, not raised
    late = refresh(db, config, minutes=61)
    [failure] = late.failing
    assert failure.check == "catalogue:acme"
    assert "not arrived since 2026-11-20 09:00 UTC" in failure.reason
    assert "catalogue.fail_after (1h)" in failure.reason and "answered 500" in failure.reason
    assert len(offer_ids(db)) == 20  # the last good catalogue stays in use


def test_a_failing_feed_raises_an_exception_and_turns_healthz_red_until_it_works(
    tmp_path: Path, server: FeedServer
) -> None:
    config = feed_config(tmp_path, server, fail_after="0s")
    db = open_database(config.database_url)
    jobs = Jobs(db, config)
    app = create_app(config, db, health=lambda: jobs.health_report(["feed:acme"]))

    def run_job() -> tuple[int, dict[str, Any]]:
        asyncio.run(jobs.guarded("feed:acme", functools.partial(jobs.feed, "acme")))
        with TestClient(app) as client:
            answer = client.get("/healthz")
        return answer.status_code, answer.json()

    server.body = b"this is not,a catalogue\n1,2\n"  # no supplier_sku or cost column
    status, health = run_job()
    assert status == 503
    [failing] = health["failing"]
    assert failing["check"] == "catalogue:acme" and server.url in failing["reason"]
    e = t.exceptions
    with db.read() as conn:
        [message] = conn.execute(
            select(e.c.message).where(e.c.status == "open", e.c.kind == "dependency_failed")
        ).scalars()
    assert message.startswith("catalogue of acme: feed ")

    server.serve(csv({}))
    status, health = run_job()
    assert status == 200 and health["failing"] == []
    with db.read() as conn:
        assert conn.execute(select(e.c.status)).scalars().all() == ["resolved"]


def test_tandem_sync_fetches_a_feed_only_when_it_is_due(tmp_path: Path, server: FeedServer) -> None:
    config = feed_config(tmp_path, server, every="30m")
    db = open_database(config.database_url)
    for minutes in (0, 10, 29, 31):
        report = SyncReport()
        sync_inputs(db, config, T0 + timedelta(minutes=minutes), report)
        assert report.failures == []
    assert len(server.requests) == 2  # at 0 and at 31 minutes
