"""The Shopify stand-in itself: validation, cost, throttling, pagination and the mutations."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tandem_shopify_standin.schema import real_schema_path
from tests.conftest import SHARED
from tests.standin import ShopifyStandin

RECORDED = SHARED / "shopify" / "recorded"
if not RECORDED.is_dir():
    pytest.skip(
        f"the recorded Shopify responses are not at {RECORDED} (they live in ../shared)",
        allow_module_level=True,
    )
if real_schema_path() is None:
    pytest.skip(
        "these tests exercise the stand-in over the real Admin schema (../shared or"
        " TANDEM_SHOPIFY_SCHEMA); only the packaged demo schema is here",
        allow_module_level=True,
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def shop(shopify_standin: ShopifyStandin) -> ShopifyStandin:
    shopify_standin.freeze_time("2026-07-01T12:00:00Z")
    return shopify_standin


def gql(
    shop: ShopifyStandin, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = shop.post(query, variables)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def order_fields(shop: ShopifyStandin, order_id: str, selection: str) -> Any:
    query = f"query($id: ID!) {{ order(id: $id) {{ {selection} }} }}"
    return gql(shop, query, {"id": order_id})["data"]["order"]


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


# -- transport --------------------------------------------------------------------------------


def test_serves_on_loopback_and_requires_the_token() -> None:
    with ShopifyStandin(token="shpat_secret", shop_name="Northwind") as shop:
        assert shop.url.startswith("http://127.0.0.1:")
        assert shop.graphql_url == f"{shop.url}/admin/api/2026-07/graphql.json"
        body = gql(shop, "{ shop { name currencyCode myshopifyDomain } }")
        assert body["data"]["shop"] == {
            "name": "Northwind",
            "currencyCode": "USD",
            "myshopifyDomain": "tandem-test.myshopify.com",
        }
        refused = shop.post("{ shop { name } }", token="wrong")
        assert refused.status_code == 401
        assert refused.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }
        assert [r.outcome for r in shop.requests] == ["ok", "unauthorized"]
        url = shop.graphql_url
    with pytest.raises(RuntimeError):
        _ = shop.url
    with pytest.raises(httpx.TransportError):
        httpx.post(url, json={"query": "{ shop { name } }"}, timeout=1)


def test_scripted_failures_come_before_normal_handling(shop: ShopifyStandin) -> None:
    shop.fail_next(502)
    shop.rate_limit_next(retry_after=1.5)
    shop.delay_next(0.05)
    assert shop.post("{ shop { name } }").status_code == 502
    limited = shop.post("{ shop { name } }")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1.5"
    started = time.monotonic()
    assert gql(shop, "{ shop { name } }")["data"]["shop"]["name"] == "Tandem Test Shop"
    assert time.monotonic() - started >= 0.05
    shop.throttle_next()
    assert gql(shop, "{ shop { name } }")["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert shop.throttled_count == 1


TAG = 'mutation Tag($id: ID!) { tagsAdd(id: $id, tags: ["x"]) { userErrors { message } } }'


def test_answers_scripted_for_one_operation_leave_the_others_alone(shop: ShopifyStandin) -> None:
    order = shop.add_order(["SKU-1"])
    shop.answer_next("Tag", 200, {"data": None})
    assert gql(shop, "query Name { shop { name } }")["data"]["shop"]["name"] == "Tandem Test Shop"
    assert gql(shop, TAG, {"id": order}) == {"data": None}
    assert shop.order_tags(order) == []  # answered instead of run
    assert gql(shop, TAG, {"id": order})["data"]["tagsAdd"]["userErrors"] == []
    assert shop.order_tags(order) == ["x"]
    assert [r.outcome for r in shop.requests] == ["ok", "scripted", "ok"]


def test_a_lost_answer_comes_after_the_write(shop: ShopifyStandin) -> None:
    order = shop.add_order(["SKU-1"])
    shop.lose_answer_next("Tag")
    lost = shop.post(TAG, {"id": order})
    assert lost.status_code == 502
    assert shop.order_tags(order) == ["x"]  # the write happened all the same
    [record] = shop.requests
    assert record.accepted and record.answer_lost
    assert shop.post(TAG, {"id": order}).status_code == 200


# -- validation -------------------------------------------------------------------------------

BASE_CASES = recorded("2025-01__graphql-base-validation-unhappy-paths.json")["cases"]


@pytest.mark.parametrize(
    "case",
    [
        "invalidSyntax",
        "missingSubselection",
        "missingRequiredVariable",
        "unknownQueryRoot",
        "unknownMutationRoot",
        "unknownProductField",
        "unknownOrderField",
        "missingInputRequiredProperty",
    ],
)
def test_invalid_documents_get_shopifys_recorded_errors(shop: ShopifyStandin, case: str) -> None:
    request = BASE_CASES[case]["request"]
    body = shop.execute(request["query"], request["variables"])
    assert body == BASE_CASES[case]["response"]["payload"]
    assert shop.requests[-1].outcome == "invalid"
    assert not shop.accepted_requests


def test_unknown_argument_and_missing_argument_shapes(shop: ShopifyStandin) -> None:
    body = shop.execute("query Q { orders(first: 1, bogus: 2) { nodes { id } } nodes { id } }")
    codes = sorted(e["extensions"]["code"] for e in body["errors"])
    assert codes == ["argumentNotAccepted", "missingRequiredArguments"]
    missing = next(
        e for e in body["errors"] if e["extensions"]["code"] == "missingRequiredArguments"
    )
    assert missing["message"] == "Field 'nodes' is missing required arguments: ids"
    assert missing["path"] == ["query Q", "nodes"]


def test_deprecated_fields_are_flagged_but_served(shop: ShopifyStandin) -> None:
    shop.add_variant("SKU-1", inventory_quantity=3)
    deprecated = "{ inventoryItems(first: 5) { nodes { id variant { sku } } } }"
    body = gql(shop, deprecated)
    assert body["data"]["inventoryItems"]["nodes"][0]["variant"] == {"sku": "SKU-1"}
    gql(shop, "{ inventoryItems(first: 5) { nodes { id variants(first: 1) { nodes { sku } } } } }")
    flagged = shop.deprecated_requests
    assert len(flagged) == 1
    assert flagged[0].query == deprecated
    assert "InventoryItem.variant is deprecated" in flagged[0].deprecated[0]
    assert len(shop.accepted_requests) == 2

    shop.configure(strict_deprecations=True)
    assert shop.execute(deprecated)["errors"][0]["extensions"]["code"] == "DEPRECATED_FIELD"


# -- cost and throttling ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path", "cost"),
    [
        ("2026-04__inventory-quantity-contracts-2026-04.json", ("upstreamCalls", 1), 15),
        (
            "2026-04__fulfillment-create-preconditions.json",
            ("cases", "closed", "setup", "firstFulfillmentCreate"),
            19,
        ),
        ("2025-01__tags-add-multi-resource.json", ("cases", "orderAdd"), 10),
    ],
)
def test_requested_cost_matches_recordings(
    shop: ShopifyStandin, name: str, path: tuple[Any, ...], cost: int
) -> None:
    entry = recorded(name)
    for key in path:
        entry = entry[key]
    query = entry.get("query") or entry.get("request", {}).get("query")
    body = shop.execute(query, entry.get("variables") or entry.get("request", {}).get("variables"))
    assert body["extensions"]["cost"]["requestedQueryCost"] == cost


def test_every_response_carries_the_cost_extension(shop: ShopifyStandin) -> None:
    body = gql(
        shop, "query { orders(first: 10) { nodes { id lineItems(first: 5) { nodes { sku } } } } }"
    )
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 2 + 4 * (1 + 2 + 3 * 1),
        "actualQueryCost": 2,
        "throttleStatus": {
            "maximumAvailable": 2000,
            "currentlyAvailable": 1998,
            "restoreRate": 100,
        },
    }
    assert shop.points_spent == 2


def test_a_tiny_bucket_throttles_then_recovers_after_waiting(shop: ShopifyStandin) -> None:
    clock = FakeClock()  # the bucket's clock: "waiting" is moving it on
    shop.configure(bucket_size=2, restore_rate=4, clock=clock)
    query = "{ shop { name } }"  # costs 1
    assert "data" in gql(shop, query)
    assert "data" in gql(shop, query)
    throttled = gql(shop, query)
    assert throttled["errors"] == [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ]
    assert "data" not in throttled
    assert throttled["extensions"]["cost"] == {
        "requestedQueryCost": 1,
        "actualQueryCost": None,
        "throttleStatus": {"maximumAvailable": 2, "currentlyAvailable": 0, "restoreRate": 4},
    }
    clock.now += 0.25  # one point back
    body = gql(shop, query)
    assert body["data"]["shop"]["name"] == "Tandem Test Shop"
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0
    assert shop.throttled_count == 1
    assert [r.outcome for r in shop.requests] == ["ok", "ok", "throttled", "ok"]
    clock.now += 100
    assert shop.bucket_available == 2  # never above the bucket size


def test_throttling_in_real_time(shop: ShopifyStandin) -> None:
    shop.configure(bucket_size=1, restore_rate=10)
    shop.drain_bucket()
    assert gql(shop, "{ shop { name } }")["errors"][0]["extensions"]["code"] == "THROTTLED"
    time.sleep(0.12)
    assert "data" in gql(shop, "{ shop { name } }")


def test_a_query_over_1000_points_is_refused(shop: ShopifyStandin) -> None:
    query = """{ orders(first: 250) { nodes { fulfillmentOrders(first: 250) { nodes {
        lineItems(first: 250) { nodes { id } } } } } } }"""
    body = gql(shop, query)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["cost"] == 1729 and error["extensions"]["maxCost"] == 1000
    assert error["message"].startswith(
        "Query cost is 1729, which exceeds the single query max cost limit (1000)."
    )
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 2000


# -- orders -----------------------------------------------------------------------------------

ORDERS = """
query Orders($query: String, $after: String) {
  orders(first: 2, after: $after, query: $query, sortKey: UPDATED_AT) {
    edges { cursor node { id name updatedAt } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _all_orders(shop: ShopifyStandin, query: str | None) -> list[str]:
    names: list[str] = []
    after = None
    while True:
        page = gql(shop, ORDERS, {"query": query, "after": after})["data"]["orders"]
        names += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return names
        after = page["pageInfo"]["endCursor"]


def test_orders_paginate_by_updated_at_and_filter(shop: ShopifyStandin) -> None:
    ids = []
    for _ in range(5):
        ids.append(shop.add_order([("SKU-1", 1)]))
        shop.advance_time(60)
    assert _all_orders(shop, None) == ["#1001", "#1002", "#1003", "#1004", "#1005"]
    assert _all_orders(shop, "updated_at:>'2026-07-01T12:02:00Z' status:any") == ["#1004", "#1005"]
    assert _all_orders(shop, "updated_at:>='2026-07-01T12:02:00Z'") == ["#1003", "#1004", "#1005"]

    shop.update_order(ids[0], note="changed")  # now 12:05
    assert _all_orders(shop, "updated_at:>'2026-07-01T12:02:00Z'") == ["#1004", "#1005", "#1001"]
    assert order_fields(shop, ids[0], "note updatedAt") == {
        "note": "changed",
        "updatedAt": "2026-07-01T12:05:00Z",
    }


def test_orders_sort_keys_reverse_and_page_size_limits(shop: ShopifyStandin) -> None:
    for _ in range(5):
        shop.add_order(["SKU-1"])
    query = """query($after: String) { orders(first: 2, after: $after, sortKey: ORDER_NUMBER,
      reverse: true) { nodes { name } pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
    names, after = [], None
    while True:
        page = gql(shop, query, {"after": after})["data"]["orders"]
        names += [n["name"] for n in page["nodes"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == ["#1005", "#1004", "#1003", "#1002", "#1001"]
    too_big = gql(shop, "{ orders(first: 251) { nodes { id } } }")
    assert too_big["data"] is None and too_big["errors"][0]["path"] == ["orders"]
    missing = gql(shop, "{ orders { nodes { id } } }")
    assert missing["errors"][0]["message"] == "you must provide one of first or last"


def test_inventory_items_and_variants_by_sku(shop: ShopifyStandin) -> None:
    a = shop.add_variant("A-1", inventory_quantity=3)
    shop.add_variant("B-2", policy="CONTINUE")
    shop.add_variant("C-3")
    query = """query($q: String!, $location: ID!) {
      inventoryItems(first: 10, query: $q) { nodes { sku
        variants(first: 1) { nodes { id inventoryPolicy } }
        inventoryLevel(locationId: $location) { quantities(names: ["available"]) { quantity } }
      } } }"""
    body = gql(shop, query, {"q": "sku:'A-1' OR sku:'B-2'", "location": shop.default_location})
    items = body["data"]["inventoryItems"]["nodes"]
    assert [i["sku"] for i in items] == ["A-1", "B-2"]
    assert items[0]["variants"]["nodes"] == [{"id": a.variant_id, "inventoryPolicy": "DENY"}]
    assert items[0]["inventoryLevel"]["quantities"] == [{"quantity": 3}]
    assert items[1]["variants"]["nodes"][0]["inventoryPolicy"] == "CONTINUE"
    variants = gql(shop, '{ productVariants(first: 5, query: "sku:C-3") { nodes { sku } } }')
    assert variants["data"]["productVariants"]["nodes"] == [{"sku": "C-3"}]
    other = shop.add_location("Backroom", active=False)
    locations = gql(shop, "{ locations(first: 10) { nodes { id name isActive } } }")
    assert [n["name"] for n in locations["data"]["locations"]["nodes"]] == ["Shop location"]
    every = gql(shop, "{ locations(first: 10, includeInactive: true) { nodes { id } } }")
    assert other in [n["id"] for n in every["data"]["locations"]["nodes"]]


def test_unquoted_timestamps_and_unknown_fields_are_reported(shop: ShopifyStandin) -> None:
    shop.add_order(["SKU-1"])
    body = gql(shop, ORDERS, {"query": "updated_at:>2026-01-01T00:00:00Z flavour:mint"})
    assert len(body["data"]["orders"]["edges"]) == 1  # unknown terms are ignored
    (report,) = body["extensions"]["search"]
    assert report["path"] == ["orders"]
    assert report["warnings"] == [
        {"field": "00", "message": "Invalid search field for this query.", "code": "invalid_field"},
        {
            "field": "flavour",
            "message": "Invalid search field for this query.",
            "code": "invalid_field",
        },
    ]
    assert report["parsed"]["and"][0] == {"field": "updated_at", "range_gt": "2026-01-01T00"}


def test_order_read_with_lines_fulfillment_orders_and_nodes(shop: ShopifyStandin) -> None:
    ids = shop.add_variant("SKU-1", inventory_quantity=4, product_tags=["dropship"])
    order_id = shop.add_order(
        [
            {
                "sku": "SKU-1",
                "quantity": 2,
                "price": "12.50",
                "custom_attributes": {"engraving": "AL"},
            },
            ("OTHER", 1),
        ],
        tags=["b", "A"],
        shipping_address={"company": "Analytical Engines"},
    )
    shop.set_inventory("SKU-1", 4)
    query = """
    query Read($ids: [ID!]!, $location: ID!) {
      nodes(ids: $ids) {
        __typename
        ... on Order {
          name tags displayFulfillmentStatus
          shippingAddress { company countryCodeV2 }
          lineItems(first: 10) { nodes {
            sku currentQuantity customAttributes { key value }
            originalUnitPriceSet { shopMoney { amount currencyCode } }
            variant { id inventoryItem { id inventoryLevel(locationId: $location) {
              quantities(names: ["available", "on_hand"]) { name quantity } } } }
            product { tags }
          } }
          fulfillmentOrders(first: 5) { nodes { status lineItems(first: 10) { nodes {
            totalQuantity remainingQuantity lineItem { sku } } } } }
        }
        ... on ProductVariant { sku inventoryPolicy }
      }
    }
    """
    wanted = [order_id, ids.variant_id, "gid://shopify/Order/999"]
    body = gql(shop, query, {"ids": wanted, "location": shop.default_location})
    order, variant, missing = body["data"]["nodes"]
    assert missing is None
    assert variant == {"__typename": "ProductVariant", "sku": "SKU-1", "inventoryPolicy": "DENY"}
    assert order["tags"] == ["A", "b"]
    assert order["displayFulfillmentStatus"] == "UNFULFILLED"
    assert order["shippingAddress"] == {"company": "Analytical Engines", "countryCodeV2": "GB"}
    first, second = order["lineItems"]["nodes"]
    assert first["customAttributes"] == [{"key": "engraving", "value": "AL"}]
    assert first["originalUnitPriceSet"]["shopMoney"] == {"amount": "12.50", "currencyCode": "USD"}
    assert first["variant"]["inventoryItem"]["inventoryLevel"]["quantities"] == [
        {"name": "available", "quantity": 4},
        {"name": "on_hand", "quantity": 4},
    ]
    assert first["product"] == {"tags": ["dropship"]}
    assert second["variant"] is None and second["product"] is None
    (fo,) = order["fulfillmentOrders"]["nodes"]
    assert fo["status"] == "OPEN"
    assert [
        (n["totalQuantity"], n["remainingQuantity"], n["lineItem"]["sku"])
        for n in fo["lineItems"]["nodes"]
    ] == [
        (2, 2, "SKU-1"),
        (1, 1, "OTHER"),
    ]

    line_id = shop.line_item_ids(order_id)[0]
    shop.edit_line_quantity(order_id, line_id, 1)
    lines = shop.fulfillment_orders(order_id)[0]["lines"]
    assert (lines[0]["total"], lines[0]["remaining"]) == (1, 1)
    shop.cancel_order(order_id)
    assert shop.fulfillment_orders(order_id)[0]["status"] == "CLOSED"


# -- tags -------------------------------------------------------------------------------------

TAGS_ADD = """
mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { ... on Order { tags updatedAt } }
    userErrors { field message }
  }
}
"""
TAGS_REMOVE = TAGS_ADD.replace("tagsAdd", "tagsRemove").replace("TagsAdd", "TagsRemove")


def test_tags_add_normalises_like_shopify(shop: ShopifyStandin) -> None:
    order_id = shop.add_order(["SKU-1"], tags=["Red"])

    def add(tags: Any, doc: str = TAGS_ADD) -> list[str]:
        body = gql(shop, doc, {"id": order_id, "tags": tags})
        payload = next(iter(body["data"].values()))
        assert payload["userErrors"] == []
        return list(payload["node"]["tags"])

    assert add("blue, green") == ["blue", "green", "Red"]  # a string is a one-item list, then split
    assert add(["blue,green"]) == ["blue", "green", "Red"]
    assert add(["red"]) == ["blue", "green", "Red"]  # case-insensitive, the existing spelling wins
    assert add(["b", "A"]) == ["A", "b", "blue", "green", "Red"]
    assert add(["red"], TAGS_REMOVE) == ["A", "b", "blue", "green", "Red"]  # removal is exact
    assert add("Red", TAGS_REMOVE) == ["A", "b", "blue", "green"]
    assert shop.order_tags(order_id) == ["A", "b", "blue", "green"]

    body = gql(shop, TAGS_ADD, {"id": "gid://shopify/SomethingUnsupported/1", "tags": ["x"]})
    assert body["data"] == {"tagsAdd": None}
    assert body["errors"][0]["message"] == "invalid id"
    assert body["errors"][0]["extensions"] == {"code": "RESOURCE_NOT_FOUND"}
    assert body["errors"][0]["path"] == ["tagsAdd"]


def test_tagging_bumps_updated_at(shop: ShopifyStandin) -> None:
    order_id = shop.add_order(["SKU-1"])
    shop.advance_time(30)
    body = gql(shop, TAGS_ADD, {"id": order_id, "tags": ["tandem"]})
    assert body["data"]["tagsAdd"]["node"]["updatedAt"] == "2026-07-01T12:00:30Z"


# -- metafields -------------------------------------------------------------------------------

METAFIELDS_SET = """
mutation Set($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key type value }
    userErrors { field message code elementIndex }
  }
}
"""


def test_metafields_set_limit_upsert_and_json(shop: ShopifyStandin) -> None:
    order_id = shop.add_order(["SKU-1"])

    def entry(key: str, value: str = '{"a": 1}', type_: str = "json") -> dict[str, Any]:
        return {
            "ownerId": order_id,
            "namespace": "tandem",
            "key": key,
            "type": type_,
            "value": value,
        }

    too_many = gql(shop, METAFIELDS_SET, {"metafields": [entry(f"k{i}") for i in range(26)]})
    assert too_many["data"]["metafieldsSet"] == {
        "metafields": None,
        "userErrors": [
            {
                "field": ["metafields"],
                "message": "Exceeded the maximum metafields input limit of 25.",
                "code": "LESS_THAN_OR_EQUAL_TO",
                "elementIndex": None,
            }
        ],
    }
    assert shop.metafields(order_id) == {}

    ok = gql(
        shop,
        METAFIELDS_SET,
        {
            "metafields": [
                entry("po", '{"po": 1}'),
                entry("state", "sent", "single_line_text_field"),
            ]
        },
    )
    assert ok["data"]["metafieldsSet"]["userErrors"] == []
    assert len(ok["data"]["metafieldsSet"]["metafields"]) == 2
    gql(shop, METAFIELDS_SET, {"metafields": [entry("po", '{"po": 2}')]})
    assert shop.metafield(order_id, "tandem", "po") is not None
    assert shop.metafield(order_id, "tandem", "po")["value"] == '{"po": 2}'  # type: ignore[index]
    assert len(shop.metafields(order_id)) == 2

    bad = gql(shop, METAFIELDS_SET, {"metafields": [entry("po", "{nope")]})
    (error,) = bad["data"]["metafieldsSet"]["userErrors"]
    assert error["field"] == ["metafields", "0", "value"] and error["code"] == "INVALID_VALUE"
    assert error["message"].startswith("Value is invalid JSON: ")
    read = order_fields(shop, order_id, 'metafield(namespace: "tandem", key: "po") { jsonValue }')
    assert read["metafield"] == {"jsonValue": {"po": 2}}


# -- fulfillment ------------------------------------------------------------------------------

FULFILLMENT_CREATE = """
mutation Create($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo(first: 5) { number url company } }
    userErrors { field message }
  }
}
"""


def _fulfil(
    shop: ShopifyStandin, fo_id: str, foli_id: str | None, quantity: int = 1
) -> dict[str, Any]:
    group: dict[str, Any] = {"fulfillmentOrderId": fo_id}
    if foli_id is not None:
        group["fulfillmentOrderLineItems"] = [{"id": foli_id, "quantity": quantity}]
    spec = {
        "lineItemsByFulfillmentOrder": [group],
        "trackingInfo": {"number": "1Z999", "company": "UPS", "url": "https://ups.example/1Z999"},
        "notifyCustomer": True,
    }
    return gql(shop, FULFILLMENT_CREATE, {"fulfillment": spec})


def test_fulfillment_create_partial_then_full_closes_the_fulfillment_order(
    shop: ShopifyStandin,
) -> None:
    order_id = shop.add_order([("SKU-1", 3)])
    (fo,) = shop.fulfillment_orders(order_id)
    foli = fo["lines"][0]["id"]

    first = _fulfil(shop, fo["id"], foli, 1)["data"]["fulfillmentCreate"]
    assert first["userErrors"] == []
    assert first["fulfillment"]["status"] == "SUCCESS"
    assert first["fulfillment"]["trackingInfo"] == [
        {"number": "1Z999", "url": "https://ups.example/1Z999", "company": "UPS"}
    ]
    (fo,) = shop.fulfillment_orders(order_id)
    assert fo["status"] == "IN_PROGRESS" and fo["lines"][0]["remaining"] == 2

    over = _fulfil(shop, fo["id"], foli, 3)["data"]["fulfillmentCreate"]
    assert over == {
        "fulfillment": None,
        "userErrors": [
            {
                "field": ["fulfillment"],
                "message": "Invalid fulfillment order line item quantity requested.",
            }
        ],
    }
    zero = _fulfil(shop, fo["id"], foli, 0)["data"]["fulfillmentCreate"]
    assert zero["userErrors"][0]["message"] == "Quantity must be greater than 0"

    rest = _fulfil(shop, fo["id"], foli, 2)["data"]["fulfillmentCreate"]
    assert rest["userErrors"] == []
    (fo,) = shop.fulfillment_orders(order_id)
    assert fo["status"] == "CLOSED" and fo["lines"][0]["remaining"] == 0

    closed = _fulfil(shop, fo["id"], None)["data"]["fulfillmentCreate"]
    number = fo["id"].rsplit("/", 1)[1]
    assert closed["userErrors"] == [
        {
            "field": ["fulfillment"],
            "message": f"Fulfillment order {number} has an unfulfillable status= closed.",
        }
    ]
    missing = _fulfil(shop, "gid://shopify/FulfillmentOrder/424242", None)["data"][
        "fulfillmentCreate"
    ]
    assert missing["userErrors"] == [
        {"field": ["fulfillment"], "message": "Fulfillment order does not exist."}
    ]
    invalid = _fulfil(shop, "gid://shopify/FulfillmentOrder/0", None)
    assert invalid["data"] == {"fulfillmentCreate": None}
    assert invalid["errors"][0]["extensions"] == {"code": "RESOURCE_NOT_FOUND"}

    fulfillments = shop.fulfillments(order_id)
    assert [f["lines"][0]["quantity"] for f in fulfillments] == [1, 2]
    assert (
        fulfillments[0]["tracking"][0]["number"] == "1Z999" and fulfillments[0]["notify_customer"]
    )
    status = order_fields(shop, order_id, "displayFulfillmentStatus")
    assert status["displayFulfillmentStatus"] == "FULFILLED"


def test_a_held_order_reads_on_hold_until_released_and_cannot_be_fulfilled_meanwhile(
    shop: ShopifyStandin,
) -> None:
    order_id = shop.add_order([("SKU-1", 2)])
    selection = (
        "updatedAt displayFulfillmentStatus fulfillmentOrders(first: 5, displayable: true)"
        " { nodes { status } } lineItems(first: 5) { nodes { unfulfilledQuantity } }"
    )
    before = order_fields(shop, order_id, selection)
    shop.advance_time(60)
    shop.hold_fulfillment(order_id)
    held = order_fields(shop, order_id, selection)
    assert held["displayFulfillmentStatus"] == "ON_HOLD"
    assert held["fulfillmentOrders"]["nodes"] == [{"status": "ON_HOLD"}]
    assert held["lineItems"]["nodes"] == [{"unfulfilledQuantity": 2}]  # held is unfulfilled
    assert held["updatedAt"] > before["updatedAt"]  # a poll by updated_at finds it
    (fo,) = shop.fulfillment_orders(order_id)
    refused = _fulfil(shop, fo["id"], None)["data"]["fulfillmentCreate"]
    number = fo["id"].rsplit("/", 1)[1]
    assert refused["userErrors"][0]["message"] == (
        f"Fulfillment order {number} has an unfulfillable status= on_hold."
    )

    shop.release_fulfillment_hold(order_id)
    released = order_fields(shop, order_id, selection)
    assert released["displayFulfillmentStatus"] == "UNFULFILLED"
    assert released["fulfillmentOrders"]["nodes"] == [{"status": "OPEN"}]


# -- inventory --------------------------------------------------------------------------------

SET_QUANTITIES = """
mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason changes { name delta } }
    userErrors { field message code }
  }
}
"""


def _set_input(
    shop: ShopifyStandin, item: str, quantity: int, change_from: Any = ...
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "inventoryItemId": item,
        "locationId": shop.default_location,
        "quantity": quantity,
    }
    if change_from is not ...:
        entry["changeFromQuantity"] = change_from
    return {"name": "available", "reason": "correction", "quantities": [entry]}


def test_inventory_set_quantities_contract(shop: ShopifyStandin) -> None:
    item = shop.add_variant("SKU-1", inventory_quantity=5).inventory_item_id

    no_directive = gql(
        shop,
        SET_QUANTITIES.replace(" @idempotent(key: $key)", "").replace(", $key: String!", ""),
        {"input": _set_input(shop, item, 8, 5)},
    )
    assert no_directive["data"] == {"inventorySetQuantities": None}
    assert no_directive["errors"][0]["message"] == (
        "The @idempotent directive is required for this mutation but was not provided."
    )
    assert no_directive["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}

    no_change_from = gql(
        shop, SET_QUANTITIES, {"input": _set_input(shop, item, 8), "key": str(uuid.uuid4())}
    )
    assert no_change_from["errors"][0]["message"] == (
        "InventoryQuantityInput must include the following argument: changeFromQuantity."
    )
    assert no_change_from["errors"][0]["extensions"] == {"code": "INVALID_FIELD_ARGUMENTS"}
    assert len(no_change_from["errors"][0]["locations"]) == 2
    assert shop.inventory_quantity("SKU-1") == 5

    key = str(uuid.uuid4())
    first = gql(shop, SET_QUANTITIES, {"input": _set_input(shop, item, 8, 5), "key": key})
    group = first["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]
    assert group["changes"] == [{"name": "available", "delta": 3}, {"name": "on_hand", "delta": 3}]
    assert (
        shop.inventory_quantity("SKU-1") == 8 and shop.inventory_quantity("SKU-1", "on_hand") == 8
    )

    again = gql(shop, SET_QUANTITIES, {"input": _set_input(shop, item, 8, 5), "key": key})
    assert again["data"] == first["data"]  # same result, not applied twice
    assert shop.inventory_quantity("SKU-1") == 8 and len(shop.inventory_adjustments) == 1

    mismatch = gql(shop, SET_QUANTITIES, {"input": _set_input(shop, item, 9, 8), "key": key})
    assert mismatch["data"]["inventorySetQuantities"]["userErrors"] == [
        {
            "field": None,
            "message": (
                "The same idempotency key cannot be used with different operation parameters."
            ),
            "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        }
    ]

    stale = gql(
        shop, SET_QUANTITIES, {"input": _set_input(shop, item, 9, 5), "key": str(uuid.uuid4())}
    )
    payload = stale["data"]["inventorySetQuantities"]
    assert payload["inventoryAdjustmentGroup"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["CHANGE_FROM_QUANTITY_STALE"]
    assert payload["userErrors"][0]["field"] == ["input", "quantities", "0", "changeFromQuantity"]
    assert shop.inventory_quantity("SKU-1") == 8

    unchecked = gql(
        shop, SET_QUANTITIES, {"input": _set_input(shop, item, 2, None), "key": str(uuid.uuid4())}
    )
    assert unchecked["data"]["inventorySetQuantities"]["userErrors"] == []
    assert shop.inventory_quantity("SKU-1") == 2


def test_variant_policy_and_webhook_subscriptions(shop: ShopifyStandin) -> None:
    ids = shop.add_variant("SKU-1")
    body = gql(
        shop,
        """mutation($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
          productVariantsBulkUpdate(productId: $productId, variants: $variants) {
            productVariants { id inventoryPolicy } userErrors { field message code } } }""",
        {
            "productId": ids.product_id,
            "variants": [{"id": ids.variant_id, "inventoryPolicy": "CONTINUE"}],
        },
    )
    assert body["data"]["productVariantsBulkUpdate"]["productVariants"] == [
        {"id": ids.variant_id, "inventoryPolicy": "CONTINUE"}
    ]
    assert shop.variant_policy("SKU-1") == "CONTINUE"

    create = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
      webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
        webhookSubscription { id topic uri } userErrors { field message } } }"""
    made = gql(shop, create, {"topic": "ORDERS_CREATE", "uri": "https://tandem.example/webhooks"})
    subscription = made["data"]["webhookSubscriptionCreate"]["webhookSubscription"]
    assert subscription["topic"] == "ORDERS_CREATE"
    insecure = gql(
        shop, create, {"topic": "ORDERS_UPDATED", "uri": "http://tandem.example/webhooks"}
    )
    assert insecure["data"]["webhookSubscriptionCreate"]["userErrors"] == [
        {
            "field": ["webhookSubscription", "callbackUrl"],
            "message": "Address protocol http:// is not supported",
        }
    ]
    assert [s["topic"] for s in shop.webhook_subscriptions()] == ["ORDERS_CREATE"]
    deleted = gql(
        shop,
        """mutation($id: ID!) {
          webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId } }""",
        {"id": subscription["id"]},
    )
    assert (
        deleted["data"]["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"]
        == subscription["id"]
    )
    assert shop.webhook_subscriptions() == []


