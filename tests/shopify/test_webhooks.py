"""The webhook receiver: Shopify's signature, one stored delivery per webhook id, 401 for
forgeries with nothing stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.web import create_app
from tests.conftest import make_config

SECRET = "whsec-current"
OLD_SECRET = "whsec-previous"


def sign(body: bytes, secret: str = SECRET) -> str:
    """Exactly as Shopify signs: base64 of the HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def headers(
    body: bytes, webhook_id: str = "wh-1", topic: str = "orders/create", **extra: str
) -> dict[str, str]:
    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body),
        "X-Shopify-Shop-Domain": "demo.myshopify.com",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": "ev-1",
        "X-Shopify-Triggered-At": "2026-11-22T08:00:00.000Z",
        "X-Shopify-API-Version": "2026-07",
        "Content-Type": "application/json",
        **extra,
    }


@pytest.fixture
def kicks() -> list[int]:
    return []


@pytest.fixture
def web(sqlite_db: Database, kicks: list[int]) -> Iterator[TestClient]:
    config = make_config(
        {
            "store": {
                "platform": "shopify",
                "shop_url": "https://demo.myshopify.com",
                "access_token": "shpat_x",
                "webhook_secret": SECRET,
                "previous_webhook_secret": OLD_SECRET,
            }
        }
    )

    async def on_delivery() -> None:
        kicks.append(1)

    with TestClient(create_app(config, sqlite_db, on_delivery=on_delivery)) as client:
        yield client


def deliveries(db: Database) -> list[Any]:
    with db.read() as conn:
        return conn.execute(select(t.webhook_deliveries).order_by(t.webhook_deliveries.c.id)).all()


def body_for(order_id: int) -> bytes:
    payload = {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": "#1001",
    }
    return json.dumps(payload).encode()


def test_a_delivery_sent_three_times_is_stored_once(
    web: TestClient, sqlite_db: Database, kicks: list[int]
) -> None:
    body = body_for(820982911946154508)
    answers = [web.post("/webhooks/shopify", content=body, headers=headers(body)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.text for a in answers] == ["ok", "duplicate", "duplicate"]
    stored = deliveries(sqlite_db)
    assert len(stored) == 1
    assert stored[0].topic == "orders/create"
    assert stored[0].resource_id == "gid://shopify/Order/820982911946154508"
    assert stored[0].processed_at is None  # read through GraphQL after the answer
    assert kicks == [1]  # processing started once, after the response


def test_forgeries_get_401_and_change_nothing(web: TestClient, sqlite_db: Database) -> None:
    body = body_for(1)
    tampered = body.replace(b"#1001", b"#9999")
    cases = [
        (tampered, headers(body)),  # signature of another body
        (body, {**headers(body), "X-Shopify-Hmac-Sha256": sign(body, "guess")}),
        (body, {k: v for k, v in headers(body).items() if k != "X-Shopify-Hmac-Sha256"}),
        (body, {**headers(body), "X-Shopify-Hmac-Sha256": "not base64!"}),
    ]
    for content, sent in cases:
        assert web.post("/webhooks/shopify", content=content, headers=sent).status_code == 401
    assert deliveries(sqlite_db) == []


def test_the_previous_secret_is_accepted_during_rotation(
    web: TestClient, sqlite_db: Database
) -> None:
    body = body_for(2)
    sent = {**headers(body, webhook_id="wh-rot"), "X-Shopify-Hmac-Sha256": sign(body, OLD_SECRET)}
    assert web.post("/webhooks/shopify", content=body, headers=sent).status_code == 200
    assert len(deliveries(sqlite_db)) == 1


def test_a_signed_delivery_without_its_headers_is_refused_clearly(
    web: TestClient, sqlite_db: Database
) -> None:
    body = body_for(3)
    sent = {k: v for k, v in headers(body).items() if k != "X-Shopify-Webhook-Id"}
    answer = web.post("/webhooks/shopify", content=body, headers=sent)
    assert answer.status_code == 400
    assert "X-Shopify-Webhook-Id" in answer.text
    assert deliveries(sqlite_db) == []


def test_edits_and_uninstalls_are_stored_with_their_subject(
    web: TestClient, sqlite_db: Database
) -> None:
    edit = json.dumps({"order_edit": {"id": 5, "order_id": 77}}).encode()
    web.post("/webhooks/shopify", content=edit, headers=headers(edit, "wh-e", "orders/edited"))
    gone = json.dumps({"id": 1, "name": "demo", "myshopify_domain": "demo.myshopify.com"}).encode()
    web.post("/webhooks/shopify", content=gone, headers=headers(gone, "wh-u", "app/uninstalled"))
    stored = {d.topic: d.resource_id for d in deliveries(sqlite_db)}
    assert stored == {"orders/edited": "gid://shopify/Order/77", "app/uninstalled": None}


def test_healthz_reports_the_database(web: TestClient) -> None:
    assert web.get("/healthz").json() == {"database": "ok"}


def test_deliveries_count_once_across_retries(sqlite_db: Database, web: TestClient) -> None:
    for n in range(5):
        body = body_for(100 + n)
        for _ in range(2):
            web.post("/webhooks/shopify", content=body, headers=headers(body, webhook_id=f"wh-{n}"))
    with sqlite_db.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.webhook_deliveries)).scalar() == 5
