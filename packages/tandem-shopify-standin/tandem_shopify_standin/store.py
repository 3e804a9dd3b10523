"""The stand-in shop's data: plain dicts keyed by GraphQL field names, plus seed helpers.

Every object is a dict with `__typename`, its GID under `id` and its scalar fields under their
GraphQL names; links to other objects sit under keys starting with `_` (`_order`, `_variant`,
...), which no GraphQL field can read directly. Timestamps have Shopify's one-second
resolution. All access goes through `Store.lock` (the server thread and the test share it).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

GID_RE = re.compile(r"^gid://shopify/([A-Za-z]+)/(\d+)(?:\?.*)?$")

QUANTITY_NAMES = (
    "available",
    "on_hand",
    "committed",
    "incoming",
    "reserved",
    "damaged",
    "quality_control",
    "safety_stock",
)


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def gid_parts(value: Any) -> tuple[str, int] | None:
    match = GID_RE.match(value) if isinstance(value, str) else None
    return (match.group(1), int(match.group(2))) if match else None


def gid_number(value: str) -> int:
    parts = gid_parts(value)
    return parts[1] if parts else 0


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_tags(existing: Iterable[str], added: Iterable[str]) -> list[str]:
    """Shopify's tag rules: comma strings split, case-insensitive dedupe keeping the first
    spelling (existing tags win), sorted case-insensitively."""
    out: dict[str, str] = {}
    for tag in [*existing, *split_tags(added)]:
        out.setdefault(tag.lower(), tag)
    return sorted(out.values(), key=lambda t: (t.lower(), t))


def split_tags(values: Iterable[str] | str) -> list[str]:
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


class VariantIds(NamedTuple):
    product_id: str
    variant_id: str
    inventory_item_id: str


class WallClock:
    """Wall time for timestamps: real UTC time unless frozen; `advance` moves it on."""

    def __init__(self, start: datetime | None = None) -> None:
        self._frozen = start
        self._offset = timedelta(0)
        self._last: datetime | None = None

    def now(self) -> datetime:
        base = self._frozen if self._frozen is not None else datetime.now(UTC)
        return (base + self._offset).astimezone(UTC).replace(microsecond=0)

    def freeze(self, at: datetime | str) -> None:
        self._frozen = (
            datetime.fromisoformat(at.replace("Z", "+00:00")) if isinstance(at, str) else at
        )
        self._offset = timedelta(0)

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)


DEFAULT_ADDRESS = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "company": None,
    "address1": "12 Analytical Row",
    "address2": None,
    "city": "London",
    "province": None,
    "provinceCode": None,
    "zip": "N1 9GU",
    "country": "United Kingdom",
    "countryCodeV2": "GB",
    "phone": "+44 20 7946 0000",
}


class Store:
    def __init__(
        self,
        *,
        shop_name: str = "Tandem Test Shop",
        domain: str = "tandem-test.myshopify.com",
        currency: str = "USD",
        clock: WallClock | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock or WallClock()
        self._ids = itertools.count(1_000_001)
        self._order_numbers = itertools.count(1001)
        self.objects: dict[str, dict[str, Any]] = {}
        self.by_type: dict[str, dict[str, dict[str, Any]]] = {}
        self.levels: dict[tuple[str, str], dict[str, Any]] = {}
        self.idempotency: dict[tuple[str, str], tuple[str, Any]] = {}
        self.adjustments: list[dict[str, Any]] = []
        # A node like any other: its metafields are set with the shop's GID as owner.
        self.shop = self.put(
            {
                "__typename": "Shop",
                "id": gid("Shop", 1),
                "name": shop_name,
                "currencyCode": currency,
                "myshopifyDomain": domain,
                "email": f"owner@{domain}",
            }
        )
        self.default_location = self.add_location("Shop location")

    # -- basics -------------------------------------------------------------------------------

    def now(self) -> str:
        return iso(self.clock.now())

    def new_id(self, kind: str) -> str:
        return gid(kind, next(self._ids))

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        self.by_type.setdefault(obj["__typename"], {})[obj["id"]] = obj
        return obj

    def get(self, object_id: Any, typename: str | None = None) -> dict[str, Any] | None:
        obj = self.objects.get(object_id) if isinstance(object_id, str) else None
        if obj is None or (typename is not None and obj["__typename"] != typename):
            return None
        return obj

    def all(self, typename: str) -> list[dict[str, Any]]:
        return list(self.by_type.get(typename, {}).values())

    def require(self, object_id: str, typename: str) -> dict[str, Any]:
        obj = self.get(object_id, typename)
        if obj is None:
            raise KeyError(f"no {typename} {object_id!r} in the stand-in")
        return obj

    def touch(self, obj: dict[str, Any]) -> None:
        obj["updatedAt"] = self.now()

    # -- locations, products, inventory -------------------------------------------------------

    def add_location(self, name: str, *, active: bool = True) -> str:
        with self.lock:
            location = self.put(
                {
                    "__typename": "Location",
                    "id": self.new_id("Location"),
                    "name": name,
                    "isActive": active,
                    "fulfillsOnlineOrders": True,
                    "shipsInventory": True,
                }
            )
            return str(location["id"])

    def add_product(
        self,
        title: str,
        *,
        tags: Iterable[str] = (),
        vendor: str = "Tandem Test",
        status: str = "ACTIVE",
    ) -> str:
        with self.lock:
            now = self.now()
            handle = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"
            product = self.put(
                {
                    "__typename": "Product",
                    "id": self.new_id("Product"),
                    "title": title,
                    "handle": handle,
                    "vendor": vendor,
                    "status": status,
                    "tags": normalise_tags([], tags),
                    "productType": "",
                    "createdAt": now,
                    "updatedAt": now,
                    "_variants": [],
                }
            )
            return str(product["id"])

    def add_variant(
        self,
        sku: str,
        *,
        inventory_quantity: int = 0,
        policy: str = "DENY",
        price: str = "10.00",
        product_id: str | None = None,
        product_title: str | None = None,
        product_tags: Iterable[str] = (),
        title: str = "Default Title",
        tracked: bool = True,
        location_id: str | None = None,
    ) -> VariantIds:
        with self.lock:
            if product_id is None:
                product_id = self.add_product(product_title or f"Product {sku}", tags=product_tags)
            product = self.require(product_id, "Product")
            now = self.now()
            variant_id = self.new_id("ProductVariant")
            item = self.put(
                {
                    "__typename": "InventoryItem",
                    "id": self.new_id("InventoryItem"),
                    "sku": sku,
                    "tracked": tracked,
                    "requiresShipping": True,
                    "createdAt": now,
                    "updatedAt": now,
                    "_variant": variant_id,
                }
            )
            self.put(
                {
                    "__typename": "ProductVariant",
                    "id": variant_id,
                    "sku": sku,
                    "title": title,
                    "price": price,
                    "inventoryPolicy": policy,
                    "position": len(product["_variants"]) + 1,
                    "taxable": True,
                    "barcode": None,
                    "createdAt": now,
                    "updatedAt": now,
                    "_product": product_id,
                    "_item": item["id"],
                }
            )
            product["_variants"].append(variant_id)
            self.set_quantity(item["id"], inventory_quantity, location_id=location_id)
            return VariantIds(product_id, variant_id, item["id"])

    def variant_by_sku(self, sku: str) -> dict[str, Any] | None:
        for variant in self.all("ProductVariant"):
            if variant["sku"] == sku:
                return variant
        return None

    def level(self, item_id: str, location_id: str) -> dict[str, Any] | None:
        return self.levels.get((item_id, location_id))

    def set_quantity(
        self,
        item_id: str,
        available: int,
        *,
        location_id: str | None = None,
        on_hand: int | None = None,
    ) -> None:
        """Stock an item at a location (the shop location by default)."""
        with self.lock:
            location_id = location_id or self.default_location
            level = self.levels.setdefault(
                (item_id, location_id),
                dict.fromkeys(QUANTITY_NAMES, 0) | {"_updatedAt": self.now()},
            )
            level["available"] = available
            level["on_hand"] = available + level["committed"] if on_hand is None else on_hand
            level["_updatedAt"] = self.now()

    # -- customers and orders -----------------------------------------------------------------

    def add_customer(
        self,
        first_name: str = "Ada",
        last_name: str = "Lovelace",
        email: str | None = "ada@example.com",
        *,
        tags: Iterable[str] = (),
    ) -> str:
        with self.lock:
            now = self.now()
            customer = self.put(
                {
                    "__typename": "Customer",
                    "id": self.new_id("Customer"),
                    "firstName": first_name,
                    "lastName": last_name,
                    "displayName": f"{first_name} {last_name}".strip(),
                    "email": email,
                    "phone": None,
                    "tags": normalise_tags([], tags),
                    "createdAt": now,
                    "updatedAt": now,
                }
            )
            return str(customer["id"])

    def add_order(
        self,
        lines: Sequence[Mapping[str, Any] | tuple[str, int] | str],
        *,
        name: str | None = None,
        customer: str | Mapping[str, Any] | None = None,
        shipping_address: Mapping[str, Any] | None = None,
        financial_status: str = "PAID",
        currency: str | None = None,
        tags: Iterable[str] = (),
        note: str | None = None,
        email: str | None = None,
        created_at: str | None = None,
        updated_at: str | None = None,
        custom_attributes: Mapping[str, str] | None = None,
        location_id: str | None = None,
    ) -> str:
        with self.lock:
            number = next(self._order_numbers)
            now = self.now()
            created = created_at or now
            order_id = self.new_id("Order")
            if isinstance(customer, str):
                customer_id: str | None = customer
            elif customer is None:
                customer_id = self.add_customer()
            else:
                customer_id = self.add_customer(**dict(customer))
            customer_obj = self.get(customer_id, "Customer") if customer_id else None
            address = dict(DEFAULT_ADDRESS) | dict(shipping_address or {})
            address.setdefault("name", f"{address['firstName']} {address['lastName']}".strip())
            address.update({"__typename": "MailingAddress", "id": self.new_id("MailingAddress")})
            order = self.put(
                {
                    "__typename": "Order",
                    "id": order_id,
                    "name": name or f"#{number}",
                    "number": number,
                    "createdAt": created,
                    "processedAt": created,
                    "updatedAt": updated_at or created,
                    "cancelledAt": None,
                    "cancelReason": None,
                    "closed": False,
                    "closedAt": None,
                    "confirmed": True,
                    "test": False,
                    "edited": False,
                    "displayFinancialStatus": financial_status,
                    "currencyCode": currency or self.shop["currencyCode"],
                    "presentmentCurrencyCode": currency or self.shop["currencyCode"],
                    "tags": normalise_tags([], tags),
                    "note": note,
                    "email": email or (customer_obj or {}).get("email"),
                    "phone": None,
                    "customAttributes": _attributes(custom_attributes),
                    "shippingAddress": address,
                    "billingAddress": dict(address, id=self.new_id("MailingAddress")),
                    "_customer": customer_id,
                    "_lines": [],
                    "_fulfillment_orders": [],
                    "_fulfillments": [],
                }
            )
            # One fulfillment order per location the lines are assigned to (a line's own
            # `location_id`, else the order's, else the shop location), as Shopify splits them.
            by_location: dict[str, list[str]] = {}
            for spec in lines:
                line_id = self._add_line(order, spec)["id"]
                order["_lines"].append(line_id)
                own = spec.get("location_id") if isinstance(spec, Mapping) else None
                where = own or location_id or self.default_location
                by_location.setdefault(where, []).append(line_id)
            for where, line_ids in by_location.items():
                self._open_fulfillment_order(order, line_ids, where)
            return order_id

    def _add_line(
        self, order: dict[str, Any], spec: Mapping[str, Any] | tuple[str, int] | str
    ) -> dict[str, Any]:
        if isinstance(spec, str):
            spec = {"sku": spec}
        elif isinstance(spec, tuple):
            spec = {"sku": spec[0], "quantity": spec[1]}
        sku = spec.get("sku")
        variant = self.get(spec.get("variant_id"), "ProductVariant") or (
            self.variant_by_sku(sku) if sku else None
        )
        product_id = spec.get("product_id") or (variant or {}).get("_product")
        product = self.get(product_id, "Product") if product_id else None
        title = spec.get("title") or (product or {}).get("title") or f"Item {sku}"
        variant_title = (variant or {}).get("title")
        quantity = int(spec.get("quantity", 1))
        price = str(spec.get("price") or (variant or {}).get("price") or "10.00")
        return self.put(
            {
                "__typename": "LineItem",
                "id": self.new_id("LineItem"),
                "sku": sku,
                "title": title,
                "name": spec.get("name")
                or (
                    f"{title} - {variant_title}"
                    if variant_title and variant_title != "Default Title"
                    else title
                ),
                "variantTitle": variant_title,
                "vendor": (product or {}).get("vendor"),
                "quantity": quantity,
                "currentQuantity": quantity,
                "customAttributes": _attributes(spec.get("custom_attributes")),
                "requiresShipping": bool(spec.get("requires_shipping", True)),
                "taxable": True,
                "isGiftCard": False,
                "_order": order["id"],
                "_variant": (variant or {}).get("id"),
                "_product": product_id,
                "_price": price,
            }
        )

    def _open_fulfillment_order(
        self, order: dict[str, Any], line_ids: list[str], location_id: str | None
    ) -> dict[str, Any]:
        now = self.now()
        fo = self.put(
            {
                "__typename": "FulfillmentOrder",
                "id": self.new_id("FulfillmentOrder"),
                "status": "OPEN",
                "requestStatus": "UNSUBMITTED",
                "createdAt": now,
                "updatedAt": now,
                "_order": order["id"],
                "_location": location_id or self.default_location,
                "_lines": [],
            }
        )
        for line_id in line_ids:
            line = self.objects[line_id]
            foli = self.put(
                {
                    "__typename": "FulfillmentOrderLineItem",
                    "id": self.new_id("FulfillmentOrderLineItem"),
                    "totalQuantity": line["currentQuantity"],
                    "remainingQuantity": line["currentQuantity"],
                    "_line": line_id,
                    "_fo": fo["id"],
                }
            )
            fo["_lines"].append(foli["id"])
        order["_fulfillment_orders"].append(fo["id"])
        return fo

    def fulfillment_order_lines(self, order_id: str, line_id: str) -> list[dict[str, Any]]:
        order = self.require(order_id, "Order")
        out = []
        for fo_id in order["_fulfillment_orders"]:
            for foli_id in self.objects[fo_id]["_lines"]:
                foli = self.objects[foli_id]
                if foli["_line"] == line_id:
                    out.append(foli)
        return out

    def fulfilled_quantity(self, line_id: str) -> int:
        line = self.objects[line_id]
        order = self.objects[line["_order"]]
        total = 0
        for fulfillment_id in order["_fulfillments"]:
            for entry in self.objects[fulfillment_id]["_lines"]:
                if entry["_line"] == line_id:
                    total += entry["quantity"]
        return total

    def display_fulfillment_status(self, order: dict[str, Any]) -> str:
        fulfilled = wanted = 0
        for line_id in order["_lines"]:
            wanted += self.objects[line_id]["currentQuantity"]
            fulfilled += min(
                self.fulfilled_quantity(line_id), self.objects[line_id]["currentQuantity"]
            )
        if wanted and fulfilled >= wanted:
            return "FULFILLED"
        if fulfilled:
            return "PARTIALLY_FULFILLED"
        waiting = [
            self.objects[fo]["status"]
            for fo in order["_fulfillment_orders"]
            if self.objects[fo]["status"] not in ("CLOSED", "CANCELLED")
        ]
        if waiting and all(status == "ON_HOLD" for status in waiting):
            return "ON_HOLD"  # all unfulfilled items are on hold
        return "UNFULFILLED"

    # -- changes a merchant or customer makes -------------------------------------------------

    def edit_line_quantity(self, order_id: str, line_id: str, quantity: int) -> None:
        with self.lock:
            order = self.require(order_id, "Order")
            line = self.require(line_id, "LineItem")
            if line["_order"] != order_id:
                raise KeyError(f"{line_id} is not a line of {order_id}")
            delta = quantity - line["currentQuantity"]
            line["currentQuantity"] = quantity
            for foli in self.fulfillment_order_lines(order_id, line_id):
                fo = self.objects[foli["_fo"]]
                if fo["status"] in ("CLOSED", "CANCELLED"):
                    continue
                foli["remainingQuantity"] = max(0, foli["remainingQuantity"] + delta)
                foli["totalQuantity"] = max(0, foli["totalQuantity"] + delta)
                delta = 0
                self._settle_fulfillment_order(fo)
            order["edited"] = True
            self.touch(order)

    def _settle_fulfillment_order(self, fo: dict[str, Any]) -> None:
        remaining = sum(self.objects[i]["remainingQuantity"] for i in fo["_lines"])
        fulfilled_any = any(
            self.objects[i]["remainingQuantity"] < self.objects[i]["totalQuantity"]
            for i in fo["_lines"]
        )
        if remaining == 0:
            fo["status"] = "CLOSED"
        elif fulfilled_any:
            fo["status"] = "IN_PROGRESS"
        fo["updatedAt"] = self.now()

    def hold_fulfillment(self, order_id: str, reason: str = "OTHER") -> None:
        """The merchant (or an app) holds the order's open fulfillment orders, as
        `fulfillmentOrderHold` does: they read ON_HOLD until the hold is released."""
        with self.lock:
            order = self.require(order_id, "Order")
            now = self.now()
            for fo_id in order["_fulfillment_orders"]:
                fo = self.objects[fo_id]
                if fo["status"] in ("OPEN", "IN_PROGRESS", "SCHEDULED"):
                    fo.update({"_held_from": fo["status"], "status": "ON_HOLD", "updatedAt": now})
                    fo["_hold_reason"] = reason
            self.touch(order)

    def release_fulfillment_hold(self, order_id: str) -> None:
        """The hold is released (`fulfillmentOrderReleaseHold`): each held fulfillment order
        returns to the status it had."""
        with self.lock:
            order = self.require(order_id, "Order")
            now = self.now()
            for fo_id in order["_fulfillment_orders"]:
                fo = self.objects[fo_id]
                if fo["status"] == "ON_HOLD":
                    fo.update({"status": fo.pop("_held_from", "OPEN"), "updatedAt": now})
                    fo.pop("_hold_reason", None)
            self.touch(order)

    def cancel_order(self, order_id: str, reason: str = "CUSTOMER") -> None:
        with self.lock:
            order = self.require(order_id, "Order")
            now = self.now()
            order.update(
                {"cancelledAt": now, "cancelReason": reason, "closed": True, "closedAt": now}
            )
            for fo_id in order["_fulfillment_orders"]:
                fo = self.objects[fo_id]
                if fo["status"] != "CLOSED":
                    fo["status"] = "CLOSED"
                    fo["updatedAt"] = now
            self.touch(order)

    def mark_paid(self, order_id: str) -> None:
        self.update_order(order_id, displayFinancialStatus="PAID")

    def update_order(self, order_id: str, **fields: Any) -> None:
        """Set GraphQL fields of an order (`note=`, `tags=`, `email=`...) and bump updatedAt."""
        with self.lock:
            order = self.require(order_id, "Order")
            if "tags" in fields:
                fields["tags"] = normalise_tags([], fields["tags"])
            order.update(fields)
            self.touch(order)

    # -- metafields and webhooks --------------------------------------------------------------

    def metafields_of(self, owner_id: str) -> list[dict[str, Any]]:
        return [m for m in self.all("Metafield") if m["_owner"] == owner_id]

    def find_metafield(self, owner_id: str, namespace: str, key: str) -> dict[str, Any] | None:
        for metafield in self.metafields_of(owner_id):
            if metafield["namespace"] == namespace and metafield["key"] == key:
                return metafield
        return None

    def set_metafield(
        self, owner_id: str, namespace: str, key: str, value: str, type_: str
    ) -> dict[str, Any]:
        with self.lock:
            now = self.now()
            metafield = self.find_metafield(owner_id, namespace, key)
            if metafield is None:
                owner = self.objects[owner_id]
                metafield = self.put(
                    {
                        "__typename": "Metafield",
                        "id": self.new_id("Metafield"),
                        "namespace": namespace,
                        "key": key,
                        "createdAt": now,
                        "ownerType": owner["__typename"].upper(),
                        "_owner": owner_id,
                    }
                )
            metafield.update({"value": value, "type": type_, "updatedAt": now})
            metafield["compareDigest"] = hashlib.sha256(
                f"{metafield['id']}:{value}:{now}".encode()
            ).hexdigest()
            return metafield

    def add_webhook_subscription(self, topic: str, uri: str, *, format_: str = "JSON") -> str:
        with self.lock:
            now = self.now()
            subscription = self.put(
                {
                    "__typename": "WebhookSubscription",
                    "id": self.new_id("WebhookSubscription"),
                    "topic": topic,
                    "uri": uri,
                    "format": format_,
                    "includeFields": [],
                    "metafieldNamespaces": [],
                    "filter": "",
                    "name": None,
                    "createdAt": now,
                    "updatedAt": now,
                }
            )
            return str(subscription["id"])

    def remove(self, object_id: str) -> None:
        obj = self.objects.pop(object_id)
        self.by_type[obj["__typename"]].pop(object_id, None)

    def snapshot(self, object_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.objects[object_id])


def _attributes(value: Any) -> list[dict[str, Any]]:
    if not value:
        return []
    if isinstance(value, Mapping):
        return [{"key": str(k), "value": None if v is None else str(v)} for k, v in value.items()]
    out = []
    for item in value:
        if isinstance(item, Mapping):
            out.append({"key": str(item["key"]), "value": item.get("value")})
        else:
            key, val = item
            out.append({"key": str(key), "value": val})
    return out
