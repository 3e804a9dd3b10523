"""Tandem's client and write-back checks on answers Shopify really sent (../shared/shopify/
recorded): each becomes the typed error a person or the outbox acts on, in Shopify's words,
with the field and the order it was about.

The recorded set holds no THROTTLED or HTTP 4xx/5xx answer; those shapes are in test_client.py.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr
from sqlalchemy import select

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import (
    AuthError,
    RequestError,
    ShopifyError,
    Unavailable,
    UserErrors,
    check,
)
from tandem.adapters.shopify.worker import perform_store_writes
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.conftest import SHARED
from tests.store.helpers import T0, config, ingest, offers, order

RECORDED = SHARED / "shopify" / "recorded"
URL = "https://demo.myshopify.com/admin/api/2026-07/graphql.json"


def recorded(name: str, *path: str) -> Any:
    """The answer stored at `path` in a recorded file (each file has its own layout)."""
    file = RECORDED / name
    if not file.exists():
        pytest.skip(f"recorded Shopify responses are not at {RECORDED}")
    value = json.loads(file.read_text(encoding="utf-8"))
    for key in path:
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


async def _no_sleep(_: float) -> None:
    return None


def send(op: doc.Operation, body: Any) -> tuple[Any, int]:
    """Tandem's client sends `op` and Shopify answers `body`: the data (or the error raised),
    and how many requests the client made."""

    async def run() -> Any:
        async with ShopifyClient(
            "https://demo.myshopify.com", SecretStr("shpat_x"), sleep=_no_sleep
        ) as client:
            return await client.execute(op, {})

    with respx.mock:
        route = respx.post(URL).mock(return_value=httpx.Response(200, json=body))
        try:
            result: Any = asyncio.run(run())
        except ShopifyError as exc:
            result = exc
        return result, route.call_count


def answer(op: doc.Operation, body: Any) -> Any:
    data, _ = send(op, body)
    assert not isinstance(data, ShopifyError), data
    return data


def refused(op: doc.Operation, body: Any, calls: int = 1) -> ShopifyError:
    error, sent = send(op, body)
    assert isinstance(error, ShopifyError), error
    assert sent == calls
    return error


# -- top-level errors ---------------------------------------------------------------------


def test_an_invalid_fulfillment_order_id_is_refused_without_a_retry() -> None:
    body = recorded("2025-01__fulfillment-create-invalid-id.json", "mutation", "response")
    assert body["data"] == {"fulfillmentCreate": None}  # null data beside the error
    error = refused(doc.FULFILLMENT_CREATE, body)
    assert isinstance(error, RequestError)
    assert error.codes == ["RESOURCE_NOT_FOUND"]
    assert str(error) == "Shopify rejected FulfillmentCreate: fulfillmentCreate: invalid id"


def test_tagging_an_unsupported_id_is_refused() -> None:
    body = recorded("2025-01__tags-add-multi-resource.json", "cases", "unsupportedAdd", "response")
    error = refused(doc.TAGS_ADD, body)
    assert isinstance(error, RequestError)
    assert "tagsAdd: invalid id" in str(error)


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("invalidSyntax", "PARSE_ERROR"),
        ("missingSubselection", "selectionMismatch"),
        ("missingRequiredVariable", "INVALID_VARIABLE"),
        ("missingRequiredArgument", "INVALID_FIELD_ARGUMENTS"),
        ("unknownQueryRoot", "undefinedField"),
        ("unknownMutationRoot", "undefinedField"),
        ("unknownProductField", "undefinedField"),
        ("unknownOrderField", "undefinedField"),
        ("missingInputRequiredProperty", "INVALID_VARIABLE"),
    ],
)
def test_a_document_shopify_cannot_run_is_a_request_error_not_retried(case: str, code: str) -> None:
    body = recorded(
        "2025-01__graphql-base-validation-unhappy-paths.json", "cases", case, "response", "payload"
    )
    error = refused(doc.ORDERS_UPDATED, body)
    assert isinstance(error, RequestError)
    assert code in error.codes
    assert body["errors"][0]["message"] in str(error)


def test_a_missing_idempotency_directive_is_refused_with_shopifys_reason() -> None:
    name = "2026-04__inventory-quantity-contracts-2026-04.json"
    body = recorded(name, "missingSetIdempotency", "response")
    error = refused(doc.INVENTORY_SET_QUANTITIES, body)
    assert isinstance(error, RequestError) and error.codes == ["BAD_REQUEST"]
    assert "inventorySetQuantities: The @idempotent directive is required" in str(error)
    body = recorded(name, "missingSetChangeFromQuantity", "response")
    error = refused(doc.INVENTORY_SET_QUANTITIES, body)
    assert isinstance(error, RequestError) and error.codes == ["INVALID_FIELD_ARGUMENTS"]
    assert "must include the following argument: changeFromQuantity" in str(error)


def test_an_internal_error_beside_data_is_retried_as_an_outage() -> None:
    body = recorded("2026-04__by-id-not-found-read.json", "cases", "segments", "response", "body")
    error = refused(doc.ORDERS_UPDATED, body, calls=8)  # a query: resent up to the budget
    assert isinstance(error, Unavailable)
    assert "Something went wrong" in str(error)
    error = refused(doc.FULFILLMENT_CREATE, body)  # it may have run: back to the outbox
    assert isinstance(error, Unavailable) and error.may_have_applied


def test_a_missing_scope_names_the_field_and_the_scope() -> None:
    body = recorded("2026-04__by-id-not-found-read.json", "cases", "customers", "response", "body")
    error = refused(doc.ORDERS_UPDATED, body)
    assert isinstance(error, AuthError)
    assert "missingCustomerPaymentMethod: Access denied for customerPaymentMethod" in str(error)
    assert "`read_customers` access scope" in str(error)


def test_partial_data_with_an_error_is_not_taken_as_success() -> None:
    body = recorded(
        "2026-04__fulfillment-order-hold-multi-line.json", "workflow", "hold", "response", "payload"
    )
    assert body["data"]["fulfillmentOrderHold"]["fulfillmentOrder"]["status"] == "ON_HOLD"
    error = refused(doc.FULFILLMENT_ORDERS, body)
    assert isinstance(error, AuthError)
    assert "fulfillmentOrderHold.fulfillmentOrder.fulfillmentHolds.0.heldByApp" in str(error)


def test_absent_records_read_as_null_without_an_error() -> None:
    body = recorded("2026-04__by-id-not-found-read.json", "cases", "products", "response", "body")
    assert answer(doc.ORDERS_UPDATED, body) == {"missingInventoryShipment": None}


# -- userErrors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missingFulfillmentOrder", "fulfillment: Fulfillment order does not exist."),
        ("overFulfill", "fulfillment: Invalid fulfillment order line item quantity requested."),
        (
            "nonPositiveQuantity",
            "fulfillment.lineItemsByFulfillmentOrder.0.fulfillmentOrderLineItems.0.quantity:"
            " Quantity must be greater than 0",
        ),
        ("closed", "has an unfulfillable status= closed."),
    ],
)
def test_fulfillment_refusals_name_the_order_and_the_field(case: str, expected: str) -> None:
    body = recorded("2026-04__fulfillment-create-preconditions.json", "cases", case, "response")
    data = answer(doc.FULFILLMENT_CREATE, body)
    with pytest.raises(UserErrors) as caught:
        check(data["fulfillmentCreate"], "fulfillmentCreate", "order #1001")
    assert str(caught.value).startswith("Shopify refused fulfillmentCreate for order #1001: ")
    assert expected in str(caught.value)


def test_the_metafield_limit_is_named_with_its_code() -> None:
    body = recorded("2025-01__metafields-set-over-limit-parity.json", "mutation", "response")
    with pytest.raises(UserErrors) as caught:
        check(answer(doc.METAFIELDS_SET, body)["metafieldsSet"], "metafieldsSet", "order #1001")
    assert str(caught.value) == (
        "Shopify refused metafieldsSet for order #1001:"
        " metafields: Exceeded the maximum metafields input limit of 25."
    )
    assert caught.value.codes == {"LESS_THAN_OR_EQUAL_TO"}


def test_an_unknown_inventory_item_names_the_quantity_at_fault() -> None:
    name = "2026-04__inventory-quantity-contracts-2026-04.json"
    body = recorded(name, "unknownIdValidation", "setUnknownInventoryItem", "response")
    data = answer(doc.INVENTORY_SET_QUANTITIES, body)
    with pytest.raises(UserErrors) as caught:
        check(data["inventorySetQuantities"], "inventorySetQuantities", "3 SKU(s)")
    assert "input.quantities.0.inventoryItemId: The specified inventory item" in str(caught.value)
    assert caught.value.codes == {"INVALID_INVENTORY_ITEM"}
    ok = answer(doc.INVENTORY_SET_QUANTITIES, recorded(name, "inventorySetQuantities", "response"))
    assert check(ok["inventorySetQuantities"], "inventorySetQuantities", "1 SKU(s)")


def test_an_idempotency_key_reused_with_other_parameters_is_a_typed_refusal() -> None:
    body = recorded(
        "2026-04__location-activate-deactivate-lifecycle.json",
        "cleanup",
        "0",
        "response",
        "payload",
    )
    data = answer(doc.INVENTORY_SET_QUANTITIES, body)
    with pytest.raises(UserErrors) as caught:  # listed as locationDeactivateUserErrors
        check(data["locationDeactivate"], "locationDeactivate", "location Main")
    assert caught.value.codes == {"IDEMPOTENCY_KEY_PARAMETER_MISMATCH"}
    assert "cannot be used with different operation parameters" in str(caught.value)


def test_an_unknown_order_and_both_error_lists_of_order_cancel() -> None:
    body = recorded("2025-01__order-update-unknown-id.json", "mutation", "response")
    with pytest.raises(UserErrors, match=r"for order #0: id: Order does not exist$"):
        check(answer(doc.TAGS_ADD, body)["orderUpdate"], "orderUpdate", "order #0")
    body = recorded(
        "2026-04__orderCancel-error-messages.json",
        "expected",
        "alreadyCancelled",
        "response",
        "payload",
    )
    with pytest.raises(UserErrors) as caught:
        check(answer(doc.TAGS_ADD, body)["orderCancel"], "orderCancel", "order #1002")
    # orderCancelUserErrors and userErrors say the same: it is listed once.
    assert [str(e) for e in caught.value.errors] == [
        "orderId: Cannot cancel an order that has already been canceled"
    ]
    assert caught.value.codes == {"INVALID"}


# -- what a person sees --------------------------------------------------------------------


def test_a_refused_metafield_becomes_an_exception_naming_the_order_and_field(
    sqlite_db: Database,
) -> None:
    cfg = config(
        store={
            "platform": "shopify",
            "shop_url": "https://demo.myshopify.com",
            "access_token": "shpat_x",
        },
        rules={"default_mode": "drop_ship"},
    )
    offers(sqlite_db, cfg, "bloom", ("ROSE", 4, 10))
    ingest(sqlite_db, order(1, ("ROSE", 1)))
    run_planner(sqlite_db, cfg, T0)
    invalid = recorded(
        "2025-01__metafields-set-input-validation.json", "cases", "invalidValueJson", "response"
    )
    tagged = {"data": {"tagsAdd": {"node": {"id": "x"}, "userErrors": []}}}
    untagged = {"data": {"tagsRemove": {"node": {"id": "x"}, "userErrors": []}}}

    def shopify(request: httpx.Request) -> httpx.Response:
        query = json.loads(request.content)["query"]
        body = tagged if "TagsAdd" in query else untagged if "TagsRemove" in query else invalid
        return httpx.Response(200, json=body)

    async def run() -> Any:
        async with ShopifyClient("https://demo.myshopify.com", SecretStr("shpat_x")) as client:
            return await perform_store_writes(
                sqlite_db, client, cfg, clock=lambda: T0 + timedelta(minutes=1)
            )

    with respx.mock:
        respx.post(URL).mock(side_effect=shopify)
        report = asyncio.run(run())
    assert report.done == 0 and len(report.failed) == 1
    with sqlite_db.read() as conn:
        [message] = conn.execute(
            select(t.exceptions.c.message).where(t.exceptions.c.kind == "store_write_failed")
        ).scalars()
    assert message == (
        "Shopify refused metafieldsSet for order #1: metafields.0.value: Value is invalid JSON:"
        " expected object key, got 'nope' at line 1 column 2."
    )
