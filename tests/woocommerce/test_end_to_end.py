"""Acceptance on the WooCommerce stand-in, as on Shopify's: the same order's webhook three
times and a poll plan each line once and email each PO once; the status note and meta, the
tracking and the stock are then visible in the shop, and another pass writes nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tandem.adapters.suppliers import make_channel
from tandem.connector.configuration import load_config
from tandem.connector.store import Database, open_database
from tandem.connector.store import schema as t
from tandem.connector.sync import store_pass
from tandem.connector.web import create_app
from tests.standins.woocommerce import WooCommerceStandin
from tests.suppliers.email.support import Recorder, smtp_server
from tests.woocommerce.support import (
    SECRET,
    after_webhooks,
    config_data,
    po_number,
    tandem,
    write_config,
)


@pytest.fixture
def inbox() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


def planned(db: Database) -> dict[str, Any]:
    ol, a, pl, po = t.order_lines, t.allocations, t.po_lines, t.purchase_orders
    with db.read() as conn:
        return {
            "orders": conn.execute(select(func.count()).select_from(t.orders)).scalar(),
            "po_lines": sorted(
                tuple(r)
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
        }


def test_webhooks_three_times_and_a_poll_plan_once_email_once_and_write_back(
    woocommerce_standin: WooCommerceStandin, tmp_path: Path, inbox: tuple[Recorder, int]
) -> None:
    shop = woocommerce_standin
    recorder, port = inbox
    spade = shop.add_product("SPADE", stock=0)
    rose = shop.add_product("ROSE", stock=0)
    config_file = write_config(tmp_path, config_data(shop, tmp_path, port))
    config = load_config(config_file)
    tandem("sync", "--config", str(config_file))  # catalogues in, stock pushed, no orders yet
    # Supplier stock less the buffer of 2, and the back-to-back spade sellable on backorder.
    assert shop.products[spade]["stock_quantity"] == 38
    assert shop.products[rose]["stock_quantity"] == 7
    assert shop.products[spade]["backorders"] == "notify"
    assert shop.products[rose]["backorders"] == "no"

    b2b = shop.add_order([("SPADE", 3)], number="1001")
    drop = shop.add_order(
        [{"sku": "ROSE", "quantity": 2, "meta_data": [{"key": "_fulfilment", "value": "drop"}]}],
        number="1002",
    )
    db = open_database(config.database_url)

    async def on_delivery() -> None:
        await store_pass(db, config, channels=make_channel, poll=False, push_stock=False)

    with TestClient(create_app(config, db, on_delivery=on_delivery)) as webhooks:
        for order in (b2b, drop):
            body, headers = shop.webhook_request("order.created", order, SECRET)
            for _ in range(3):  # the same delivery three times
                answer = webhooks.post("/webhooks/woocommerce", content=body, headers=headers)
                assert answer.status_code == 200
    tandem("sync", "--config", str(config_file))  # the poll sees both orders again

    assert planned(db) == {
        "orders": 2,
        "po_lines": [("acme", "SPADE", 3), ("bloom", "ROSE", 2)],
        "allocated": {"SPADE": 3, "ROSE": 2},
    }
    acme, bloom = po_number(config_file, "acme"), po_number(config_file, "bloom")
    messages = recorder.messages()
    assert sorted(m["To"] for m in messages) == ["orders@acme.example", "orders@bloom.example"]
    assert sorted(m["Message-ID"].split(".")[0] for m in messages) == sorted(
        [f"<{acme}", f"<{bloom}"]
    )

    # Status: a private note per PO status, and the order meta, other meta left alone.
    [note] = shop.order_notes(b2b, customer=False)
    assert note.startswith(f"Tandem: purchase order {acme} to Acme is sent")
    [entry] = shop.meta(b2b, "_tandem_purchase_orders")
    assert (entry["number"], entry["supplier"], entry["status"]) == (acme, "Acme", "sent")
    assert entry["lines"] == [{"sku": "SPADE", "quantity": 3}]
    assert shop.order_notes(b2b, customer=True) == []

    # Bloom ships the roses: tracking for the customer, in the Shipment Tracking meta, and
    # the order (all of it shipped) completed.
    tandem(
        "po", "ship", bloom, "--config", str(config_file),
        "--tracking", "1Z999AA10123456784", "--carrier", "UPS",
    )  # fmt: skip
    report = after_webhooks(db, config)
    assert report.writes.failed == []
    [customer_note] = shop.order_notes(drop, customer=True)
    assert "tracking number 1Z999AA10123456784" in customer_note
    assert "Rose × 2" in customer_note or "ROSE × 2" in customer_note
    [tracking] = shop.meta(drop, "_wc_shipment_tracking_items")
    assert (tracking["tracking_provider"], tracking["tracking_number"]) == (
        "ups",
        "1Z999AA10123456784",
    )
    assert shop.order(drop)["status"] == "completed"
    assert shop.order(b2b)["status"] == "processing"  # Acme has not shipped
    shipped_notes = shop.order_notes(drop, customer=False)
    assert any(f"{bloom} to Bloom is shipped" in n for n in shipped_notes)

    # Once more, webhooks and a poll: nothing is planned, sent or written twice.
    before = (
        len(recorder.messages()),
        dict(shop.counts),
        {k: list(v) for k, v in shop.notes.items()},
    )
    tandem("sync", "--config", str(config_file))
    assert planned(db)["po_lines"] == [("acme", "SPADE", 3), ("bloom", "ROSE", 2)]
    assert len(recorder.messages()) == before[0]
    assert {k: list(v) for k, v in shop.notes.items()} == before[2]
    assert shop.counts["POST /orders/{id:int}/notes"] == before[1]["POST /orders/{id:int}/notes"]
    db.dispose()
