"""Shopify's X-Shopify-API-Deprecated-Reason header: every such answer is counted per
operation on /metrics, and the log warns once per operation and reason, without the token."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prometheus_client import generate_latest
from pydantic import SecretStr

from tandem.adapters.shopify import deprecations
from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.documents import Operation
from tandem.connector.daemon import metrics
from tests.standin import ShopifyStandin

METRIC = "tandem_platform_deprecated_calls_total"
REASON = "https://shopify.dev/api/usage/versioning#deprecation-practices"


def counted(operation: str) -> float:
    labels = {"platform": "shopify", "operation": operation}
    return metrics.registry.get_sample_value(METRIC, labels) or 0.0


def run(shop: ShopifyStandin, *ops: Operation) -> None:
    async def calls() -> None:
        async with ShopifyClient(shop.url, SecretStr(shop.token)) as client:
            for op in ops:
                await client.execute(op, {"id": shop.default_location} if "$id" in op.text else {})

    asyncio.run(calls())


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "deprecated" in r.getMessage()
    ]


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deprecations, "_warned", set())


def test_deprecated_answers_are_counted_each_time_and_warned_once(
    shopify_standin: ShopifyStandin, caplog: pytest.LogCaptureFixture
) -> None:
    shop = shopify_standin.configure(deprecated_reason=REASON)
    before = counted("ShopDomain"), counted("AppInstalled")
    with caplog.at_level(logging.WARNING, "tandem.shopify"):
        run(shop, doc.SHOP_DOMAIN, doc.SHOP_DOMAIN, doc.APP_INSTALLED, doc.SHOP_DOMAIN)

    assert (counted("ShopDomain") - before[0], counted("AppInstalled") - before[1]) == (3, 1)
    assert warnings(caplog) == [
        f"Shopify says ShopDomain uses something deprecated, which a later API version"
        f" removes: {REASON}",
        f"Shopify says AppInstalled uses something deprecated, which a later API version"
        f" removes: {REASON}",
    ]
    assert shop.token not in caplog.text
    scraped = generate_latest(metrics.registry).decode()
    assert f'{METRIC}{{operation="ShopDomain",platform="shopify"}}' in scraped

    # A new reason for the same operation is worth a warning of its own.
    caplog.clear()
    shop.configure(deprecated_reason="API version 2026-07 is no longer supported")
    with caplog.at_level(logging.WARNING, "tandem.shopify"):
        run(shop, doc.SHOP_DOMAIN, doc.SHOP_DOMAIN)
    assert warnings(caplog) == [
        "Shopify says ShopDomain uses something deprecated, which a later API version"
        " removes: API version 2026-07 is no longer supported"
    ]
    assert counted("ShopDomain") - before[0] == 5


def test_answers_without_the_header_are_not_counted(
    shopify_standin: ShopifyStandin, caplog: pytest.LogCaptureFixture
) -> None:
    before = counted("ShopDomain")
    with caplog.at_level(logging.WARNING, "tandem.shopify"):
        run(shopify_standin, doc.SHOP_DOMAIN)
    assert counted("ShopDomain") == before
    assert warnings(caplog) == []


def test_a_document_using_a_deprecated_field_is_reported(
    shopify_standin: ShopifyStandin, caplog: pytest.LogCaptureFixture
) -> None:
    if shopify_standin.schema_source != "real":
        pytest.skip("the packaged demo schema holds no deprecated field")
    # Location.isPrimary is deprecated in 2026-07; Shopify still answers, with the header.
    old = Operation(
        "PrimaryLocation", "query PrimaryLocation($id: ID!) { location(id: $id) { isPrimary } }"
    )
    shopify_standin.store.objects[shopify_standin.default_location]["isPrimary"] = True
    before = counted("PrimaryLocation")
    with caplog.at_level(logging.WARNING, "tandem.shopify"):
        run(shopify_standin, old)
    assert counted("PrimaryLocation") == before + 1
    assert [w.endswith(REASON) for w in warnings(caplog)] == [True]
