"""WooCommerce orders as WooCommerce publishes them, read into Tandem's orders."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tandem.adapters.woocommerce.mapper import MappingError, ProductFacts, map_order
from tandem.connector.domain import Mode
from tandem.connector.routing import LineFacts, ModeRules, decide_mode

RECORDED = Path(__file__).parents[1] / "standins" / "recorded"


def recorded(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text())  # type: ignore[no-any-return]


def test_the_reference_order_reads_with_its_lines_address_and_times() -> None:
    order = map_order(recorded("woocommerce-docs-order-727.json"))
    assert (order.id, order.name, order.currency) == ("727", "#727", "USD")
    assert order.financial_status == "paid"  # processing
    assert order.created_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)  # the GMT field
    assert order.updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    simple, variation = order.lines
    assert (simple.id, simple.sku, simple.quantity, simple.price) == ("315", None, 2, Decimal(3))
    assert (simple.product_id, simple.variant_id) == ("93", None)
    assert (variation.sku, variation.variant_id, variation.product_id) == ("Bar3", "23", "22")
    assert variation.properties == {"pa_color": "black", "size": "M Test"}
    address = order.shipping_address
    assert address is not None
    assert (address.name, address.city, address.province_code, address.country_code) == (
        "John Doe",
        "San Francisco",
        "CA",
        "US",
    )
    assert address.email == "john.doe@example.com"
    assert order.customer.email == "john.doe@example.com"
    assert order.customer.id is None  # a guest (customer_id 0)
    assert order.cancelled_at is None


def test_a_webhook_body_without_a_shipping_address_ships_to_the_billing_one() -> None:
    order = map_order(recorded("pipedream-order-created-webhook-15.json"))
    assert order.name == "#15"
    assert order.customer.id == "1"
    assert order.shipping_address is not None
    assert order.shipping_address.country_code == "VN"
    assert order.lines[0].sku is None  # no SKU: Tandem reports it as unmapped, never guesses
    assert order.prior_handling.closed  # completed


@pytest.mark.parametrize(
    ("status", "refunds", "financial", "cancelled"),
    [
        ("processing", [], "paid", False),
        ("completed", [{"id": 1, "total": "-2.00"}], "partially_refunded", False),
        ("on-hold", [], "on-hold", False),
        ("pending", [], "pending", False),
        ("cancelled", [], "cancelled", True),
        ("refunded", [], "refunded", True),
    ],
)
def test_the_status_says_whether_the_order_is_paid_or_over(
    status: str, refunds: list[Any], financial: str, cancelled: bool
) -> None:
    raw = {**recorded("woocommerce-docs-order-727.json"), "status": status, "refunds": refunds}
    order = map_order(raw)
    assert order.financial_status == financial
    assert (order.cancelled_at is not None) is cancelled


def test_line_meta_names_the_mode_over_order_meta_and_product_tags() -> None:
    raw = recorded("woocommerce-docs-order-727.json")
    raw["meta_data"].append({"id": 1, "key": "_fulfilment", "value": "back_to_back"})
    raw["line_items"][1]["meta_data"].append({"id": 2, "key": "_fulfilment", "value": "drop_ship"})
    products = {"93": ProductFacts(tags=("dropship",)), "22": ProductFacts(tags=("b2b",))}
    order = map_order(raw, products=products)
    rules = ModeRules(Mode.STOCK, tag_modes={"dropship": Mode.DROP_SHIP, "b2b": Mode.BACK_TO_BACK})

    def mode(index: int) -> Mode:
        line = order.lines[index]
        facts = LineFacts(line.properties, order.tags, (), line.product_tags, line.product_mode)
        return decide_mode(facts, rules, None).mode

    assert order.lines[0].product_tags == ("dropship",)
    assert mode(0) == Mode.BACK_TO_BACK  # the order's meta beats the product tag
    assert mode(1) == Mode.DROP_SHIP  # the line's own meta beats the order's


def test_what_tandem_wrote_on_the_order_comes_back_for_the_fences() -> None:
    raw = recorded("woocommerce-docs-order-727.json")
    written = [{"number": "PO-00007", "supplier": "Acme", "status": "sent", "database": "db-1"}]
    raw["meta_data"].append({"id": 9, "key": "_tandem_purchase_orders", "value": written})
    [prior] = map_order(raw).prior_handling.purchase_orders
    assert (prior.number, prior.database, prior.status) == ("PO-00007", "db-1", "sent")


def test_an_order_that_cannot_be_read_is_named_with_the_field() -> None:
    raw = {**recorded("woocommerce-docs-order-727.json"), "date_modified_gmt": "yesterday"}
    with pytest.raises(MappingError, match=r"order #727: 'yesterday' is not a time"):
        map_order(raw)
    raw = recorded("woocommerce-docs-order-727.json")
    raw["line_items"][0]["price"] = "three"
    with pytest.raises(MappingError, match=r"order #727: line 315: price 'three' is not a number"):
        map_order(raw)
