"""Webhook deliveries as Shopify sends them: REST-shaped JSON bodies and signed headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tandem_shopify_standin.store import Store, gid_number


def topic_header(topic: str) -> str:
    """`ORDERS_CREATE` (GraphQL enum) or `orders/create` -> `orders/create`."""
    if "/" in topic:
        return topic
    head, _, tail = topic.lower().partition("_")
    return f"{head}/{tail}" if tail else head


def sign(body: bytes, secret: str) -> str:
    """X-Shopify-Hmac-Sha256: base64 of HMAC-SHA256 over the raw body, keyed by the secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_request(
    topic: str,
    payload: Any,
    secret: str,
    *,
    domain: str,
    api_version: str,
    webhook_id: str | None = None,
    event_id: str | None = None,
    triggered_at: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    moment = (triggered_at or datetime.now(UTC)).astimezone(UTC)
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic_header(topic),
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z",
        "X-Shopify-API-Version": api_version,
    }
    return body, headers


def _rest_time(value: str | None) -> str | None:
    return value.replace("Z", "+00:00") if value else None


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    text = str(amount.quantize(Decimal("0.01")))
    bag = {"amount": text, "currency_code": currency}
    return {"shop_money": dict(bag), "presentment_money": dict(bag)}


def _address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    if not address:
        return None
    return {
        "first_name": address.get("firstName"),
        "address1": address.get("address1"),
        "phone": address.get("phone"),
        "city": address.get("city"),
        "zip": address.get("zip"),
        "province": address.get("province"),
        "country": address.get("country"),
        "last_name": address.get("lastName"),
        "address2": address.get("address2"),
        "company": address.get("company"),
        "latitude": None,
        "longitude": None,
        "name": address.get("name"),
        "country_code": address.get("countryCodeV2"),
        "province_code": address.get("provinceCode"),
    }


