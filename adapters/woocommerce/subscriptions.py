"""The shop's webhooks, subscribed by `tandem woocommerce webhooks register`: one active
webhook per order topic Tandem reads, delivering to Tandem's `/webhooks/woocommerce` and
signed with the store's webhook secret. Webhooks already delivering a topic there are kept,
and their secret set to the store's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from tandem.adapters.woocommerce.client import WooCommerceClient

TOPICS = ("order.created", "order.updated")
PER_PAGE = 100


@dataclass
class Registration:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


async def existing_webhooks(client: WooCommerceClient) -> list[dict[str, Any]]:
    """Every webhook of the site, page by page."""
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = await client.page("/webhooks", {"page": page, "per_page": PER_PAGE})
        found.extend(item for item in answer.items if isinstance(item, dict))
        if page >= answer.pages:
            return found
        page += 1


async def register_webhooks(client: WooCommerceClient, url: str, secret: SecretStr) -> Registration:
    result = Registration()
    delivering = {
        str(hook.get("topic")): hook
        for hook in await existing_webhooks(client)
        if hook.get("delivery_url") == url and hook.get("status") == "active"
    }
    for topic in TOPICS:
        if topic in delivering:
            # Kept, signed from now on with the store's secret (it may have been another).
            hook_id = delivering[topic].get("id")
            await client.put(f"/webhooks/{hook_id}", {"secret": secret.get_secret_value()})
            result.kept.append(topic)
            continue
        body = {
            "name": f"Tandem {topic}",
            "topic": topic,
            "delivery_url": url,
            "secret": secret.get_secret_value(),
            "status": "active",
        }
        await client.post("/webhooks", body, repeatable=False)
        result.created.append(topic)
    return result
