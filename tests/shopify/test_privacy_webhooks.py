"""Shopify's compliance webhooks at the door: each documented payload is stored with what it
asks (deduplicated like any delivery, 401 unsigned), and a signed body that is not a request of
its topic — an order, a customer's request replayed as shop/redact, another shop's — gets 400
with the reason and nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.web import create_app
from tests.conftest import make_config
from tests.shopify.test_webhooks import SECRET, headers

SHOP = "demo.myshopify.com"
CUSTOMER = {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"}
# Shopify's documented bodies (shopify.dev, "Privacy law compliance").
DATA_REQUEST = {
    "shop_id": 954889,
    "shop_domain": SHOP,
    "orders_requested": [299938, 280263, 220458],
    "customer": CUSTOMER,
    "data_request": {"id": 9999},
}
CUSTOMER_REDACT = {
    "shop_id": 954889,
    "shop_domain": SHOP,
    "customer": CUSTOMER,
    "orders_to_redact": [299938, 280263, 220458],
}
SHOP_REDACT = {"shop_id": 954889, "shop_domain": SHOP}


@pytest.fixture
def web(sqlite_db: Database) -> Iterator[TestClient]:
    config = make_config(
        {
            "store": {
                "platform": "shopify",
                "shop_url": f"https://{SHOP}",
                "access_token": "shpat_x",
                "webhook_secret": SECRET,
            }
        }
    )
    with TestClient(create_app(config, sqlite_db)) as client:
        yield client


def post(web: TestClient, topic: str, payload: Any, webhook_id: str = "wh-1") -> Any:
    body = json.dumps(payload).encode()
    return web.post("/webhooks/shopify", content=body, headers=headers(body, webhook_id, topic))


def stored(db: Database) -> list[tuple[str, Any]]:
    wd = t.webhook_deliveries
    with db.read() as conn:
        return [(r.topic, r.payload) for r in conn.execute(select(wd.c.topic, wd.c.payload))]


def test_the_documented_requests_are_stored_with_what_they_ask(
    web: TestClient, sqlite_db: Database
) -> None:
    for n, (topic, body) in enumerate(
        (
            ("customers/data_request", DATA_REQUEST),
            ("customers/redact", CUSTOMER_REDACT),
            ("shop/redact", SHOP_REDACT),
        )
    ):
        assert post(web, topic, body, f"wh-{n}").status_code == 200
        assert post(web, topic, body, f"wh-{n}").text == "duplicate"  # Shopify's retry
    orders = ["299938", "280263", "220458"]
    customer = {"customer_id": "191167", "email": "john@example.com", "phone": "555-625-1199"}
    assert stored(sqlite_db) == [
        (
            "customers/data_request",
            {"shop_id": "954889", **customer, "orders": orders, "request_id": "9999"},
        ),
        ("customers/redact", {"shop_id": "954889", **customer, "orders": orders}),
        ("shop/redact", {"shop_id": "954889"}),
    ]


def test_an_unsigned_request_is_refused(web: TestClient, sqlite_db: Database) -> None:
    body = json.dumps(SHOP_REDACT).encode()
    forged = {**headers(body, "wh-x", "shop/redact"), "X-Shopify-Hmac-Sha256": "AAAA"}
    assert web.post("/webhooks/shopify", content=body, headers=forged).status_code == 401
    assert stored(sqlite_db) == []


@pytest.mark.parametrize(
    ("topic", "body", "reason"),
    [
        # A captured order body (it names a customer) replayed as an erasure.
        (
            "customers/redact",
            {"id": 7, "admin_graphql_api_id": "gid://shopify/Order/7", "customer": CUSTOMER},
            "must name the shop it is sent for",
        ),
        # A customer's request replayed as the whole shop's.
        ("shop/redact", CUSTOMER_REDACT, "names the shop only"),
        ("shop/redact", DATA_REQUEST, "names the shop only"),
        # A data request replayed as an erasure, and the other way round.
        ("customers/redact", DATA_REQUEST, "carries orders_to_redact, not orders_requested"),
        ("customers/data_request", CUSTOMER_REDACT, "carries orders_requested"),
        ("shop/redact", {**SHOP_REDACT, "shop_domain": "other.myshopify.com"}, "shop_domain"),
        ("customers/redact", {**CUSTOMER_REDACT, "customer": {}}, "by id, email or phone"),
        (
            "customers/redact",
            {**CUSTOMER_REDACT, "orders_to_redact": ["1", {"id": 2}]},
            "holds something other than order ids",
        ),
        (
            "customers/redact",
            {**CUSTOMER_REDACT, "customer": {"id": 1, "email": "a\u0000@x.example"}},
            "customer email is not text",
        ),
        (
            "customers/data_request",
            {**DATA_REQUEST, "data_request": {}},
            "data_request.id",
        ),
    ],
)
def test_a_body_that_is_not_a_request_of_its_topic_is_refused(
    web: TestClient, sqlite_db: Database, topic: str, body: Any, reason: str
) -> None:
    answer = post(web, topic, body)
    assert answer.status_code == 400
    assert reason in answer.text
    assert stored(sqlite_db) == []
