"""What a signed delivery must look like before anything of it is stored.

Shopify signs the body, not the headers, so a captured delivery can be replayed with other
headers. Each header Tandem stores is checked against its column (length) and against what
Shopify sends (charset), so no database refuses it. The body is read as strict UTF-8 and JSON
nested at most MAX_DEPTH deep (the parser recurses), and must be an object whose shape fits
the topic: an order topic names an order, app/uninstalled carries the shop it is sent for. Of
the body only the order id is stored, and only when it is plain printable ASCII, so a NUL or a
lone surrogate elsewhere in the body never reaches the database.

The privacy topics (customers/data_request, customers/redact, shop/redact) are Shopify's
mandatory compliance webhooks: their body is the request, so what it asks is stored with the
delivery (`privacy_request`: ids, the customer's email and phone as printable text). As the
headers are not signed, a signed body replayed under another topic must not pass for a
request: each must name the shop it is sent for (shop_domain) and carry its own topic's keys
and none of another's — an order body (which names a customer) is no customers/redact, and a
customer's request is no shop/redact.

Each check answers None or a reason fit to send back (it never echoes what was sent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tandem.adapters.shopify.mapper import order_gid
from tandem.connector.jsonsafe import JsonDepthError, loads_bounded
from tandem.connector.store import schema as t

MAX_DEPTH = 64
APP_UNINSTALLED = "app/uninstalled"
DATA_REQUEST = "customers/data_request"
CUSTOMER_REDACT = "customers/redact"
SHOP_REDACT = "shop/redact"
PRIVACY_TOPICS = frozenset({DATA_REQUEST, CUSTOMER_REDACT, SHOP_REDACT})
# The list of order ids each customer request carries.
_ORDER_LISTS = {DATA_REQUEST: "orders_requested", CUSTOMER_REDACT: "orders_to_redact"}
_CUSTOMER_KEYS = ("customer", "data_request", *_ORDER_LISTS.values())
MAX_ORDERS = 10_000
_TEXT_LIMITS = {"email": 320, "phone": 64}

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
    if topic in PRIVACY_TOPICS:
        return None
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


def _id(value: Any) -> str | None:
    """A Shopify numeric id (a JSON number or digits) as text; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value < 10**20:
        return str(value)
    if isinstance(value, str) and value.isdigit() and len(value) <= 20:
        return value
    return None


def _text(topic: str, customer: dict[str, Any], key: str) -> str | None:
    value = customer.get(key)
    if value is None or value == "":
        return None
    limit = _TEXT_LIMITS[key]
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise Refused(
            f"the {topic} body's customer {key} is not text of at most {limit} characters"
        )
    return value.strip() or None


def privacy_request(topic: str, shop: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """What a privacy request asks, as stored with its delivery (None for other topics):
    `shop_id`, and for a customer's request `customer_id`, `email`, `phone`, `orders` (ids)
    and, for a data request, `request_id`. Refused when the body is not a request of its
    topic for this shop."""
    if topic not in PRIVACY_TOPICS:
        return None
    domain = payload.get("shop_domain")
    if not isinstance(domain, str) or domain.lower() != shop.lower():
        raise Refused(f"a {topic} body must name the shop it is sent for (shop_domain)")
    shop_id = _id(payload.get("shop_id"))
    if topic == SHOP_REDACT:
        if any(key in payload for key in _CUSTOMER_KEYS):
            raise Refused(f"a {topic} body names the shop only, not a customer or orders")
        return {"shop_id": shop_id}
    customer = payload.get("customer")
    if not isinstance(customer, dict):
        raise Refused(f"a {topic} body must name its customer (customer)")
    listed = _ORDER_LISTS[topic]
    for other, key in _ORDER_LISTS.items():
        if other != topic and key in payload:
            raise Refused(f"a {topic} body carries {listed}, not {key}")
    if topic == CUSTOMER_REDACT and "data_request" in payload:
        raise Refused(f"a {topic} body carries no data_request")
    orders = payload.get(listed)
    if not isinstance(orders, list) or len(orders) > MAX_ORDERS:
        raise Refused(f"a {topic} body must list at most {MAX_ORDERS} order ids ({listed})")
    order_ids = [_id(order) for order in orders]
    if None in order_ids:
        raise Refused(f"the {topic} body's {listed} holds something other than order ids")
    request: dict[str, Any] = {
        "shop_id": shop_id,
        "customer_id": _id(customer.get("id")),
        "email": _text(topic, customer, "email"),
        "phone": _text(topic, customer, "phone"),
        "orders": order_ids,
    }
    if not (request["customer_id"] or request["email"] or request["phone"]):
        raise Refused(f"a {topic} body must name its customer by id, email or phone")
    if topic == DATA_REQUEST:
        asked = payload.get("data_request")
        request["request_id"] = _id(asked.get("id")) if isinstance(asked, dict) else None
        if request["request_id"] is None:
            raise Refused(f"a {topic} body must carry the request's id (data_request.id)")
    return request
