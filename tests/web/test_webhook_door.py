"""`POST /webhooks/shopify` against hostile and odd input: a body is bounded before it is
buffered, signed headers and bodies are checked before anything is stored, and nothing gives
a 5xx — on SQLite and on PostgreSQL (whose columns and text type refuse what SQLite takes)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.web import create_app
from tests.conftest import make_config
from tests.shopify.test_webhooks import SECRET, headers, sign

LIMIT = 64 * 1024


def config(**daemon: Any) -> Any:
    return make_config(
        {
            "store": {
                "platform": "shopify",
                "shop_url": "https://demo.myshopify.com",
                "access_token": "shpat_x",
                "webhook_secret": SECRET,
            },
            "daemon": daemon,
        }
    )


@pytest.fixture
def door(db: Database) -> Iterator[TestClient]:
    app = create_app(config(max_webhook_bytes=LIMIT), db)
    # A server error is an answer here (500), not an exception raised into the test.
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def stored(db: Database) -> list[Any]:
    with db.read() as conn:
        return conn.execute(select(t.webhook_deliveries)).all()


def order_body(order_id: int = 7, **extra: Any) -> bytes:
    payload = {"id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}"}
    return json.dumps({**payload, **extra}).encode()


SHOP_BODY = json.dumps(
    {"id": 548380009, "name": "Demo", "myshopify_domain": "demo.myshopify.com"}
).encode()


# -- size -----------------------------------------------------------------------------------


def test_a_body_declared_too_large_is_refused_before_it_is_read(door: TestClient) -> None:
    body = b"x" * (LIMIT + 1)
    answer = door.post("/webhooks/shopify", content=body, headers=headers(body))
    assert answer.status_code == 413
    assert str(LIMIT) in answer.text


def test_the_limit_defaults_to_two_megabytes(db: Database) -> None:
    assert config().daemon.max_webhook_bytes == 2 * 1024 * 1024
    with TestClient(create_app(config(), db)) as client:
        for size, status in ((2 * 1024 * 1024, 413), (1024 * 1024, 200)):
            body = order_body(1, note="x" * size)
            answer = client.post("/webhooks/shopify", content=body, headers=headers(body))
            assert answer.status_code == status


def test_a_streamed_body_is_cut_off_at_the_limit_not_buffered(db: Database) -> None:
    """No Content-Length (chunked): the door stops reading once the limit is passed."""
    app = create_app(config(max_webhook_bytes=LIMIT), db)
    consumed = 0
    chunk = b"x" * 4096

    async def endless() -> AsyncIterator[bytes]:
        nonlocal consumed
        for _ in range(2560):  # 10 MB, were it all read
            consumed += len(chunk)
            yield chunk

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tandem") as client:
            sent = {k: v for k, v in headers(b"").items() if k != "Content-Length"}
            return await client.post("/webhooks/shopify", content=endless(), headers=sent)

    answer = asyncio.run(post())
    assert answer.status_code == 413
    assert consumed <= LIMIT + 2 * len(chunk)
    assert stored(db) == []


def test_a_small_streamed_body_is_received(door: TestClient, db: Database) -> None:
    body = order_body(5)

    def chunks() -> Iterator[bytes]:
        yield body[:10]
        yield body[10:]

    sent = headers(body)
    assert door.post("/webhooks/shopify", content=chunks(), headers=sent).status_code == 200
    assert [d.resource_id for d in stored(db)] == ["gid://shopify/Order/5"]


# -- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Shopify-Webhook-Id", "w" * 101),
        ("X-Shopify-Topic", "orders/" + "c" * 100),
        ("X-Shopify-Shop-Domain", "s" * 250 + ".myshopify.com"),
        ("X-Shopify-Webhook-Id", "wh 1"),
        ("X-Shopify-Topic", "orders/create;drop"),
        ("X-Shopify-Shop-Domain", "demo.myshopify.com/../x"),
        ("X-Shopify-Shop-Domain", "demo.myshopify.com:8080"),
    ],
)
def test_signed_headers_too_long_or_odd_are_refused_clearly(
    door: TestClient, db: Database, header: str, value: str
) -> None:
    body = order_body()
    sent = {**headers(body), header: value}
    answer = door.post("/webhooks/shopify", content=body, headers=sent)
    assert answer.status_code == 400
    assert header in answer.text
    assert value not in answer.text  # what was sent is not echoed back
    assert stored(db) == []


def test_a_naive_triggered_at_is_read_as_utc(door: TestClient, db: Database) -> None:
    body = order_body()
    sent = {**headers(body), "X-Shopify-Triggered-At": "2026-11-22T08:00:00"}
    assert door.post("/webhooks/shopify", content=body, headers=sent).status_code == 200
    assert stored(db)[0].triggered_at is not None


# -- bodies ---------------------------------------------------------------------------------


def post_signed(door: TestClient, body: bytes, topic: str = "orders/create") -> httpx.Response:
    return door.post("/webhooks/shopify", content=body, headers=headers(body, topic=topic))


@pytest.mark.parametrize("depth", [65, 30_000])  # under the 64 KB cap
def test_deeply_nested_json_is_refused_not_a_500(
    door: TestClient, db: Database, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    body = f'{{"id": 7, "admin_graphql_api_id": "gid://shopify/Order/7", "x": {nested}}}'
    answer = post_signed(door, body.encode())
    assert answer.status_code == 400
    assert "nested" in answer.text
    assert stored(db) == []


def test_nesting_within_the_bound_and_brackets_in_text_are_fine(
    door: TestClient, db: Database
) -> None:
    nested = "[" * 60 + "]" * 60
    body = f'{{"id": 7, "note": "{"[" * 500}\\"{{", "x": {nested}}}'
    assert post_signed(door, body.encode()).status_code == 200


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"1", b"null", b"[{}]"])
def test_json_that_is_not_an_object_is_refused(door: TestClient, db: Database, body: bytes) -> None:
    answer = post_signed(door, body)
    assert answer.status_code == 400
    assert "object" in answer.text
    assert stored(db) == []


@pytest.mark.parametrize(
    "gid",
    [
        "gid://shopify/Order/7\u0000",
        "gid://shopify/Order/7\ud800",
        "gid://shopify/Order/" + "7" * 300,
    ],
)
def test_an_order_id_postgresql_would_refuse_is_refused_at_the_door(
    door: TestClient, db: Database, gid: str
) -> None:
    body = json.dumps({"id": 7, "admin_graphql_api_id": gid}).encode()  # \u0000, \ud800 escaped
    answer = post_signed(door, body)
    assert answer.status_code == 400
    assert "order" in answer.text
    assert stored(db) == []


def test_nul_and_lone_surrogates_elsewhere_in_the_body_store_nothing_of_them(
    door: TestClient, db: Database
) -> None:
    body = order_body(8, note="a\u0000b\ud800")
    assert post_signed(door, body).status_code == 200
    [delivery] = stored(db)
    assert delivery.resource_id == "gid://shopify/Order/8"


def test_a_body_that_is_not_utf8_is_refused(door: TestClient, db: Database) -> None:
    # A lone surrogate encoded raw (not UTF-8; json.loads would take it, SQLite would not).
    body = b'{"id": 7, "admin_graphql_api_id": "gid://shopify/Order/7\xed\xa0\x80"}'
    answer = post_signed(door, body)
    assert answer.status_code == 400
    assert stored(db) == []


# -- body against topic ---------------------------------------------------------------------


def test_an_order_body_replayed_as_an_uninstall_is_refused(door: TestClient, db: Database) -> None:
    body = order_body(9, line_items=[{"id": 1, "sku": "SPADE", "quantity": 1}])
    answer = post_signed(door, body, topic="app/uninstalled")
    assert answer.status_code == 400
    assert "app/uninstalled" in answer.text
    assert stored(db) == []


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b'{"id": 1, "name": "demo"}',
        json.dumps({"id": 1, "myshopify_domain": "other.myshopify.com"}).encode(),
    ],
)
def test_an_uninstall_needs_the_shop_it_names(door: TestClient, db: Database, body: bytes) -> None:
    assert post_signed(door, body, topic="app/uninstalled").status_code == 400
    assert stored(db) == []


def test_an_uninstall_with_the_shop_body_is_stored(door: TestClient, db: Database) -> None:
    assert post_signed(door, SHOP_BODY, topic="app/uninstalled").status_code == 200
    assert [(d.topic, d.resource_id) for d in stored(db)] == [("app/uninstalled", None)]


@pytest.mark.parametrize(
    "body", [SHOP_BODY, b'{"name": "#1001"}', b'{"order_edit": {"id": 5}}', b'{"id": "x1"}']
)
def test_an_order_topic_needs_an_order_body(door: TestClient, db: Database, body: bytes) -> None:
    answer = post_signed(door, body, topic="orders/updated")
    assert answer.status_code == 400
    assert "orders/updated" in answer.text
    assert stored(db) == []


def test_nothing_unsigned_is_parsed(door: TestClient, db: Database) -> None:
    """The checks on the body run after the signature: a forger learns only 401."""
    body = b"[" * 30_000
    sent = {**headers(body), "X-Shopify-Hmac-Sha256": sign(body, "guess")}
    assert door.post("/webhooks/shopify", content=body, headers=sent).status_code == 401
