"""The stand-in splits an order's fulfillment orders by location and, as Shopify does, refuses
a fulfillmentCreate that mixes fulfillment orders of different locations."""

from __future__ import annotations

from typing import Any

from tandem.adapters.shopify import documents as doc
from tandem_shopify_standin.store import gid_number
from tests.standin import ShopifyStandin


def fulfillment_input(*fulfillment_orders: dict[str, Any]) -> dict[str, Any]:
    return {
        "fulfillment": {
            "lineItemsByFulfillmentOrder": [
                {
                    "fulfillmentOrderId": fo["id"],
                    "fulfillmentOrderLineItems": [
                        {"id": line["id"], "quantity": line["remaining"]} for line in fo["lines"]
                    ],
                }
                for fo in fulfillment_orders
            ],
            "trackingInfo": {"numbers": ["TRK-1"]},
        }
    }


def test_lines_at_two_locations_sit_in_two_fulfillment_orders(
    shopify_standin: ShopifyStandin,
) -> None:
    shop = shopify_standin
    east = shop.add_location("East warehouse")
    order = shop.add_order(
        [{"sku": "ROSE", "quantity": 2, "location_id": east}, ("TULIP", 1), ("LILY", 3)]
    )

    placed = shop.fulfillment_orders(order)
    assert [(fo["location_id"], [line["sku"] for line in fo["lines"]]) for fo in placed] == [
        (east, ["ROSE"]),
        (shop.default_location, ["TULIP", "LILY"]),
    ]
    # Tandem's own read says where each is assigned.
    remote = shop.execute(doc.FULFILLMENT_ORDERS.text, {"id": order})["data"]["order"]
    assert [fo["assignedLocation"] for fo in remote["fulfillmentOrders"]["nodes"]] == [
        {"name": "East warehouse", "location": {"id": east}},
        {"name": "Shop location", "location": {"id": shop.default_location}},
    ]


def test_fulfillment_orders_of_two_locations_in_one_call_are_refused(
    shopify_standin: ShopifyStandin,
) -> None:
    shop = shopify_standin
    east = shop.add_location("East warehouse")
    order = shop.add_order([{"sku": "ROSE", "location_id": east}, ("TULIP", 1)])
    at_east, at_shop = shop.fulfillment_orders(order)

    body = shop.execute(doc.FULFILLMENT_CREATE.text, fulfillment_input(at_east, at_shop))
    numbers = f"{gid_number(east)}, {gid_number(shop.default_location)}"
    assert body["data"]["fulfillmentCreate"] == {
        "fulfillment": None,
        "userErrors": [
            {
                "field": ["fulfillment"],
                "message": "All fulfillment orders must be assigned to a single location."
                f" Multiple locations with IDs [{numbers}] were found",
            }
        ],
    }
    assert shop.fulfillments(order) == []  # nothing fulfilled
    assert {line["remaining"] for fo in shop.fulfillment_orders(order) for line in fo["lines"]} == {
        1
    }

    # One location at a time is accepted.
    for fo in (at_east, at_shop):
        body = shop.execute(doc.FULFILLMENT_CREATE.text, fulfillment_input(fo))
        assert body["data"]["fulfillmentCreate"]["userErrors"] == []
    made = shop.fulfillments(order)
    assert [(f["location_id"], [line["sku"] for line in f["lines"]]) for f in made] == [
        (east, ["ROSE"]),
        (shop.default_location, ["TULIP"]),
    ]
    assert {fo["status"] for fo in shop.fulfillment_orders(order)} == {"CLOSED"}


def test_answer_next_after_lets_the_first_requests_through(
    shopify_standin: ShopifyStandin,
) -> None:
    shop = shopify_standin
    shop.answer_next("Shop", 503, b"HTTP 503", after=2)
    statuses = [shop.post("query Shop { shop { name } }").status_code for _ in range(4)]
    assert statuses == [200, 200, 503, 200]
