"""Shopify's mandatory compliance webhooks against a store Tandem has worked for: orders in by
polling, POs planned and emailed to a real SMTP server; then signed requests posted to Tandem's
web app and answered by the deliveries job. A data request exports what Tandem holds about the
customer; an erasure leaves none of it in any column of any table, and another customer's data
and the POs and books as they were; shop/redact erases every customer, once the app is gone."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select
from starlette.testclient import TestClient

from tandem.adapters.suppliers import make_channel
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig, load_config
from tandem.connector.domain import ExceptionKind
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record
from tandem.connector.store.exceptions import NewException, raise_exceptions
from tandem.connector.store.shop_stops import shop_stopped
from tandem.connector.sync import SyncReport, store_pass
from tandem.connector.web import create_app
from tandem_shopify_standin.store import gid_number
from tests.integration.shopify_support import (
    SECRET,
    config_data,
    exceptions,
    pos,
    tandem,
    write_config,
)
from tests.standin import ShopifyStandin
from tests.standin.shopify import INVALID_TOKEN
from tests.suppliers.email.support import Recorder, smtp_server

MARGUERITE = {
    "name": "Marguerite Okonkwo",
    "email": "marguerite.okonkwo@example.net",
    "phone": "+44 7700 900123",
    "street": "14 Larkspur Crescent",
    "city": "Wexbridge",
    "zip": "WX4 7QP",
}
TOBIAS = {
    "name": "Tobias Fairweather",
    "email": "tobias.fairweather@example.org",
    "phone": "+44 7700 900456",
    "street": "88 Juniper Row",
    "city": "Harlowfield",
    "zip": "HF2 9LL",
}


@pytest.fixture
def inbox() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


@pytest.fixture
def setup(
    shop: ShopifyStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inbox: Any
) -> Path:
    """The shared shop, with Bloom and Acme taking POs by email and Flora (drop-ship, TULIP)
    holding its POs as drafts until they are worth 10,000."""
    monkeypatch.setenv("SHOPIFY_TOKEN", shop.token)
    shop.add_variant("TULIP", inventory_quantity=0)
    data = config_data(shop, tmp_path)
    (tmp_path / "flora.csv").write_text("sku,supplier_sku,name,cost,stock\nTULIP,FL-3,Tulip,2,90\n")
    data["smtp"] = {"host": "127.0.0.1", "port": inbox[1], "from": "Purchasing <po@shop.example>"}
    for supplier in data["suppliers"]:
        supplier["transport"] = {"type": "email", "to": f"orders@{supplier['id']}.example"}
    data["suppliers"].append(
        {
            "id": "flora",
            "name": "Flora",
            "mode": "drop_ship",
            "release": {"min_order_value": 10000},
            "catalogue": {"path": "flora.csv"},
        }
    )
    return write_config(tmp_path / "tandem.yaml", data)


@pytest.fixture
def store_db(setup: Path) -> Iterator[Database]:
    from tandem.connector.store import open_database

    database = open_database(load_config(setup).database_url)
    yield database
    database.dispose()


@pytest.fixture
def web(setup: Path, store_db: Database) -> Iterator[TestClient]:
    """Tandem's web app, storing deliveries; the test runs the deliveries job after."""
    with TestClient(create_app(load_config(setup), store_db)) as client:
        yield client


def customer(shop: ShopifyStandin, person: dict[str, str]) -> tuple[str, dict[str, Any]]:
    first, last = person["name"].split()
    gid = shop.add_customer(first, last, person["email"])
    address = {
        "firstName": first,
        "lastName": last,
        "address1": person["street"],
        "city": person["city"],
        "zip": person["zip"],
        "phone": person["phone"],
    }
    return gid, address


