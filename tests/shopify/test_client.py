"""The Shopify client against respx: throttle waits, retries, and what is never retried."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import (
    AuthError,
    MalformedResponse,
    RequestError,
    ShopifyError,
    Throttled,
    Unavailable,
    UserErrors,
    check,
)
from tandem.adapters.shopify.throttle import Throttle

URL = "https://demo.myshopify.com/admin/api/2026-07/graphql.json"


class FakeTime:
    """A clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def cost(
    requested: int, available: float, restore: float = 50.0, maximum: int = 1000
) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": requested,
            "throttleStatus": {
                "maximumAvailable": maximum,
                "currentlyAvailable": available,
                "restoreRate": restore,
            },
        }
    }


def ok(data: dict[str, Any], requested: int = 10, available: float = 990) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "extensions": cost(requested, available)})


ORDERS = {"orders": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}
VARIABLES = {"query": "updated_at:>='2026-11-01T00:00:00Z'", "after": None}


def client(time: FakeTime, **kwargs: Any) -> ShopifyClient:
    return ShopifyClient(
        "https://demo.myshopify.com",
        SecretStr("shpat_secret"),
        sleep=time.sleep,
        clock=time.clock,
        **kwargs,
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@respx.mock
def test_waits_before_a_call_that_would_overdraw_the_bucket() -> None:
    time = FakeTime()
    route = respx.post(URL).mock(return_value=ok(ORDERS, requested=252, available=52))

    async def scenario() -> None:
        async with client(time) as shop:
            await shop.execute(doc.ORDERS_UPDATED, VARIABLES)
            assert time.sleeps == []  # nothing known about the bucket yet
            await shop.execute(doc.ORDERS_UPDATED, VARIABLES)
            # 252 needed, 52 left, 50 points/s: wait 4 s, then call; no THROTTLED answer.
            assert time.sleeps == [pytest.approx(4.0)]
            assert shop.stats.throttled == 0

    run(scenario())
    assert route.call_count == 2


@respx.mock
def test_throttled_answer_is_retried_after_the_bucket_refills() -> None:
    time = FakeTime()
    throttled = httpx.Response(
        200,
        json={
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": cost(252, 2),
        },
    )
    respx.post(URL).mock(side_effect=[throttled, ok(ORDERS)])

    async def scenario() -> None:
        async with client(time) as shop:
            await shop.execute(doc.ORDERS_UPDATED, VARIABLES)
            assert shop.stats.throttled == 1
            assert shop.stats.retries == 1
            # The wait after a THROTTLED answer counts as waiting for the bucket (/metrics).
            assert shop.stats.waited_seconds == pytest.approx(sum(time.sleeps))

    run(scenario())
    # (252 - 2) / 50 = 5 s before the retry
    assert time.sleeps and time.sleeps[0] >= 5.0


@respx.mock
def test_clients_sharing_a_throttle_pace_each_other() -> None:
    """Shopify keeps one bucket per app and shop: two jobs' clients must not both spend it."""
    time = FakeTime()
    respx.post(URL).mock(return_value=ok(ORDERS, requested=252, available=52))
    shared = Throttle(sleep=time.sleep, clock=time.clock)

    async def scenario() -> None:
        async with client(time, throttle=shared) as poller:
            await poller.execute(doc.ORDERS_UPDATED, VARIABLES)  # learns the bucket: 52 left
        async with client(time, throttle=shared) as reconciler:
            await reconciler.execute(doc.ORDERS_UPDATED, VARIABLES)
        # The second client knew what the first learnt: it waited instead of being throttled.
        assert time.sleeps == [pytest.approx(4.0)]

    run(scenario())


@respx.mock
def test_429_honours_retry_after() -> None:
    time = FakeTime()
    respx.post(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}, text="slow down"),
            ok(ORDERS),
        ]
    )

    async def scenario() -> None:
        async with client(time) as shop:
            await shop.execute(doc.ORDERS_UPDATED, VARIABLES)

    run(scenario())
    assert len(time.sleeps) == 1
    assert 7.0 <= time.sleeps[0] < 8.0


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, text="oops"),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(503, text="unavailable"),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(
            200,
            json={
                "errors": [
                    {
                        "message": "Something went wrong",
                        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                    }
                ]
            },
        ),
    ],
    ids=["500", "502", "503", "connect", "timeout", "internal"],
)
@respx.mock
def test_transient_failures_are_retried(failure: Any) -> None:
    time = FakeTime()
    route = respx.post(URL).mock(side_effect=[failure, failure, ok(ORDERS)])

    async def scenario() -> Any:
        async with client(time) as shop:
            return await shop.execute(doc.ORDERS_UPDATED, VARIABLES)

    assert run(scenario()) == ORDERS
    assert route.call_count == 3
    assert len(time.sleeps) == 2
    assert all(0 < s <= 30 for s in time.sleeps)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(400, json={"errors": "bad request"}), RequestError),
        (httpx.Response(404, json={"errors": "Not Found"}), RequestError),
        (httpx.Response(422, json={"errors": "Unprocessable"}), RequestError),
        (httpx.Response(401, json={"errors": "[API] Invalid API key"}), AuthError),
        (httpx.Response(403, json={"errors": "forbidden"}), AuthError),
        (
            httpx.Response(
                200,
                json={
                    "errors": [
                        {
                            "message": "Field 'bogus' doesn't exist on type 'Order'",
                            "extensions": {"code": "undefinedField"},
                        }
                    ]
                },
            ),
            RequestError,
        ),
    ],
    ids=["400", "404", "422", "401", "403", "graphql"],
)
@respx.mock
def test_client_errors_are_not_retried(response: httpx.Response, error: type[Exception]) -> None:
    time = FakeTime()
    route = respx.post(URL).mock(return_value=response)

    async def scenario() -> None:
        async with client(time) as shop:
            await shop.execute(doc.ORDERS_UPDATED, VARIABLES)

    with pytest.raises(error):
        run(scenario())
    assert route.call_count == 1
    assert time.sleeps == []