def _fulfillment_status(store: Store, order: dict[str, Any]) -> str | None:
    return {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(
        store.display_fulfillment_status(order)
    )


def order_payload(store: Store, order_id: str) -> dict[str, Any]:
    """The order in the REST webhook shape of `orders/create` (and `orders/updated`)."""
    with store.lock:
        order = store.require(order_id, "Order")
        currency = order["currencyCode"]
        lines = [store.objects[i] for i in order["_lines"]]
        subtotal = sum((Decimal(li["_price"]) * li["currentQuantity"] for li in lines), Decimal(0))
        zero = Decimal(0)
        customer = store.get(order["_customer"], "Customer")
        return {
            "id": gid_number(order_id),
            "admin_graphql_api_id": order_id,
            "email": order.get("email"),
            "closed_at": _rest_time(order["closedAt"]),
            "created_at": _rest_time(order["createdAt"]),
            "updated_at": _rest_time(order["updatedAt"]),
            "number": order["number"] - 1000,
            "note": order.get("note"),
            "token": hashlib.md5(order_id.encode()).hexdigest(),
            "gateway": None,
            "test": order["test"],
            "total_price": str(subtotal.quantize(Decimal("0.01"))),
            "subtotal_price": str(subtotal.quantize(Decimal("0.01"))),
            "total_weight": 0,
            "total_tax": "0.00",
            "taxes_included": False,
            "currency": currency,
            "financial_status": str(order["displayFinancialStatus"] or "pending").lower(),
            "confirmed": order["confirmed"],
            "total_discounts": "0.00",
            "total_line_items_price": str(subtotal.quantize(Decimal("0.01"))),
            "buyer_accepts_marketing": False,
            "name": order["name"],
            "cancelled_at": _rest_time(order["cancelledAt"]),
            "cancel_reason": (order["cancelReason"] or "").lower() or None,
            "processed_at": _rest_time(order["processedAt"]),
            "phone": order.get("phone"),
            "customer_locale": "en",
            "order_number": order["number"],
            "discount_applications": [],
            "discount_codes": [],
            "note_attributes": [
                {"name": a["key"], "value": a["value"]} for a in order["customAttributes"]
            ],
            "payment_gateway_names": [],
            "source_name": "web",
            "fulfillment_status": _fulfillment_status(store, order),
            "tax_lines": [],
            "tags": ", ".join(order["tags"]),
            "contact_email": order.get("email"),
            "presentment_currency": currency,
            "total_line_items_price_set": _money(subtotal, currency),
            "total_discounts_set": _money(zero, currency),
            "total_shipping_price_set": _money(zero, currency),
            "subtotal_price_set": _money(subtotal, currency),
            "total_price_set": _money(subtotal, currency),
            "total_tax_set": _money(zero, currency),
            "line_items": [_line_payload(store, line, currency) for line in lines],
            "shipping_lines": [],
            "billing_address": _address(order.get("billingAddress")),
            "shipping_address": _address(order.get("shippingAddress")),
            "fulfillments": [
                _fulfillment_payload(store, store.objects[f]) for f in order["_fulfillments"]
            ],
            "refunds": [],
            "customer": _customer_payload(customer, currency) if customer else None,
        }


def _line_payload(store: Store, line: dict[str, Any], currency: str) -> dict[str, Any]:
    variant = store.get(line["_variant"], "ProductVariant")
    item = store.get(variant["_item"], "InventoryItem") if variant else None
    fulfilled = store.fulfilled_quantity(line["id"])
    remaining = sum(
        foli["remainingQuantity"]
        for foli in store.fulfillment_order_lines(line["_order"], line["id"])
        if store.objects[foli["_fo"]]["status"] in ("OPEN", "IN_PROGRESS")
    )
    price = Decimal(line["_price"])
    status = None
    if fulfilled:
        status = "fulfilled" if fulfilled >= line["currentQuantity"] else "partial"
    return {
        "id": gid_number(line["id"]),
        "admin_graphql_api_id": line["id"],
        "variant_id": gid_number(variant["id"]) if variant else None,
        "title": line["title"],
        "quantity": line["quantity"],
        "current_quantity": line["currentQuantity"],
        "sku": line["sku"],
        "variant_title": line.get("variantTitle"),
        "vendor": line.get("vendor"),
        "fulfillment_service": "manual",
        "product_id": gid_number(line["_product"]) if line["_product"] else None,
        "requires_shipping": line["requiresShipping"],
        "taxable": line["taxable"],
        "gift_card": False,
        "name": line["name"],
        "variant_inventory_management": "shopify" if item and item["tracked"] else None,
        "properties": [{"name": a["key"], "value": a["value"]} for a in line["customAttributes"]],
        "product_exists": line["_product"] is not None,
        "fulfillable_quantity": remaining,
        "grams": 0,
        "price": str(price.quantize(Decimal("0.01"))),
        "total_discount": "0.00",
        "fulfillment_status": status,
        "price_set": _money(price, currency),
        "total_discount_set": _money(Decimal(0), currency),
        "discount_allocations": [],
        "duties": [],
        "tax_lines": [],
    }


def _fulfillment_payload(store: Store, fulfillment: dict[str, Any]) -> dict[str, Any]:
    tracking = fulfillment["_tracking"]
    return {
        "id": gid_number(fulfillment["id"]),
        "admin_graphql_api_id": fulfillment["id"],
        "order_id": gid_number(fulfillment["_order"]),
        "status": fulfillment["status"].lower(),
        "created_at": _rest_time(fulfillment["createdAt"]),
        "updated_at": _rest_time(fulfillment["updatedAt"]),
        "name": fulfillment["name"],
        "tracking_company": tracking[0]["company"] if tracking else None,
        "tracking_number": tracking[0]["number"] if tracking else None,
        "tracking_numbers": [t["number"] for t in tracking if t["number"]],
        "tracking_url": tracking[0]["url"] if tracking else None,
        "tracking_urls": [t["url"] for t in tracking if t["url"]],
        "line_items": [
            {
                "id": gid_number(entry["_line"]),
                "admin_graphql_api_id": entry["_line"],
                "quantity": entry["quantity"],
                "sku": store.objects[entry["_line"]]["sku"],
            }
            for entry in fulfillment["_lines"]
        ],
    }


def _customer_payload(customer: dict[str, Any], currency: str) -> dict[str, Any]:
    return {
        "id": gid_number(customer["id"]),
        "admin_graphql_api_id": customer["id"],
        "email": customer.get("email"),
        "created_at": _rest_time(customer["createdAt"]),
        "updated_at": _rest_time(customer["updatedAt"]),
        "first_name": customer.get("firstName"),
        "last_name": customer.get("lastName"),
        "state": "disabled",
        "note": None,
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "phone": customer.get("phone"),
        "tags": ", ".join(customer["tags"]),
        "currency": currency,
    }
