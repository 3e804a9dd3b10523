"""WooCommerce REST v3 order JSON -> Tandem's Order. Webhooks and polling both end here.

- The order's name is `#` + its `number` (plugins renumber orders; `id` stays the key).
- Times are the `_gmt` fields (WooCommerce writes them without an offset, in UTC).
- The status becomes the financial status `store.planned_financial_statuses` reads:
  processing and completed are `paid` (`partially_refunded` once a refund exists); pending,
  on-hold and failed keep their names; cancelled, refunded and trash cancel the order.
- Line `meta_data` become line properties (the mode property among them); an order meta entry
  named by `rules.mode_properties` speaks for every line that does not name its own mode.
  Product tags and the product's mode meta come from the products (`ProductFacts`).
- The shipping address, or the billing one for an order shipped to its billing address.
- `_tandem_purchase_orders` (what a Tandem wrote on the order) for the planner's fences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from tandem.connector.domain import Address, Customer, Order, OrderLine, PriorHandling
from tandem.connector.services.order_facts import prior_pos

PURCHASE_ORDERS_META = "_tandem_purchase_orders"
PAID = frozenset({"processing", "completed"})
ENDED = frozenset({"cancelled", "refunded", "trash"})


class MappingError(ValueError):
    """The order cannot be read; the message names the order and the field."""


@dataclass(frozen=True)
class ProductFacts:
    tags: tuple[str, ...] = ()
    mode: str | None = None  # the product's mode meta entry


def map_order(
    raw: dict[str, Any],
    *,
    mode_properties: Sequence[str] = ("_fulfilment", "_fulfillment"),
    products: Mapping[str, ProductFacts] | None = None,
) -> Order:
    name = f"#{raw.get('number') or raw.get('id') or '?'}"
    try:
        order_id = _required(raw, "id")
        updated = _time(_required(raw, "date_modified_gmt"))
        status = str(raw.get("status") or "")
        inherited = {
            k: v for k, v in _meta(raw.get("meta_data")).items() if k in set(mode_properties)
        }
        return Order(
            id=str(order_id),
            name=name,
            created_at=_time(_required(raw, "date_created_gmt")),
            updated_at=updated,
            financial_status=financial_status(status, raw.get("refunds")),
            cancelled_at=updated if status in ENDED else None,
            currency=raw.get("currency") or None,
            customer=_customer(raw),
            shipping_address=_address(raw),
            lines=tuple(
                _line(item, inherited, mode_properties, products or {})
                for item in raw.get("line_items") or []
            ),
            prior_handling=PriorHandling(
                purchase_orders=prior_pos(
                    _meta(raw.get("meta_data"), raw_values=True).get(PURCHASE_ORDERS_META)
                ),
                closed=status == "completed",
            ),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise MappingError(f"order {name}: {detail}") from None


def financial_status(status: str, refunds: Any) -> str | None:
    if status in PAID:
        return "partially_refunded" if refunds else "paid"
    return status or None


def _line(
    item: dict[str, Any],
    inherited: dict[str, str],
    mode_properties: Sequence[str],
    products: Mapping[str, ProductFacts],
) -> OrderLine:
    line_id = str(_required(item, "id"))
    properties = _meta(item.get("meta_data"))
    if not any(name in properties for name in mode_properties):
        properties = {**inherited, **properties}
    product_id = str(item.get("product_id") or "") or None
    variation_id = str(item.get("variation_id") or "") or None
    if product_id == "0":
        product_id = None
    if variation_id == "0":
        variation_id = None
    facts = products.get(product_id or "", ProductFacts())
    return OrderLine(
        id=line_id,
        sku=str(item.get("sku") or "").strip() or None,
        title=str(item.get("name") or ""),
        quantity=int(item.get("quantity") or 0),
        price=_price(item.get("price"), line_id),
        properties=properties,
        product_tags=facts.tags,
        product_mode=facts.mode,
        variant_id=variation_id,
        product_id=product_id,
    )


def _meta(entries: Any, *, raw_values: bool = False) -> dict[str, Any]:
    """Meta entries as key -> value (the first of a key wins, as get_meta does). Only scalar
    values become properties; `raw_values` keeps every value as it is."""
    found: dict[str, Any] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            continue
        key, value = entry["key"], entry.get("value")
        if key in found:
            continue
        if raw_values:
            found[key] = value
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            found[key] = str(value)
    return found


def _required(raw: dict[str, Any], key: str) -> Any:
    value = raw.get(key)
    if value in (None, ""):
        raise ValueError(f"{key} is missing")
    return value


def _time(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _price(value: Any, line_id: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"line {line_id}: price {value!r} is not a number") from None


def _name(part: dict[str, Any]) -> str | None:
    name = " ".join(str(part.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    return name or None


def _customer(raw: dict[str, Any]) -> Customer:
    billing = raw.get("billing") or {}
    customer_id = raw.get("customer_id")
    return Customer(
        id=str(customer_id) if customer_id else None,
        email=billing.get("email") or None,
        name=_name(billing),
    )


def _address(raw: dict[str, Any]) -> Address | None:
    billing = raw.get("billing") or {}
    shipping = raw.get("shipping") or {}
    part = shipping if shipping.get("address_1") or shipping.get("city") else billing
    if not (part.get("address_1") or part.get("city")):
        return None

    def text(key: str) -> str | None:
        value = str(part.get(key) or "").strip()
        return value or None

    return Address(
        name=_name(part),
        company=text("company"),
        address1=text("address_1"),
        address2=text("address_2"),
        city=text("city"),
        province_code=text("state"),
        zip=text("postcode"),
        country_code=text("country"),
        phone=text("phone") or (str(billing.get("phone") or "").strip() or None),
        email=billing.get("email") or None,
    )


def product_facts(raw: dict[str, Any], mode_key: str) -> ProductFacts:
    """What a product says about the mode of the lines that sell it: its tags and its mode
    meta entry (`rules.mode_metafield`'s key)."""
    tags = tuple(
        str(t.get("name")) for t in raw.get("tags") or [] if isinstance(t, dict) and t.get("name")
    )
    mode = _meta(raw.get("meta_data")).get(mode_key)
    return ProductFacts(tags, mode if mode and mode.strip() else None)
