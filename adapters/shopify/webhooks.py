"""Shopify webhooks: the topics Tandem subscribes, receiving a delivery, and subscribing.

Shopify signs the raw body: `X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(secret, body)). The
check is constant-time and accepts the previous secret while one is being rotated. A delivery
is stored under its `X-Shopify-Webhook-Id` (Shopify's retries reuse it), so a webhook that
arrives three times is processed once. The order itself is read later through GraphQL
(`deliveries.py`), so a webhook and a poll give the same order. A privacy request's body is
the request: what it asks is stored with it (`webhook_checks.privacy_request`).

Registering subscribes each of TOPICS to Tandem's URL and keeps any subscription that exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import check, reading
from tandem.adapters.shopify.webhook_checks import (
    APP_UNINSTALLED,
    PRIVACY_TOPICS,
    Refused,
    header_problem,
    privacy_request,
    read_payload,
    subject,
)
from tandem.connector.platforms import Delivery, store_delivery
from tandem.connector.webhook_signatures import verify

__all__ = ["Delivery", "parse_delivery", "register_webhooks", "store_delivery", "verify"]

# orders/updated also comes when an order is fulfilled or refunded, so orders/fulfilled and
# the like would only read the same order again.
TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "orders/edited",
    APP_UNINSTALLED,
)
# The topics whose delivery names an order for Tandem to read.
ORDER_TOPICS = frozenset(topic for topic in TOPICS if topic.startswith("orders/"))
# Shopify's mandatory compliance topics: not subscribed through the API (Shopify sends them to
# the compliance URL of the app's configuration), answered by `privacy_requests.py`.
COMPLIANCE_TOPICS = PRIVACY_TOPICS


def parse_delivery(headers: Mapping[str, str], body: bytes) -> Delivery | str:
    """The delivery of a signed body, or what is wrong with it (`webhook_checks`). `headers`
    are keyed in lower case."""
    problem = header_problem(headers)
    if problem:
        return problem
    webhook_id = headers["x-shopify-webhook-id"]
    topic = headers["x-shopify-topic"]
    shop = headers["x-shopify-shop-domain"]
    payload = read_payload(body)
    if isinstance(payload, str):
        return payload
    try:
        resource = subject(topic, shop, payload)
        request = privacy_request(topic, shop, payload)
    except Refused as exc:
        return str(exc)
    triggered = _time(headers.get("x-shopify-triggered-at"))
    return Delivery(webhook_id, shop, topic, resource, triggered, payload=request)


def _time(value: str | None) -> datetime | None:
    """X-Shopify-Triggered-At in UTC (a time without an offset is taken as UTC); None when it
    is missing or not a time."""
    if not value or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


@dataclass
class Registration:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def topic_enum(topic: str) -> str:
    """ "orders/create" -> "ORDERS_CREATE", as the GraphQL enum names it."""
    return topic.replace("/", "_").upper()


async def register_webhooks(client: ShopifyClient, url: str) -> Registration:
    existing: set[tuple[str, str]] = set()
    after: str | None = None
    while True:
        data = await client.execute(doc.WEBHOOK_SUBSCRIPTIONS, {"after": after})
        with reading(doc.WEBHOOK_SUBSCRIPTIONS.name):
            connection = data["webhookSubscriptions"]
            existing |= {(n["topic"], n["uri"]) for n in connection["nodes"]}
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
    result = Registration()
    for topic in TOPICS:
        if (topic_enum(topic), url) in existing:
            result.kept.append(topic)
            continue
        data = await client.execute(
            doc.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": topic_enum(topic), "uri": url}
        )
        check(data.get("webhookSubscriptionCreate"), "webhookSubscriptionCreate", topic)
        result.created.append(topic)
    return result
