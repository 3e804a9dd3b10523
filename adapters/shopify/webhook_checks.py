"""What a signed delivery must look like before anything of it is stored.

Shopify signs the body, not the headers, so a captured delivery can be replayed with other
headers. Each header Tandem stores is checked against its column (length) and against what
Shopify sends (charset), so no database refuses it. The body is read as strict UTF-8 and JSON
nested at most MAX_DEPTH deep (the parser recurses), and must be an object whose shape fits
the topic: an order topic names an order, app/uninstalled carries the shop it is sent for. Of
the body only the order id is stored, and only when it is plain printable ASCII, so a NUL or a
lone surrogate elsewhere in the body never reaches the database.

Each check answers None or a reason fit to send back (it never echoes what was sent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.shopify.mapper import order_gid
from connector.jsonsafe import JsonDepthError, loads_bounded
from connector.store import schema as t

MAX_DEPTH = 64
APP_UNINSTALLED = "app/uninstalled"

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_CHECKS = (
    # header, its column, what it may hold
    ("X-Shopify-Webhook-Id", "webhook_id", re.compile(r"[\x21-\x7e]+")),
    ("X-Shopify-Topic", "topic", re.compile(r"[a-z0-9_]+(?:/[a-z0-9_]+)+")),
    ("X-Shopify-Shop-Domain", "shop", re.compile(rf"{_LABEL}(?:\.{_LABEL})+", re.IGNORECASE)),
)
_WHAT = {
    "X-Shopify-Webhook-Id": "printable ASCII without spaces",
    "X-Shopify-Topic": "a topic such as orders/create",
    "X-Shopify-Shop-Domain": "a host name such as shop.myshopify.com",
}
_ORDER_GID = "gid://shopify/Order/"
_RESOURCE = re.compile(r"[\x21-\x7e]+")  # what is stored of the body: no NUL, no surrogate


def _length(column: str) -> int:
    length = getattr(t.webhook_deliveries.c[column].type, "length", None)
    assert isinstance(length, int)
    return length


def header_problem(headers: Mapping[str, str]) -> str | None:
    """Why the delivery's headers cannot be stored, or None."""
    if not all(headers.get(name.lower()) for name, _, _ in _CHECKS):
        return "missing X-Shopify-Webhook-Id, X-Shopify-Topic or X-Shopify-Shop-Domain"
    for name, column, pattern in _CHECKS:
        value = headers[name.lower()]
        limit = _length(column)
        if len(value) > limit:
            return f"{name} is longer than {limit} characters"
        if not pattern.fullmatch(value):
            return f"{name} is not {_WHAT[name]}"
    return None


def read_payload(body: bytes) -> dict[str, Any] | str:
    """The body as a JSON object, or why it is not one."""
    try:
        text = body.decode("utf-8")  # strict: an encoded lone surrogate is not UTF-8
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    try:
        payload = loads_bounded(text, max_depth=MAX_DEPTH)
    except JsonDepthError:
        return f"the body is JSON nested deeper than {MAX_DEPTH} levels"
    except (ValueError, RecursionError):
        return "the body is not JSON"
    if not isinstance(payload, dict):
        return "the body is not a JSON object"
    return payload


class Refused(ValueError):
    """The body does not fit the topic; the message says how, fit to send back."""


def subject(topic: str, shop: str, payload: dict[str, Any]) -> str | None:
    """The order a delivery names (None for a topic about no order); Refused when the body
    does not fit the topic, as an orders/create body replayed as app/uninstalled."""
    if topic == APP_UNINSTALLED:
        domain = payload.get("myshopify_domain")
        if not isinstance(domain, str) or domain.lower() != shop.lower():
            raise Refused(f"an {topic} body must be the shop it is sent for (myshopify_domain)")
        return None
    if not topic.startswith("orders/"):
        return None
    given = payload.get("admin_graphql_api_id")
    if "myshopify_domain" in payload or (
        isinstance(given, str) and not given.startswith(_ORDER_GID)
    ):
        raise Refused(f"an {topic} body must be an order, not another resource")
    gid = order_gid(payload)
    if gid is None:
        raise Refused(f"an {topic} body must name its order (id or admin_graphql_api_id)")
    if len(gid) > _length("resource_id") or not _RESOURCE.fullmatch(gid):
        raise Refused(f"the {topic} body's order id is not a Shopify order id")
    return gid