def seed(shop: ShopifyStandin, setup: Path, store_db: Database) -> dict[str, str]:
    """Marguerite's three orders (a drop-ship rose emailed to Bloom, a spade on Acme's PO, a
    drop-ship tulip waiting in Flora's draft) and Tobias's two, through Tandem's own path."""
    tandem("sync", "--config", str(setup))  # catalogues in, the shop claimed
    m_id, m_address = customer(shop, MARGUERITE)
    t_id, t_address = customer(shop, TOBIAS)
    gift = f"For {MARGUERITE['name']}, {MARGUERITE['street']}"
    orders = {
        "m_rose": shop.add_order(
            [("ROSE", 2)], customer=m_id, shipping_address=m_address, tags=["dropship"]
        ),
        "m_spade": shop.add_order([("SPADE", 1)], customer=m_id, shipping_address=m_address),
        "m_tulip": shop.add_order(
            [{"sku": "TULIP", "quantity": 1, "custom_attributes": {"Gift note": gift}}],
            customer=m_id,
            shipping_address=m_address,
            tags=["dropship"],
        ),
        "t_rose": shop.add_order(
            [("ROSE", 1)], customer=t_id, shipping_address=t_address, tags=["dropship"]
        ),
        "t_spade": shop.add_order([("SPADE", 2)], customer=t_id, shipping_address=t_address),
        "m_customer": m_id,
    }
    tandem("sync", "--config", str(setup))
    # What free text may quote: a supplier's unreadable reply quoting the address it shipped
    # to (tied to no order), and a note on the rose's PO.
    bloom = next(p for p in pos(setup) if p["supplier"] == "bloom" and p["order"] == "#1001")
    with store_db.write() as conn:
        po_id = conn.execute(
            select(t.purchase_orders.c.id).where(t.purchase_orders.c.number == bloom["number"])
        ).scalar_one()
        raise_exceptions(
            conn,
            [
                NewException(
                    ExceptionKind.ANSWER_UNREAD,
                    "answer_unread:reply-1",
                    "A reply from bloom could not be read: 'Parcel left with"
                    f" {MARGUERITE['name']}, {MARGUERITE['street']}, {MARGUERITE['city']}"
                    f" {MARGUERITE['zip']}; call {MARGUERITE['phone']}'",
                    supplier_id="bloom",
                    details={"from": "dispatch@bloom.example", "quote": MARGUERITE["email"]},
                )
            ],
            utcnow(),
        )
        record(
            conn,
            [Event("po.note", f"Bloom asks about {MARGUERITE['street']}", po_id=po_id)],
            utcnow(),
        )
    return orders


def run_deliveries(store_db: Database, config: TandemConfig) -> SyncReport:
    """The deliveries job (with the planner and write-backs after it), as `tandem serve` runs."""
    return asyncio.run(
        store_pass(store_db, config, channels=make_channel, poll=False, push_stock=False)
    )


def post(
    web: TestClient, shop: ShopifyStandin, topic: str, payload: dict[str, Any], webhook_id: str
) -> int:
    body, headers = shop.webhook_request(topic, payload, SECRET, webhook_id=webhook_id)
    answer = web.post("/webhooks/shopify", content=body, headers=headers)
    return int(answer.status_code)


def request_body(shop: ShopifyStandin, person: dict[str, str], customer_gid: str) -> dict[str, Any]:
    """Shopify's documented customers/* payload for the person (numeric ids)."""
    return {
        "shop_id": gid_number(shop.store.shop["id"]),
        "shop_domain": shop.domain,
        "customer": {
            "id": gid_number(customer_gid),
            "email": person["email"],
            "phone": person["phone"],
        },
    }


def everything_stored(store_db: Database) -> list[tuple[str, str, str]]:
    """(table, column, text) for every text and JSON value of every table."""
    found = []
    with store_db.read() as conn:
        for table in t.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = (
                        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    )
                    found.append((table.name, column.name, text))
    return found


def where_found(store_db: Database, person: dict[str, str]) -> set[tuple[str, str, str]]:
    """(table, column, what) for each of the person's values found anywhere."""
    values = {k: v.lower() for k, v in person.items()}
    return {
        (table, column, what)
        for table, column, text in everything_stored(store_db)
        for what, value in values.items()
        if value in text.lower()
    }


