"""WooCommerce webhooks: checking and naming a delivery before it is stored.

WooCommerce signs the raw body: `X-WC-Webhook-Signature` = base64(HMAC-SHA256(secret, body)).
The check is constant-time and accepts the previous secret while one is being rotated. The
delivery is stored under `X-WC-Webhook-Delivery-ID`, prefixed with the shop (another site's ids
are its own) and followed by a digest of the body: WooCommerce makes the id from the webhook
and the second it fires, so two changes of one order in one second share an id, and only a
body seen before is a duplicate. The order itself is read later through the API
(`deliveries.py`), so a webhook and a poll give the same order.

A delivery from another site (`X-WC-Webhook-Source`) is refused: WooCommerce counts the
failure and a misrouted webhook shows in its delivery log. The ping WooCommerce sends when a
webhook is created (`webhook_id=N`, form-encoded, unsigned) is answered without being stored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from tandem.connector.jsonsafe import JsonDepthError, loads_bounded
from tandem.connector.platforms import Delivery
from tandem.connector.store import schema as t
from tandem.connector.webhook_signatures import verify

ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.deleted", "order.restored"})
PING = re.compile(rb"webhook_id=\d{1,20}")
_DELIVERY = re.compile(r"[\x21-\x7e]{1,64}")
_TOPIC = re.compile(r"[a-z_]+\.[a-z_]+")
ID_LENGTH = int(getattr(t.webhook_deliveries.c.webhook_id.type, "length", 100) or 100)


def is_ping(headers: Mapping[str, str], body: bytes) -> bool:
    """WooCommerce's test ping: `webhook_id=N`, sent without a topic or signature."""
    return "x-wc-webhook-topic" not in headers and PING.fullmatch(body.strip()) is not None


MAX_DEPTH = 64


def read_payload(body: bytes) -> dict[str, Any] | str:
    """The body as a JSON object, or why it is not one."""
    try:
        payload = loads_bounded(body.decode("utf-8"), max_depth=MAX_DEPTH)
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    except JsonDepthError:
        return f"the body is JSON nested deeper than {MAX_DEPTH} levels"
    except (ValueError, RecursionError):
        return "the body is not JSON"
    return payload if isinstance(payload, dict) else "the body is not a JSON object"


def delivery_key(shop: str, delivery_id: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()[:16]
    key = f"{shop}/{delivery_id}/{digest}"
    if len(key) > ID_LENGTH:  # a long host: its digest names it instead
        key = f"{hashlib.sha256(shop.encode()).hexdigest()[:16]}/{delivery_id}/{digest}"
    return key


def parse_delivery(shop: str, headers: Mapping[str, str], body: bytes) -> Delivery | str:
    """The delivery of a signed body sent for `shop`, or what is wrong with it. `headers` are
    keyed in lower case."""
    delivery_id = headers.get("x-wc-webhook-delivery-id") or ""
    topic = headers.get("x-wc-webhook-topic") or ""
    source = headers.get("x-wc-webhook-source") or ""
    if not delivery_id or not topic:
        return "missing X-WC-Webhook-Delivery-ID or X-WC-Webhook-Topic"
    if not _DELIVERY.fullmatch(delivery_id):
        return "X-WC-Webhook-Delivery-ID is not printable ASCII of at most 64 characters"
    if not _TOPIC.fullmatch(topic) or len(topic) > 100:
        return "X-WC-Webhook-Topic is not a topic such as order.updated"
    sender = urlsplit(source).netloc.lower()
    if sender != shop.lower():
        return f"sent for {sender or 'an unnamed site'}, but Tandem serves {shop} here"
    payload = read_payload(body)
    if isinstance(payload, str):
        return payload
    resource: str | None = None
    if topic in ORDER_TOPICS:
        order_id = payload.get("id")
        if isinstance(order_id, bool) or not isinstance(order_id, int | str):
            return f"a {topic} body must name its order (id)"
        if not str(order_id).isdigit() or len(str(order_id)) > 20:
            return f"the {topic} body's id is not a WooCommerce order id"
        resource = str(int(order_id))
    return Delivery(delivery_key(shop, delivery_id, body), shop, topic, resource, None)


class WooCommerceWebhooks:
    """The webhook door of one WooCommerce shop (`connector.platforms.WebhookDoor`)."""

    def __init__(self, shop: str) -> None:
        self.shop = shop

    def claimed(self, headers: Mapping[str, str]) -> dict[str, str | None]:
        return {
            "webhook_id": headers.get("x-wc-webhook-delivery-id"),
            "topic": headers.get("x-wc-webhook-topic"),
            "shop": headers.get("x-wc-webhook-source"),
        }

    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Sequence[SecretStr]) -> bool:
        return verify(body, headers.get("x-wc-webhook-signature"), secrets)

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | str:
        return parse_delivery(self.shop, headers, body)

    def unsigned_ping(self, headers: Mapping[str, str], body: bytes) -> bool:
        return is_ping(headers, body)