@respx.mock
def test_retries_stop_at_the_budget() -> None:
    time = FakeTime()
    route = respx.post(URL).mock(return_value=httpx.Response(503))

    async def scenario() -> None:
        async with client(time, max_attempts=4) as shop:
            await shop.execute(doc.ORDERS_UPDATED, VARIABLES)

    with pytest.raises(Unavailable, match="HTTP 503"):
        run(scenario())
    assert route.call_count == 4


@respx.mock
def test_a_mutation_sends_the_same_idempotency_key_on_every_retry() -> None:
    time = FakeTime()
    route = respx.post(URL).mock(
        side_effect=[
            httpx.ReadTimeout("lost answer"),
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(500),
            ok(
                {
                    "inventorySetQuantities": {
                        "inventoryAdjustmentGroup": {"id": "g"},
                        "userErrors": [],
                    }
                }
            ),
        ]
    )
    variables = {
        "input": {"name": "available", "reason": "correction", "quantities": []},
        "key": "6f1c1e4e-5b8e-4a51-9a3c-2f1b8f0f6a11",
    }

    async def scenario() -> None:
        async with client(time) as shop:
            await shop.execute(doc.INVENTORY_SET_QUANTITIES, variables)

    run(scenario())
    keys = [json.loads(call.request.content)["variables"]["key"] for call in route.calls]
    assert keys == [variables["key"]] * 4


@respx.mock
def test_the_access_token_goes_in_the_header_and_never_into_errors() -> None:
    time = FakeTime()
    route = respx.post(URL).mock(return_value=httpx.Response(401, json={"errors": "bad token"}))

    async def scenario() -> None:
        async with client(time) as shop:
            await shop.execute(doc.ORDERS_UPDATED, VARIABLES)

    with pytest.raises(AuthError) as caught:
        run(scenario())
    assert route.calls[0].request.headers["X-Shopify-Access-Token"] == "shpat_secret"
    assert "shpat_secret" not in str(caught.value)
    assert "demo.myshopify.com" in str(caught.value)


@respx.mock
def test_a_refused_token_names_the_shop_by_its_host() -> None:
    respx.post(URL).mock(return_value=httpx.Response(401, json={"errors": "bad token"}))

    async def scenario() -> None:
        # As pasted from the browser's address bar.
        async with ShopifyClient("https://demo.myshopify.com/", SecretStr("shpat_x")) as shop:
            await shop.execute(doc.ORDERS_UPDATED, VARIABLES)

    with pytest.raises(AuthError) as caught:
        run(scenario())
    assert "the access token for demo.myshopify.com (HTTP 401)" in str(caught.value)