def sent_copies(store_db: Database, order: str) -> list[str]:
    """The messages as sent, kept on the timeline of the drop-ship PO of `order`."""
    po, o, e = t.purchase_orders, t.orders, t.events
    with store_db.read() as conn:
        rows = conn.execute(
            select(e.c.data)
            .join(po, po.c.id == e.c.po_id)
            .join(o, o.c.id == po.c.order_id)
            .where(o.c.name == order, po.c.mode == "drop_ship", e.c.kind == "po.sent")
        ).scalars()
        return [str(data["sent"]) for data in rows]


def test_a_redact_erases_the_customer_from_every_table_and_keeps_the_books(
    shop: ShopifyStandin, setup: Path, store_db: Database, web: TestClient, inbox: Any
) -> None:
    orders = seed(shop, setup, store_db)
    before = {(p["number"], p["supplier"], p["status"]) for p in pos(setup)}
    # Bloom's and Acme's POs went out; Flora's tulip waits in a draft.
    assert {(s, status) for _, s, status in before} == {
        ("acme", "sent"),
        ("bloom", "sent"),
        ("flora", "draft"),
    }
    held = {table for table, _, _ in where_found(store_db, MARGUERITE)}
    assert held == {"orders", "order_lines", "purchase_orders", "events", "exceptions"}
    with store_db.read() as conn:
        lines_before = conn.execute(
            select(t.order_lines.c.sku, t.order_lines.c.quantity, t.order_lines.c.price).order_by(
                t.order_lines.c.id
            )
        ).all()
    sent_before = len(inbox[0].messages())

    body = {
        **request_body(shop, MARGUERITE, orders["m_customer"]),
        # The tulip's order is left out: Tandem finds it by the customer's id and email.
        "orders_to_redact": [gid_number(orders["m_rose"]), gid_number(orders["m_spade"])],
    }
    assert post(web, shop, "customers/redact", body, "wh-redact") == 200
    assert post(web, shop, "customers/redact", body, "wh-redact") == 200  # Shopify's retry
    result = run_deliveries(store_db, load_config(setup))
    assert not result.failures

    # Nothing of Marguerite's is left in any column of any table; Tobias's is untouched.
    assert where_found(store_db, MARGUERITE) == set()
    assert {table for table, _, _ in where_found(store_db, TOBIAS)} >= {"orders", "purchase_orders"}
    assert {what for _, _, what in where_found(store_db, TOBIAS)} == set(TOBIAS)

    # The books: the same orders, lines, SKUs, quantities and money; the sent POs as they were.
    with store_db.read() as conn:
        names = conn.execute(select(t.orders.c.name).order_by(t.orders.c.id)).scalars().all()
        lines_after = conn.execute(
            select(t.order_lines.c.sku, t.order_lines.c.quantity, t.order_lines.c.price).order_by(
                t.order_lines.c.id
            )
        ).all()
        delivery = conn.execute(select(t.webhook_deliveries.c.processed_at)).all()
    assert names == ["#1001", "#1002", "#1003", "#1004", "#1005"]
    # The copy of the email that took Marguerite's address to Bloom (its PDF and CSV carry
    # it encoded) is gone; Tobias's is kept.
    assert sent_copies(store_db, "#1001") == ["[erased]"]
    [kept] = sent_copies(store_db, "#1004")
    assert "Tobias Fairweather" in kept
    assert lines_after == lines_before
    sent = {p for p in before if p[1] != "flora"}
    assert {(p["number"], p["supplier"], p["status"]) for p in pos(setup)} >= sent
    assert all(d.processed_at is not None for d in delivery)

    # Flora's draft for the tulip would have shipped to an erased address: it is cancelled,
    # nothing went to Flora, and the merchant is told.
    assert len(inbox[0].messages()) == sent_before
    [told] = [e for e in exceptions(setup) if e["kind"] == "privacy_request"]
    assert (
        "#1003" in told["message"] and "cancelled before it reached the supplier" in told["message"]
    )
    [no_address] = [e for e in exceptions(setup) if e["kind"] == "no_address"]
    assert "#1003" in no_address["message"]
    assert not any(p["supplier"] == "flora" and p["status"] != "cancelled" for p in pos(setup))

    # The slow full pass plans every line again: the erased address is no change to report
    # to the suppliers, and nothing more is ordered.
    run_planner(store_db, load_config(setup), utcnow(), everything=True)
    kinds = {e["kind"] for e in exceptions(setup)}
    assert kinds == {"privacy_request", "no_address", "answer_unread"}
    assert {(p["number"], p["supplier"], p["status"]) for p in pos(setup)} >= sent