# -- webhooks ---------------------------------------------------------------------------------


def test_webhook_request_is_signed_like_shopify(shop: ShopifyStandin) -> None:
    order_id = shop.add_order([("SKU-1", 2)], tags=["vip", "b2b"])
    payload = shop.order_payload(order_id)
    sample = recorded("webhook__orders-create.json")
    assert set(sample) - set(payload) <= {
        "cart_token", "checkout_id", "checkout_token", "device_id", "browser_ip", "landing_site",
        "landing_site_ref", "location_id", "order_status_url", "processing_method", "reference",
        "referring_site", "source_identifier", "source_url", "total_price_usd", "user_id", "app_id",
    }  # fmt: skip
    assert payload["admin_graphql_api_id"] == order_id
    assert payload["tags"] == "b2b, vip"
    assert payload["line_items"][0]["sku"] == "SKU-1" and payload["line_items"][0]["quantity"] == 2
    assert set(sample["line_items"][0]) <= set(payload["line_items"][0])

    body, headers = shop.webhook_request("orders/create", payload, "s3cret", webhook_id="wh-1")
    expected = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    assert headers["X-Shopify-Hmac-Sha256"] == expected
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == "tandem-test.myshopify.com"
    assert headers["X-Shopify-Webhook-Id"] == "wh-1"
    assert headers["X-Shopify-API-Version"] == "2026-07"
    assert {"X-Shopify-Event-Id", "X-Shopify-Triggered-At"} <= set(headers)
    assert json.loads(body) == payload


def test_recorded_files_are_where_the_standin_expects_them() -> None:
    assert Path(RECORDED / "webhook__orders-create.json").is_file()
