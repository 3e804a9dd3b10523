"""Registering Tandem's webhook subscriptions on a shop, keeping any that exist."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.shopify import documents as doc
from adapters.shopify.client import ShopifyClient
from adapters.shopify.errors import reading
from adapters.shopify.writeback import check
from connector.web.webhooks import TOPICS


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