def test_user_errors_name_the_operation_the_order_and_the_field() -> None:
    payload = {
        "metafields": [],
        "userErrors": [
            {
                "field": ["metafields", "0", "value"],
                "message": "Value is invalid JSON.",
                "code": "INVALID_VALUE",
            }
        ],
    }
    with pytest.raises(UserErrors) as caught:
        check(payload, "metafieldsSet", "order #1001")
    message = str(caught.value)
    assert "metafieldsSet" in message
    assert "order #1001" in message
    assert "metafields.0.value: Value is invalid JSON." in message
    assert caught.value.codes == {"INVALID_VALUE"}


def test_throttled_is_retryable_but_user_errors_are_not() -> None:
    from tandem.adapters.shopify.errors import RetryableError

    assert issubclass(Throttled, RetryableError)
    assert not issubclass(UserErrors, RetryableError)


FULFILLMENT = {
    "fulfillment": {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1"}],
        "trackingInfo": {"numbers": ["1Z999"]},
        "notifyCustomer": True,
    }
}
CREATED = {"fulfillmentCreate": {"fulfillment": {"id": "f", "status": "SUCCESS"}, "userErrors": []}}


@pytest.mark.parametrize(
    "lost",
    [
        httpx.ReadTimeout("no answer"),
        httpx.RemoteProtocolError("connection closed mid-answer"),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(503, text="unavailable"),
        httpx.Response(
            200,
            json={
                "errors": [
                    {
                        "message": "Something went wrong",
                        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                    }
                ]
            },
        ),
    ],
    ids=["timeout", "closed", "502", "503", "internal"],
)
@respx.mock
def test_a_mutation_without_an_idempotency_key_is_not_resent_when_it_may_have_run(
    lost: Any,
) -> None:
    """fulfillmentCreate has no @idempotent: sent again after a lost answer, Shopify could
    create the fulfillment twice. The caller (the outbox) looks before it tries again."""
    time = FakeTime()
    route = respx.post(URL).mock(side_effect=[lost, ok(CREATED)])

    async def scenario() -> None:
        async with client(time) as shop:
            await shop.execute(doc.FULFILLMENT_CREATE, FULFILLMENT)

    with pytest.raises(Unavailable) as caught:
        run(scenario())
    assert route.call_count == 1
    assert caught.value.may_have_applied
    assert "FulfillmentCreate" in str(caught.value)


@pytest.mark.parametrize(
    "refused",
    [
        httpx.Response(
            200, json={"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
        ),
        httpx.Response(429, headers={"Retry-After": "1"}, text="slow down"),
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("no connection"),
    ],
    ids=["throttled", "429", "connect", "connect-timeout"],
)
@respx.mock
def test_a_mutation_without_an_idempotency_key_is_retried_when_it_surely_did_not_run(
    refused: Any,
) -> None:
    time = FakeTime()
    route = respx.post(URL).mock(side_effect=[refused, ok(CREATED)])

    async def scenario() -> Any:
        async with client(time) as shop:
            return await shop.execute(doc.FULFILLMENT_CREATE, FULFILLMENT)

    assert run(scenario()) == CREATED
    assert route.call_count == 2


@pytest.mark.parametrize(
    "body",
    [{"data": None}, {"extensions": {}}, [], "ok", {"data": ["not", "an", "object"]}],
    ids=["null-data", "no-data", "list", "string", "list-data"],
)
@respx.mock
def test_an_answer_without_data_is_a_clear_error(body: Any) -> None:
    time = FakeTime()
    respx.post(URL).mock(return_value=httpx.Response(200, json=body))

    async def scenario() -> None:
        async with client(time, max_attempts=1) as shop:
            await shop.execute(doc.ORDERS_UPDATED, VARIABLES)

    with pytest.raises(MalformedResponse, match="OrdersUpdated") as caught:
        run(scenario())
    assert isinstance(caught.value, ShopifyError)


def test_a_mutation_answered_without_its_result_is_a_clear_error() -> None:
    with pytest.raises(MalformedResponse, match=r"tagsAdd for order #1001"):
        check(None, "tagsAdd", "order #1001")


@pytest.mark.parametrize("version", ["2026-04", "unstable"])
@respx.mock
def test_the_configured_api_version_names_the_endpoint(version: str) -> None:
    time = FakeTime()
    url = f"https://demo.myshopify.com/admin/api/{version}/graphql.json"
    route = respx.post(url).mock(return_value=ok(ORDERS))

    async def scenario() -> None:
        async with client(time, api_version=version) as shop:
            await shop.execute(doc.ORDERS_UPDATED, VARIABLES)

    run(scenario())
    assert route.call_count == 1
