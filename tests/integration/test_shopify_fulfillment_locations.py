"""A drop-ship shipment whose order lines sit at two of the shop's locations becomes one
fulfillment per location, each with the supplier's tracking; a retry after one of them was
made makes only the other."""

from __future__ import annotations

from pathlib import Path

from tandem.connector.configuration import load_config
from tandem.connector.store import Database
from tests.integration.shopify_support import (
    exceptions,
    mutation_counts,
    po_number,
    tandem,
    write_back_later,
)
from tests.standin import ShopifyStandin


def two_location_order(shop: ShopifyStandin, tmp_path: Path) -> tuple[str, str, str]:
    """An order of roses kept at East and a tulip kept at West, both from Bloom (drop-ship)."""
    (tmp_path / "bloom.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nROSE,BL-7,Rose,4.50,9\nTULIP,BL-8,Tulip,3.00,9\n"
    )
    shop.add_variant("TULIP", location_id=shop.add_location("Suppliers 2"))
    east, west = shop.add_location("East warehouse"), shop.add_location("West warehouse")
    order = shop.add_order(
        [
            {"sku": "ROSE", "quantity": 2, "location_id": east},
            {"sku": "TULIP", "quantity": 1, "location_id": west},
        ],
        tags=["dropship"],
    )
    return order, east, west


def by_location(shop: ShopifyStandin, order: str) -> dict[str, tuple[list[str], dict[str, int]]]:
    """Location -> (tracking numbers, SKU -> units) of the order's fulfillments."""
    out = {}
    for f in shop.fulfillments(order):
        assert f["location_id"] not in out, "two fulfillments at one location"
        numbers = sorted(x["number"] for x in f["tracking"])
        out[f["location_id"]] = (numbers, {line["sku"]: line["quantity"] for line in f["lines"]})
    return out


def test_a_shipment_over_two_locations_becomes_two_fulfillments_with_its_tracking(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path
) -> None:
    order, east, west = two_location_order(shop, tmp_path)
    tandem("sync", "--config", str(config_file))
    number = po_number(config_file, "bloom")
    tandem("po", "ship", number, "--tracking", "TRK-42", "--config", str(config_file))
    tandem("sync", "--config", str(config_file))

    assert by_location(shop, order) == {
        east: (["TRK-42"], {"ROSE": 2}),
        west: (["TRK-42"], {"TULIP": 1}),
    }
    assert {fo["status"] for fo in shop.fulfillment_orders(order)} == {"CLOSED"}
    assert not [e for e in exceptions(config_file) if e["kind"] == "store_write_failed"]


def test_a_retry_after_the_first_location_was_fulfilled_makes_only_the_second(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path, tandem_db: Database
) -> None:
    order, east, west = two_location_order(shop, tmp_path)
    tandem("sync", "--config", str(config_file))
    number = po_number(config_file, "bloom")
    tandem("po", "ship", number, "--tracking", "TRK-42", "--config", str(config_file))

    # East's fulfillment is made; Shopify is unavailable for West's.
    shop.answer_next("FulfillmentCreate", 503, b"HTTP 503", after=1)
    tandem("sync", "--config", str(config_file))
    assert by_location(shop, order) == {east: (["TRK-42"], {"ROSE": 2})}

    report = write_back_later(tandem_db, load_config(config_file), shop)
    assert report.done == 1 and report.failed == []
    assert by_location(shop, order) == {
        east: (["TRK-42"], {"ROSE": 2}),
        west: (["TRK-42"], {"TULIP": 1}),
    }
    assert sum(mutation_counts(shop, "FulfillmentCreate").values()) == 2


def test_the_answer_to_the_second_location_lost_is_not_made_twice(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path, tandem_db: Database
) -> None:
    order, east, west = two_location_order(shop, tmp_path)
    tandem("sync", "--config", str(config_file))
    number = po_number(config_file, "bloom")
    tandem("po", "ship", number, "--tracking", "TRK-42", "--config", str(config_file))

    # Both are made, but the answer to West's never reaches Tandem.
    shop.lose_answer_next("FulfillmentCreate", after=1)
    tandem("sync", "--config", str(config_file))
    assert len(shop.fulfillments(order)) == 2

    report = write_back_later(tandem_db, load_config(config_file), shop)
    assert report.done == 1 and report.failed == []
    assert by_location(shop, order) == {
        east: (["TRK-42"], {"ROSE": 2}),
        west: (["TRK-42"], {"TULIP": 1}),
    }
    assert sum(mutation_counts(shop, "FulfillmentCreate").values()) == 2
