"""Shopify GraphQL order -> Tandem's Order. Webhooks and polling both end here.

Quantities are `currentQuantity` (after edits and removals: a removed line reads 0), the
financial status is Shopify's display status in lower case ("PARTIALLY_PAID" ->
"partially_paid", matching `store.planned_financial_statuses`), and the inputs of the mode
precedence come along: order, customer and product tags, line custom attributes (properties)
and the mode metafield, the variant's taking precedence over the product's (variants have no
tags). So does what the shop already says about the order's handling, for the planner's
fences: the POs a Tandem wrote on it, its fulfillment orders held or closed, and each line's
fulfilled units.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from tandem.connector.domain import Address, Customer, Order, OrderLine, PriorHandling
from tandem.connector.services.order_facts import prior_pos


class MappingError(ValueError):
    """The order cannot be read; the message names the order and the field."""


def map_order(node: dict[str, Any]) -> Order:
    name = node.get("name") or node.get("id") or "?"
    try:
        return Order(
            id=_required(node, "id"),
            name=name,
            created_at=_time(_required(node, "createdAt")),
            updated_at=_time(_required(node, "updatedAt")),
            financial_status=_lower(node.get("displayFinancialStatus")),
            cancelled_at=_time(node["cancelledAt"]) if node.get("cancelledAt") else None,
            currency=node.get("currencyCode"),
            tags=tuple(node.get("tags") or ()),
            customer=_customer(node.get("customer")),
            shipping_address=_address(node.get("shippingAddress"), node.get("customer")),
            lines=tuple(_fulfilled(map_line(item), item) for item in _line_nodes(node)),
            prior_handling=prior_handling(node),
        )
    except (KeyError, ValueError, ValidationError) as exc:
        detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise MappingError(f"order {name}: {detail}") from None


def prior_handling(node: dict[str, Any]) -> PriorHandling:
    """What the order already says about its handling: the `tandem.purchase_orders` list any
    Tandem wrote (entries that cannot be read are skipped) and its fulfillment orders held,
    or all closed (cancelled ones count as closed)."""
    statuses = {
        str(fo.get("status"))
        for fo in ((node.get("fulfillmentOrders") or {}).get("nodes") or [])
        if isinstance(fo, dict)
    }
    return PriorHandling(
        purchase_orders=prior_pos((node.get("purchaseOrders") or {}).get("value")),
        on_hold="ON_HOLD" in statuses,
        closed=bool(statuses) and statuses <= {"CLOSED", "CANCELLED"},
    )


def _fulfilled(line: OrderLine, item: dict[str, Any]) -> OrderLine:
    """The units of the line the shop reports fulfilled (by anyone): current less unfulfilled."""
    unfulfilled = item.get("unfulfilledQuantity")
    if not isinstance(unfulfilled, int):
        return line
    done = max(0, min(line.quantity, line.quantity - unfulfilled))
    return line.model_copy(update={"fulfilled_quantity": done}) if done else line


def _line_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    items = node.get("lineItems") or {}
    return list(items.get("nodes") or [])


def map_line(item: dict[str, Any]) -> OrderLine:
    line_id = _required(item, "id")
    quantity = item.get("currentQuantity")
    if quantity is None:
        quantity = item.get("quantity", 0)
    product = item.get("product") or {}
    variant = item.get("variant") or {}
    return OrderLine(
        id=line_id,
        sku=(item.get("sku") or "").strip() or None,
        title=item.get("name") or "",
        quantity=int(quantity),
        price=_price(item, line_id),
        properties={
            str(a["key"]): str(a.get("value") or "")
            for a in item.get("customAttributes") or []
            if a.get("key")
        },
        product_tags=tuple(product.get("tags") or ()),
        product_mode=_variant_mode(variant) or (product.get("modeField") or {}).get("value"),
        variant_id=variant.get("id"),
        product_id=product.get("id"),
    )


def _variant_mode(variant: dict[str, Any]) -> str | None:
    """The variant's own mode metafield; unset or blank leaves the product's to decide."""
    value = (variant.get("modeField") or {}).get("value")
    return value if isinstance(value, str) and value.strip() else None


def _required(node: dict[str, Any], key: str) -> Any:
    value = node.get(key)
    if value in (None, ""):
        raise ValueError(f"{key} is missing")
    return value


def _time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise ValueError(f"{value!r} is not a time") from None


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def _price(item: dict[str, Any], line_id: str) -> Decimal | None:
    amount = ((item.get("originalUnitPriceSet") or {}).get("shopMoney") or {}).get("amount")
    if amount is None:
        return None
    try:
        return Decimal(str(amount))
    except InvalidOperation:
        raise ValueError(f"line {line_id}: price {amount!r} is not a number") from None


def _customer(raw: dict[str, Any] | None) -> Customer:
    if not raw:
        return Customer()
    email = (raw.get("defaultEmailAddress") or {}).get("emailAddress")
    return Customer(
        id=raw.get("id"),
        email=email,
        name=raw.get("displayName"),
        tags=tuple(raw.get("tags") or ()),
    )


def _address(raw: dict[str, Any] | None, customer: dict[str, Any] | None) -> Address | None:
    if not raw:
        return None
    email = ((customer or {}).get("defaultEmailAddress") or {}).get("emailAddress")
    return Address(
        name=raw.get("name"),
        company=raw.get("company"),
        address1=raw.get("address1"),
        address2=raw.get("address2"),
        city=raw.get("city"),
        province=raw.get("province"),
        province_code=raw.get("provinceCode"),
        zip=raw.get("zip"),
        country=raw.get("country"),
        country_code=raw.get("countryCodeV2"),
        phone=raw.get("phone"),
        email=email,
    )


def order_gid(payload: dict[str, Any]) -> str | None:
    """The order a webhook payload is about: `admin_graphql_api_id`, else built from `id`
    (orders/edited carries it as `order_edit.order_id`)."""
    edit = payload.get("order_edit")
    if isinstance(edit, dict):
        payload = {"id": edit.get("order_id")}
    gid = payload.get("admin_graphql_api_id")
    if isinstance(gid, str) and gid.startswith("gid://shopify/Order/"):
        return gid
    raw_id = payload.get("id")
    if isinstance(raw_id, int) or (isinstance(raw_id, str) and raw_id.isdigit()):
        return f"gid://shopify/Order/{raw_id}"
    return None
