"""The daemon's webhooks job, as the scheduler runs it: what it could not read from Shopify
is logged, one warning per problem, with the job and the shop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tandem.adapters.shopify.sync import shop_key
from tandem.connector.daemon.jobs import Jobs
from tandem.connector.store import open_database
from tandem.connector.web import create_app
from tests.conftest import make_config
from tests.standin.shopify import ShopifyStandin

SECRET = "whsec-tandem"


def test_a_delivery_shopify_cannot_read_is_logged_with_the_job_and_shop(
    shopify_standin: ShopifyStandin, tmp_path: Path, lines: Any
) -> None:
    shop = shopify_standin
    config = make_config(
        {
            "database_url": f"sqlite:///{tmp_path / 'tandem.db'}",
            "store": {
                "platform": "shopify",
                "shop_url": shop.url,
                "access_token": shop.token,
                "webhook_secret": SECRET,
            },
        }
    )
    db = open_database(config.database_url)
    good = shop.add_order([("SPADE", 1)], name="#good")
    bad = {"id": 12, "admin_graphql_api_id": "gid://shopify/Order/12x", "name": "#bad"}
    with TestClient(create_app(config, db)) as web:  # stores deliveries, reads nothing
        for webhook_id, payload in (("wh-bad", bad), ("wh-good", shop.order_payload(good))):
            body, headers = shop.webhook_request("orders/create", payload, SECRET, webhook_id)
            assert web.post("/webhooks/shopify", content=body, headers=headers).status_code == 200

    jobs = Jobs(db, config, worker="test")
    asyncio.run(jobs.guarded("webhooks", jobs.webhooks))
    db.dispose()

    [problem] = [line for line in lines() if line["event"] == "webhook order not read"]
    assert problem["level"] == "warning"
    assert (problem["job"], problem["shop"]) == ("webhooks", shop_key(config))
    assert problem["problem"].startswith("webhook for gid://shopify/Order/12x not read:")
    assert "Invalid global id 'gid://shopify/Order/12x'" in problem["problem"]
    assert "webhooks" in jobs.health.last_success  # the good order was read all the same
    [stored] = [line for line in lines() if line["event"] == "orders stored"]
    assert stored["count"] == 1
