"""Recording supplier shipments: partial and complete, checked quantities, and the write-backs
queued for a Shopify store (none for the file platform)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tandem.connector.errors import ConflictError, InputError
from tandem.connector.services.plan import run_planner
from tandem.connector.services.shipments import ShippedLine, record_shipment
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.helpers import T0, config, ingest, offers, order

SHOPIFY = {
    "platform": "shopify",
    "shop_url": "https://demo.myshopify.com",
    "access_token": "shpat_x",
}


def drop_ship_po(db: Database, **store: object) -> tuple[object, str]:
    cfg = config(store=store) if store else config()
    offers(db, cfg, "bloom", ("ROSE", 5, 100), ("TULIP", 3, 100))
    ingest(db, order(1, ("ROSE", 3), ("TULIP", 2), tags=("dropship",)))
    run_planner(db, cfg, T0)
    with db.read() as conn:
        number = conn.execute(
            select(t.purchase_orders.c.number).where(t.purchase_orders.c.supplier_id == "bloom")
        ).scalar_one()
    return cfg, number


def outbox_keys(db: Database) -> list[str]:
    with db.read() as conn:
        return sorted(conn.execute(select(t.outbox.c.dedupe_key)).scalars())


def po_status(db: Database, number: str) -> str:
    with db.read() as conn:
        return str(
            conn.execute(
                select(t.purchase_orders.c.status).where(t.purchase_orders.c.number == number)
            ).scalar_one()
        )


def test_partial_then_complete_shipment_queues_one_fulfillment_each(db: Database) -> None:
    cfg, number = drop_ship_po(db, **SHOPIFY)
    first = record_shipment(
        db, cfg, number, ["TRK1"], T0, carrier="DHL", lines=[ShippedLine("ROSE", 2)]
    )
    assert not first.complete
    assert po_status(db, number) == "released"
    second = record_shipment(db, cfg, number, ["TRK2", "TRK3"], T0)
    assert second.complete
    assert {(line.sku, line.quantity) for line in second.lines} == {("ROSE", 1), ("TULIP", 2)}
    assert po_status(db, number) == "shipped"
    keys = outbox_keys(db)
    fulfillments = [k for k in keys if k.startswith("store.fulfillment:")]
    assert len(fulfillments) == 2
    # Released, then shipped: one status write-back per state of the order's PO.
    statuses = [k for k in keys if k.startswith("store.order_status:")]
    assert any(":released:" in k for k in statuses)
    assert any(":shipped:" in k for k in statuses)


def test_shipping_more_than_was_ordered_or_an_unknown_sku_is_refused(db: Database) -> None:
    cfg, number = drop_ship_po(db, **SHOPIFY)
    with pytest.raises(InputError) as caught:
        record_shipment(
            db,
            cfg,
            number,
            ["T"],
            T0,
            lines=[ShippedLine("ROSE", 4), ShippedLine("DAISY", 1)],
        )
    message = str(caught.value)
    assert "SKU ROSE: 4 to ship but only 3 not shipped yet" in message
    assert f"SKU DAISY is not on {number}" in message
    with db.read() as conn:
        assert conn.execute(select(t.shipments)).all() == []
    record_shipment(db, cfg, number, ["T"], T0)
    with pytest.raises(ConflictError, match=r"only a sent PO can ship|nothing left"):
        record_shipment(db, cfg, number, ["T2"], T0)


def test_a_tracking_number_is_required(db: Database) -> None:
    cfg, number = drop_ship_po(db, **SHOPIFY)
    with pytest.raises(InputError, match="tracking number"):
        record_shipment(db, cfg, number, ["  "], T0)


def test_the_file_platform_queues_no_store_write_backs(db: Database) -> None:
    cfg, number = drop_ship_po(db)
    record_shipment(db, cfg, number, ["TRK"], T0)
    assert [k for k in outbox_keys(db) if k.startswith("store.")] == []
