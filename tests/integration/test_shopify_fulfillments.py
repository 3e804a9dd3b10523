"""Drop-ship tracking becomes fulfillments on the customer's order: once per shipment, even
when Shopify's answer is lost, and a later shipment that reuses a tracking number still counts.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from tandem.connector.configuration import load_config
from tandem.connector.services import store_updates
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.integration.shopify_support import (
    exceptions,
    mutation_counts,
    po_number,
    tandem,
    write_back_later,
)
from tests.standin import ShopifyStandin


def ship(config: Path, number: str, *tracking: str, quantity: int | None = None) -> None:
    args = ["po", "ship", number, "--config", str(config)]
    for value in tracking:
        args += ["--tracking", value]
    if quantity is not None:
        args += ["--sku", "ROSE", "--quantity", str(quantity)]
    tandem(*args)


def fulfillment_items(db: Database) -> list[tuple[str, str]]:
    o = t.outbox.c
    with db.read() as conn:
        rows = conn.execute(
            select(o.dedupe_key, o.status).where(o.kind == store_updates.FULFILLMENT).order_by(o.id)
        )
        return [(key, status) for key, status in rows]


def shipped(shop: ShopifyStandin, order: str) -> list[tuple[list[str], int]]:
    return [
        (sorted(x["number"] for x in f["tracking"]), sum(line["quantity"] for line in f["lines"]))
        for f in shop.fulfillments(order)
    ]


def test_a_fulfillment_whose_answer_was_lost_is_found_not_created_again(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database
) -> None:
    order = shop.add_order([("ROSE", 3)], tags=["dropship"])
    tandem("sync", "--config", str(config_file))
    ship(config_file, po_number(config_file, "bloom"), "TRK-1", quantity=1)

    # Shopify creates the fulfillment, but its answer never reaches Tandem.
    shop.lose_answer_next("FulfillmentCreate")
    tandem("sync", "--config", str(config_file))
    assert shipped(shop, order) == [(["TRK-1"], 1)]
    [(_, status)] = fulfillment_items(tandem_db)
    assert status == "pending"  # handed back to the outbox, not resent blindly

    # The next attempt reads the order's fulfillments first, finds this one, and is done.
    report = write_back_later(tandem_db, load_config(config_file), shop)
    assert report.done == 1 and report.failed == []
    assert shipped(shop, order) == [(["TRK-1"], 1)]
    assert fulfillment_items(tandem_db)[0][1] == "done"
    counts = mutation_counts(shop, "FulfillmentCreate")
    assert sum(counts.values()) == 1
    assert not [e for e in exceptions(config_file) if e["kind"] == "store_write_failed"]


def test_a_later_shipment_reusing_a_tracking_number_is_still_fulfilled(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database
) -> None:
    order = shop.add_order([("ROSE", 4)], tags=["dropship"])
    tandem("sync", "--config", str(config_file))
    number = po_number(config_file, "bloom")
    ship(config_file, number, "BOX-1", quantity=1)
    tandem("sync", "--config", str(config_file))
    # The supplier sends a second parcel under the same number, then the rest in two boxes.
    ship(config_file, number, "BOX-1", quantity=1)
    ship(config_file, number, "BOX-1", "BOX-2")
    tandem("sync", "--config", str(config_file))

    assert sorted(shipped(shop, order)) == [
        (["BOX-1"], 1),
        (["BOX-1"], 1),
        (["BOX-1", "BOX-2"], 2),
    ]
    assert {fo["status"] for fo in shop.fulfillment_orders(order)} == {"CLOSED"}
    assert [status for _, status in fulfillment_items(tandem_db)] == ["done"] * 3

    # Replaying every write-back changes nothing: each shipment is recognised as made.
    with tandem_db.write() as conn:
        conn.execute(
            t.outbox.update()
            .where(t.outbox.c.kind == store_updates.FULFILLMENT)
            .values(status="pending")
        )
    report = write_back_later(tandem_db, load_config(config_file), shop)
    assert report.done == 3 and report.failed == []
    assert len(shop.fulfillments(order)) == 3
    assert "BOX-2" in json.dumps(shop.fulfillments(order))
