"""WooCommerce webhooks into Tandem's web app (`/webhooks/woocommerce`): signed deliveries are
stored once, forged or misrouted ones refused, and WooCommerce's creation ping answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tandem.connector.configuration import load_config
from tandem.connector.store import Database, open_database
from tandem.connector.store import schema as t
from tandem.connector.web import create_app
from tests.standins.woocommerce import WooCommerceStandin
from tests.woocommerce.support import OLD_SECRET, SECRET, config_data, write_config


@pytest.fixture
def db_and_app(
    woocommerce_standin: WooCommerceStandin, tmp_path: Path
) -> Iterator[tuple[Database, TestClient]]:
    config = load_config(write_config(tmp_path, config_data(woocommerce_standin, tmp_path, 25)))
    db = open_database(config.database_url)
    with TestClient(create_app(config, db)) as client:
        yield db, client
    db.dispose()


def stored(db: Database) -> list[tuple[str, str, str | None]]:
    wd = t.webhook_deliveries
    with db.read() as conn:
        rows = conn.execute(select(wd.c.webhook_id, wd.c.topic, wd.c.resource_id).order_by(wd.c.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_signed_delivery_is_stored_once_under_the_shop_and_its_delivery_id(
    woocommerce_standin: WooCommerceStandin, db_and_app: tuple[Database, TestClient]
) -> None:
    db, app = db_and_app
    shop = woocommerce_standin
    order = shop.add_order([("SPADE", 1)])
    body, headers = shop.webhook_request("order.created", order, SECRET, delivery_id="d41d8cd9")
    answers = [app.post("/webhooks/woocommerce", content=body, headers=headers) for _ in range(3)]
    assert [(a.status_code, a.text) for a in answers] == [
        (200, "ok"),
        (200, "duplicate"),
        (200, "duplicate"),
    ]
    [(webhook_id, topic, resource)] = stored(db)
    assert webhook_id.startswith(f"{shop.host}/d41d8cd9/")
    assert len(webhook_id) <= 100
    assert (topic, resource) == ("order.created", str(order))

    # WooCommerce names a delivery by its webhook and second: a later change of the order in
    # the same second carries the same id, and is a delivery of its own.
    shop.touch(order, status="completed")
    body, headers = shop.webhook_request("order.updated", order, SECRET, delivery_id="d41d8cd9")
    assert app.post("/webhooks/woocommerce", content=body, headers=headers).text == "ok"
    assert len(stored(db)) == 2


def test_the_previous_secret_is_accepted_while_it_is_rotated_and_a_forgery_is_not(
    woocommerce_standin: WooCommerceStandin, db_and_app: tuple[Database, TestClient]
) -> None:
    db, app = db_and_app
    shop = woocommerce_standin
    order = shop.add_order([("SPADE", 1)])
    body, headers = shop.webhook_request("order.updated", order, OLD_SECRET)
    assert app.post("/webhooks/woocommerce", content=body, headers=headers).status_code == 200
    body, headers = shop.webhook_request("order.updated", order, "not-the-secret")
    answer = app.post("/webhooks/woocommerce", content=body, headers=headers)
    assert (answer.status_code, answer.text) == (401, "invalid signature")
    # The body changed after signing (a tampered quantity): refused too.
    body, headers = shop.webhook_request("order.updated", order, SECRET)
    tampered = body.replace(b'"quantity":1', b'"quantity":9')
    assert tampered != body
    answer = app.post("/webhooks/woocommerce", content=tampered, headers=headers)
    assert answer.status_code == 401
    assert len(stored(db)) == 1


def test_a_delivery_from_another_site_or_naming_no_order_is_refused_with_the_reason(
    woocommerce_standin: WooCommerceStandin, db_and_app: tuple[Database, TestClient]
) -> None:
    db, app = db_and_app
    shop = woocommerce_standin
    order = shop.add_order([("SPADE", 1)])
    body, headers = shop.webhook_request("order.created", order, SECRET)
    headers["X-WC-Webhook-Source"] = "https://other-shop.example/"
    answer = app.post("/webhooks/woocommerce", content=body, headers=headers)
    assert answer.status_code == 400
    assert answer.text == f"sent for other-shop.example, but Tandem serves {shop.host} here"

    from tests.standins.woocommerce import signature

    body = b'{"id":"12x"}'
    headers = {**headers, "X-WC-Webhook-Source": f"{shop.url}/"}
    headers["X-WC-Webhook-Signature"] = signature(SECRET, body)
    answer = app.post("/webhooks/woocommerce", content=body, headers=headers)
    assert (answer.status_code, answer.text) == (
        400,
        "the order.created body's id is not a WooCommerce order id",
    )
    assert stored(db) == []


def test_the_ping_woocommerce_sends_when_a_webhook_is_created_is_answered_and_not_stored(
    db_and_app: tuple[Database, TestClient],
) -> None:
    db, app = db_and_app
    body, headers = WooCommerceStandin.ping_request(webhook_id=31)
    answer = app.post("/webhooks/woocommerce", content=body, headers=headers)
    assert answer.status_code == 200  # WooCommerce refuses to save a webhook otherwise
    assert stored(db) == []


def test_the_door_knows_the_ping_from_a_delivery() -> None:
    from tandem.adapters.woocommerce.webhooks import is_ping

    body, headers = WooCommerceStandin.ping_request(webhook_id=31)
    assert is_ping({k.lower(): v for k, v in headers.items()}, body)
    assert not is_ping({"x-wc-webhook-topic": "order.created"}, body)
    assert not is_ping({}, b"webhook_id=31&x=1")
