"""Shopify webhooks: the topics Tandem subscribes, receiving a delivery, and subscribing.

Shopify signs the raw body: `X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(secret, body)). The
check is constant-time and accepts the previous secret while one is being rotated. A delivery
is stored under its `X-Shopify-Webhook-Id` (Shopify's retries reuse it), so a webhook that
arrives three times is processed once. The order itself is read later through GraphQL
(`deliveries.py`), so a webhook and a poll give the same order.

Registering subscribes each of TOPICS to Tandem's URL and keeps any subscription that exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import Connection, select

from adapters.shopify import documents as doc
from adapters.shopify.client import ShopifyClient
from adapters.shopify.errors import check, reading
from adapters.shopify.webhook_checks import (
    APP_UNINSTALLED,
    Refused,
    header_problem,
    read_payload,
    subject,
)
from connector.store import schema as t

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


def signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(body: bytes, header: str | None, secrets: Sequence[SecretStr]) -> bool:
    if not header:
        return False
    given = header.strip().encode()
    matched = False
    for secret in secrets:
        expected = signature(secret.get_secret_value(), body).encode()
        # Every secret is compared, so the time taken does not tell which one matched.
        matched |= hmac.compare_digest(expected, given)
    return matched


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    shop: str
    topic: str
    resource_id: str | None
    triggered_at: datetime | None


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
    except Refused as exc:
        return str(exc)
    return Delivery(webhook_id, shop, topic, resource, _time(headers.get("x-shopify-triggered-at")))


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


def store_delivery(conn: Connection, delivery: Delivery, now: datetime) -> bool:
    """Store a delivery; False when it was stored before (a retry or a duplicate)."""
    seen = conn.execute(
        select(t.webhook_deliveries.c.id).where(
            t.webhook_deliveries.c.webhook_id == delivery.webhook_id
        )
    ).first()
    if seen:
        return False
    conn.execute(
        t.webhook_deliveries.insert().values(
            webhook_id=delivery.webhook_id,
            shop=delivery.shop,
            topic=delivery.topic,
            resource_id=delivery.resource_id,
            triggered_at=delivery.triggered_at,
            received_at=now,
            attempts=0,
        )
    )
    return True


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
