"""The demo garden shop: its products, its suppliers' catalogues, and its random orders."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tandem.connector.demo.catalogue import (
    CATALOGUE_COLUMNS,
    DROP_SHIPPABLE,
    DROPSHIP_TAG,
    MODE_PROPERTY,
    PRODUCTS,
    SUPPLIER_LIST,
    SUPPLIERS,
    SUPPLIERS_LOCATION,
    random_order,
    seed_store,
    write_catalogues,
)
from tandem_shopify_standin import DEMO_SCHEMA_PATH, ShopifyStandin


def offers() -> dict[str, dict[str, Any]]:
    """SKU -> supplier id -> its catalogue row, read back from the CSV text."""
    out: dict[str, dict[str, Any]] = {}
    for supplier in SUPPLIER_LIST:
        rows = list(csv.DictReader(io.StringIO(supplier.catalogue_csv())))
        for row in rows:
            assert tuple(row) == CATALOGUE_COLUMNS
            out.setdefault(row["sku"], {})[supplier.id] = row
    return out


def test_a_believable_assortment() -> None:
    assert len(PRODUCTS) == 24
    assert len({p.sku for p in PRODUCTS}) == 24
    assert all(p.price > 0 and p.tags for p in PRODUCTS)
    listed = offers()
    assert set(listed) == {p.sku for p in PRODUCTS}  # everything sold is sourced somewhere
    for sku, by_supplier in listed.items():
        price = next(p.price for p in PRODUCTS if p.sku == sku)
        for row in by_supplier.values():
            assert Decimal(row["cost"]) < price * Decimal("0.6"), (sku, row)
            assert int(row["stock"]) >= 0 and int(row["lead_time_days"]) > 0


def test_suppliers_overlap_run_out_and_one_only_drop_ships() -> None:
    listed = offers()
    assert any(len(by) == 1 for by in listed.values())
    assert any(len(by) > 1 for by in listed.values())
    preferred = min(SUPPLIER_LIST, key=lambda s: s.priority)
    out_at_preferred = [
        sku
        for sku, by in listed.items()
        if preferred.id in by
        and by[preferred.id]["stock"] == "0"
        and any(int(r["stock"]) > 0 for sid, r in by.items() if sid != preferred.id)
    ]
    assert len(out_at_preferred) >= 2
    drop_only = [s for s in SUPPLIER_LIST if s.modes == ("drop_ship",)]
    assert len(drop_only) == 1 and drop_only[0].mode == "drop_ship"
    assert len({s.priority for s in SUPPLIER_LIST}) == len(SUPPLIER_LIST)
    assert len({row["supplier_sku"] for by in listed.values() for row in by.values()}) == sum(
        len(by) for by in listed.values()
    )


def test_catalogues_and_config_sections_agree(tmp_path: Path) -> None:
    paths = write_catalogues(tmp_path)
    assert [p.name for p in paths] == [f"{s.id}.csv" for s in SUPPLIER_LIST]
    for path, section in zip(paths, SUPPLIERS, strict=True):
        assert (tmp_path / section["catalogue"]["path"]) == path
        assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(CATALOGUE_COLUMNS)
        assert section["transport"]["type"] == "email"
        assert section["catalogue"]["columns"] == {"lead_time_days": "lead_time_days"}


def demo_shop(seed: int) -> tuple[ShopifyStandin, random.Random]:
    shop = ShopifyStandin(schema_path=DEMO_SCHEMA_PATH)  # not started: seeding needs no HTTP
    rng = random.Random(seed)
    seed_store(shop, rng)
    return shop, rng


def summary(shop: ShopifyStandin, order_id: str) -> dict[str, Any]:
    order = shop.order(order_id)
    lines = [shop.store.objects[i] for i in order["_lines"]]
    address = order["shippingAddress"]
    return {
        "name": order["name"],
        "status": order["displayFinancialStatus"],
        "currency": order["currencyCode"],
        "tags": order["tags"],
        "email": order["email"],
        "lines": [(li["sku"], li["quantity"], li["customAttributes"]) for li in lines],
        "address": {k: v for k, v in address.items() if k != "id"},
    }


def test_seeding_stocks_every_variant_at_the_suppliers_location() -> None:
    shop, _ = demo_shop(1)
    locations = shop.execute("{ locations(first: 10) { nodes { id name } } }")["data"]
    [suppliers] = [
        loc["id"] for loc in locations["locations"]["nodes"] if loc["name"] == SUPPLIERS_LOCATION
    ]
    for product in PRODUCTS:
        variant = shop.variant(product.sku)
        assert variant["price"] == f"{product.price:.2f}"
        assert shop.tags(variant["product_id"]) == sorted(product.tags)
        assert shop.inventory_quantity(product.sku, location_id=suppliers) == 0


def test_orders_are_deterministic_for_a_seed() -> None:
    first, rng_a = demo_shop(42)
    second, rng_b = demo_shop(42)
    a = [summary(first, random_order(first, rng_a)) for _ in range(20)]
    b = [summary(second, random_order(second, rng_b)) for _ in range(20)]
    assert a == b
    third, rng_c = demo_shop(43)
    assert [summary(third, random_order(third, rng_c)) for _ in range(20)] != a


@pytest.mark.parametrize("seed", [1, 2])
def test_random_orders_look_like_a_garden_shops(seed: int) -> None:
    shop, rng = demo_shop(seed)
    orders = [summary(shop, random_order(shop, rng)) for _ in range(300)]
    sizes = Counter(len(o["lines"]) for o in orders)
    assert set(sizes) == {1, 2, 3}
    assert sizes[1] > sizes[3]
    skus = Counter(sku for o in orders for sku, _, _ in o["lines"])
    assert len(skus) >= 20  # the whole range sells
    tagged = [o for o in orders if DROPSHIP_TAG in o["tags"]]
    with_property = [o for o in orders if any(attrs for _, _, attrs in o["lines"])]
    assert tagged and with_property
    for order in orders:
        assert order["status"] == "PAID" and order["currency"] == "GBP"
        assert len({sku for sku, _, _ in order["lines"]}) == len(order["lines"])
        assert all(1 <= quantity <= 4 for _, quantity, _ in order["lines"])
        address = order["address"]
        assert address["countryCodeV2"] == "GB" and address["country"] == "United Kingdom"
        assert address["zip"] and address["city"] and address["address1"]
        assert address["name"] and "@" in order["email"]
        if DROPSHIP_TAG in order["tags"]:
            assert all(sku in DROP_SHIPPABLE for sku, _, _ in order["lines"])
        for sku, _, attrs in order["lines"]:
            if attrs:
                assert attrs == [{"key": MODE_PROPERTY, "value": "drop_ship"}]
                assert sku in DROP_SHIPPABLE
