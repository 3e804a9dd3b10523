"""Orders from a JSON file: the `file` store platform.

The file holds a list of orders, or `{"orders": [...]}`. Each order uses Tandem's own field
names or Shopify's REST order shape (as in an orders/create webhook): `line_items` or `lines`,
tags as a list or a comma-separated string, `properties` as a mapping or `[{name, value}]`,
`current_quantity` preferred over `quantity`. A bad order is reported with its position, its
id and the field; the good orders around it are still returned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tandem.connector.domain import Address, Customer, Order, OrderLine
from tandem.connector.errors import InputError
from tandem.connector.jsonsafe import MAX_DEPTH, JsonDepthError, depth, loads_bounded
from tandem.connector.text import clean_text

# The file may nest its orders deeper than one order may nest (`{"orders": [...]}`), and stays
# far below what the parser's recursion takes; one order nested past MAX_DEPTH is rejected alone.
FILE_DEPTH = 200


@dataclass(frozen=True)
class OrdersFile:
    orders: list[Order]
    problems: list[str]


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, list):
        return tuple(str(t).strip() for t in value if str(t).strip())
    raise ValueError(f"tags must be a list or a comma-separated string, not {value!r}")


def _properties(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        out: dict[str, str] = {}
        for item in value:
            if not isinstance(item, dict) or "name" not in item:
                raise ValueError("properties must be a mapping or a list of {name, value}")
            if item.get("value") is not None:
                out[str(item["name"])] = str(item["value"])
        return out
    raise ValueError("properties must be a mapping or a list of {name, value}")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _address(value: Any) -> Address | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("shipping_address must be an object")
    data = {k: _text(v) for k, v in value.items()}
    if not data.get("name"):
        full = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        data["name"] = full or None
    return Address.model_validate(data)


def _customer(value: Any) -> Customer:
    if value is None:
        return Customer()
    if not isinstance(value, dict):
        raise ValueError("customer must be an object")
    name = _text(value.get("name")) or " ".join(
        p for p in (_text(value.get("first_name")), _text(value.get("last_name"))) if p
    )
    return Customer(
        id=_text(value.get("id")),
        email=_text(value.get("email")),
        name=name or None,
        tags=_tags(value.get("tags")),
    )


def _quantity(item: dict[str, Any]) -> int:
    raw = item.get("current_quantity", item.get("quantity"))
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError(f"quantity must be a whole number, not {raw!r}")
    try:
        quantity = int(raw)
    except ValueError:
        raise ValueError(f"quantity must be a whole number, not {raw!r}") from None
    if quantity < 0:
        raise ValueError(f"quantity must not be negative (got {quantity})")
    return quantity


def _price(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"price {value!r} is not a number") from None


def _line(item: Any, order_id: str, index: int) -> OrderLine:
    if not isinstance(item, dict):
        raise ValueError("must be an object")
    line_id = _text(item.get("id")) or f"{order_id}-{index + 1}"
    try:
        return OrderLine(
            id=line_id,
            sku=_text(item.get("sku")),
            title=_text(item.get("title")) or _text(item.get("name")) or "",
            quantity=_quantity(item),
            price=_price(item.get("price")),
            properties=_properties(item.get("properties")),
            product_tags=_tags(item.get("product_tags")),
            product_mode=_text(item.get("product_mode")),
            variant_id=_text(item.get("variant_id")),
            product_id=_text(item.get("product_id")),
        )
    except ValidationError as exc:
        raise ValueError(_first_error(exc)) from None


def _time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{field} must be an ISO 8601 time, not {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field} {value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{field} {value!r} has no time zone offset")
    return parsed


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def parse_order(raw: Any) -> Order:
    """One order object -> Order; ValueError names the field that is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("an order must be an object")
    order_id = _text(raw.get("id"))
    if order_id is None:
        raise ValueError("id: missing")
    created = _time(raw.get("created_at"), "created_at")
    updated = _time(raw["updated_at"], "updated_at") if raw.get("updated_at") else created
    cancelled = raw.get("cancelled_at")
    items = raw.get("line_items", raw.get("lines"))
    if not isinstance(items, list):
        raise ValueError("line_items: missing or not a list")
    lines = []
    for index, item in enumerate(items):
        try:
            lines.append(_line(item, order_id, index))
        except ValueError as exc:
            raise ValueError(f"line_items[{index}]: {exc}") from None
    ids = [line.id for line in lines]
    if len(set(ids)) != len(ids):
        raise ValueError("line_items: two lines share an id")
    name = _text(raw.get("name")) or (
        f"#{raw['order_number']}" if raw.get("order_number") is not None else order_id
    )
    try:
        return Order(
            id=order_id,
            name=name,
            created_at=created,
            updated_at=updated,
            financial_status=_text(raw.get("financial_status")),
            cancelled_at=_time(cancelled, "cancelled_at") if cancelled else None,
            currency=_text(raw.get("currency")),
            tags=_tags(raw.get("tags")),
            customer=_customer(raw.get("customer")),
            shipping_address=_address(raw.get("shipping_address")),
            lines=tuple(lines),
        )
    except ValidationError as exc:
        raise ValueError(_first_error(exc)) from None


def _raw_orders(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("orders"), list):
        return list(data["orders"])
    if isinstance(data, dict) and "line_items" in data:
        return [data]  # a single order, e.g. a saved webhook payload
    if isinstance(data, list):
        return data
    raise ValueError('expected a list of orders or {"orders": [...]}')


def read_orders_file(path: Path) -> OrdersFile:
    """Parse a file; raise InputError only when nothing in it can be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), [f"cannot read: {exc}"]) from None
    try:
        data = loads_bounded(text, max_depth=FILE_DEPTH)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{exc.lineno}:{exc.colno}", [f"not valid JSON: {exc.msg}"]
        ) from None
    except JsonDepthError as exc:
        raise InputError(
            f"{path}:{exc.line}:{exc.column}", [f"nested deeper than {exc.max_depth} levels"]
        ) from None
    try:
        raw_orders = _raw_orders(data)
    except ValueError as exc:
        raise InputError(str(path), [str(exc)]) from None
    orders: list[Order] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_orders, start=1):
        label = _label(raw, index)
        if depth(raw) > MAX_DEPTH:
            problems.append(f"{label}: nested deeper than {MAX_DEPTH} levels")
            continue
        try:
            order = parse_order(raw)
        except ValueError as exc:
            problems.append(f"{label}: {exc}")
            continue
        if order.id in seen:
            problems.append(f"{label}: the same order id as order {seen[order.id]}; skipped")
            continue
        seen[order.id] = index
        orders.append(order)
    return OrdersFile(orders, problems)


def _label(raw: Any, index: int) -> str:
    if isinstance(raw, dict):
        name = raw.get("name") or raw.get("order_number") or raw.get("id")
        if name is not None:
            text = clean_text(str(name))
            return f"order {index} ({text if len(text) <= 40 else text[:40] + '…'})"
    return f"order {index}"