def test_a_data_request_exports_what_tandem_holds_and_tells_the_merchant(
    shop: ShopifyStandin, setup: Path, store_db: Database, web: TestClient
) -> None:
    orders = seed(shop, setup, store_db)
    body = {
        **request_body(shop, MARGUERITE, orders["m_customer"]),
        "orders_requested": [gid_number(orders["m_rose"])],
        "data_request": {"id": 9999},
    }
    assert post(web, shop, "customers/data_request", body, "wh-data") == 200
    run_deliveries(store_db, load_config(setup))

    [asked] = [e for e in exceptions(setup) if e["kind"] == "privacy_request"]
    [export] = (setup.parent / "privacy").glob("*.json")  # beside the configuration file
    assert export.name.endswith("--data-request-9999.json")
    assert str(export) in asked["message"] and "30 days" in asked["message"]
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    document = json.loads(export.read_text())
    assert [o["name"] for o in document["orders"]] == ["#1001", "#1002", "#1003"]
    rose = document["orders"][0]
    assert rose["customer"]["email"] == MARGUERITE["email"]
    assert rose["shipping_address"]["address1"] == MARGUERITE["street"]
    assert rose["drop_ship_address"]["city"] == MARGUERITE["city"]
    assert [p["supplier"] for p in rose["purchase_orders"]] == ["bloom"]
    quoted = [r["message"] for r in document["records"]["exceptions"]]
    assert any(MARGUERITE["phone"] in m for m in quoted)
    assert TOBIAS["email"] not in export.read_text()
    # Once answered, the stored request keeps no email or phone.
    with store_db.read() as conn:
        [payload] = conn.execute(select(t.webhook_deliveries.c.payload)).scalars().all()
    assert MARGUERITE["email"] not in json.dumps(payload)

    # A later erasure deletes the export too, and the request needs no answer any more.
    redact = {**request_body(shop, MARGUERITE, orders["m_customer"]), "orders_to_redact": []}
    assert post(web, shop, "customers/redact", redact, "wh-redact") == 200
    run_deliveries(store_db, load_config(setup))
    assert not export.exists()
    assert not [
        e for e in exceptions(setup) if e["kind"] == "privacy_request" and "9999" in e["message"]
    ]


def test_shop_redact_erases_every_customer_once_the_app_is_gone(
    shop: ShopifyStandin, setup: Path, store_db: Database, web: TestClient
) -> None:
    seed(shop, setup, store_db)
    config = load_config(setup)
    redact = {"shop_id": gid_number(shop.store.shop["id"]), "shop_domain": shop.domain}

    # Replayed while the app is installed, it is not acted on.
    assert post(web, shop, "shop/redact", redact, "wh-replayed") == 200
    run_deliveries(store_db, config)
    assert where_found(store_db, TOBIAS)

    assert post(web, shop, "app/uninstalled", shop.shop_payload(), "wh-gone") == 200
    shop.answer_next("AppInstalled", 401, {"errors": INVALID_TOKEN})
    run_deliveries(store_db, config)
    with store_db.read() as conn:
        assert shop_stopped(conn, config.store.shop_name)

    # 48 hours later: the token is gone (every call refused), the request still answered.
    shop.answer_next("ShopIdentity", 401, {"errors": INVALID_TOKEN})
    assert post(web, shop, "shop/redact", redact, "wh-shop-redact") == 200
    run_deliveries(store_db, config)
    assert where_found(store_db, MARGUERITE) == set()
    assert where_found(store_db, TOBIAS) == set()
    with store_db.read() as conn:
        assert conn.execute(select(t.orders.c.name)).scalars().all() == [
            "#1001",
            "#1002",
            "#1003",
            "#1004",
            "#1005",
        ]
        assert shop_stopped(conn, config.store.shop_name)
