"""The order mapper on orders Shopify really sent (../shared/shopify/recorded)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tandem.adapters.shopify.mapper import MappingError, map_order, order_gid
from tests.conftest import SHARED

RECORDED = SHARED / "shopify" / "recorded"


def recorded(name: str) -> Any:
    path: Path = RECORDED / name
    if not path.exists():
        pytest.skip(f"recorded Shopify responses are not at {RECORDED}")
    return json.loads(path.read_text(encoding="utf-8"))


def test_an_edited_order_maps_to_its_current_quantities() -> None:
    data = recorded("2026-04__order-edit-commit-history-and-fulfillment-orders.json")
    node = dict(data["downstreamRead"]["response"]["payload"]["data"]["order"])
    node["createdAt"] = "2026-06-22T21:37:20Z"  # not in this capture's selection
    order = map_order(node)
    assert order.id == "gid://shopify/Order/8837930516786"
    assert order.name == "#1491"
    by_sku = {line.sku: line for line in order.lines}
    # Ordered 3, edited down to 1: Tandem plans what the customer still wants.
    assert by_sku["order-edit-source-20260622213724"].quantity == 1
    assert by_sku["order-edit-source-20260622213724"].variant_id is None
    snowboard = by_sku["sku-untracked-1"]
    assert snowboard.quantity == 2
    assert snowboard.price == Decimal("949.95")
    assert snowboard.variant_id == "gid://shopify/ProductVariant/49875425296690"


def test_tags_address_and_attributes_of_an_updated_order() -> None:
    data = recorded("2026-04__orderUpdate-snapshot-staging.json")
    node = dict(data["operations"]["downstreamRead"]["response"]["payload"]["data"]["byId"])
    node["createdAt"] = node["updatedAt"]
    order = map_order(node)
    assert order.tags == ("snapshot-after", "vip")
    assert order.shipping_address is not None
    assert order.shipping_address.country_code == "CA"
    assert order.shipping_address.province_code == "ON"
    assert order.shipping_address.phone == "+16135552222"
    assert [line.quantity for line in order.lines] == [2]  # no currentQuantity: quantity


def test_a_line_property_product_tags_and_mode_metafield_reach_the_domain() -> None:
    node = {
        "id": "gid://shopify/Order/1",
        "name": "#1001",
        "createdAt": "2026-11-20T10:00:00Z",
        "updatedAt": "2026-11-20T10:05:00Z",
        "cancelledAt": None,
        "displayFinancialStatus": "PARTIALLY_PAID",
        "currencyCode": "GBP",
        "tags": ["b2b"],
        "customer": {
            "id": "gid://shopify/Customer/9",
            "displayName": "Ada Lovelace",
            "tags": ["trade"],
            "defaultEmailAddress": {"emailAddress": "ada@example.com"},
        },
        "shippingAddress": {
            "name": "Ada Lovelace",
            "address1": "1 Main St",
            "city": "London",
            "zip": "N1 1AA",
            "country": "United Kingdom",
            "countryCodeV2": "GB",
        },
        "lineItems": {
            "nodes": [
                {
                    "id": "gid://shopify/LineItem/11",
                    "sku": " 0001-SPADE ",
                    "name": "Spade",
                    "quantity": 2,
                    "currentQuantity": 0,
                    "customAttributes": [{"key": "_fulfilment", "value": "drop_ship"}],
                    "originalUnitPriceSet": {"shopMoney": {"amount": "24.50"}},
                    "variant": {"id": "gid://shopify/ProductVariant/5"},
                    "product": {
                        "id": "gid://shopify/Product/3",
                        "tags": ["dropship"],
                        "modeField": {"value": "back_to_back"},
                    },
                }
            ],
            "pageInfo": {"hasNextPage": False, "endCursor": None},
        },
    }
    order = map_order(node)
    assert order.financial_status == "partially_paid"
    assert order.customer.tags == ("trade",)
    assert order.customer.email == "ada@example.com"
    assert order.shipping_address and order.shipping_address.email == "ada@example.com"
    line = order.lines[0]
    assert line.sku == "0001-SPADE"
    assert line.quantity == 0  # removed by an edit
    assert line.properties == {"_fulfilment": "drop_ship"}
    assert line.product_tags == ("dropship",)
    assert line.product_mode == "back_to_back"
    assert line.product_id == "gid://shopify/Product/3"


def test_an_unreadable_order_names_the_order_and_the_field() -> None:
    with pytest.raises(MappingError, match=r"order #1002: createdAt is missing"):
        map_order(
            {"id": "gid://shopify/Order/2", "name": "#1002", "updatedAt": "2026-11-20T10:00:00Z"}
        )


def test_webhook_payloads_name_their_order() -> None:
    payload = recorded("webhook__orders-create.json")
    assert order_gid(payload) == "gid://shopify/Order/820982911946154508"
    assert (
        order_gid({"admin_graphql_api_id": "gid://shopify/Order/7", "id": 7})
        == "gid://shopify/Order/7"
    )
    assert order_gid({"order_edit": {"id": 1, "order_id": 42}}) == "gid://shopify/Order/42"
    assert order_gid({"shop": "x"}) is None
