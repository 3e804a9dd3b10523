"""Resolvers of the read side: links between objects, derived fields, the query root.

Each function is registered for `(type, field)` with `@resolver`; `resolve_field` (in
resolvers.py) falls back to the source dict for every field not listed here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tandem_shopify_standin.resolvers import (
    RESOLVERS,
    Context,
    Info,
    Resolver,
    check_id,
    connection,
    money,
    resolver,
    searched,
    top_level_error,
)
from tandem_shopify_standin.store import gid_number


def _id_number(record: dict[str, Any]) -> int:
    return gid_number(record["id"])


def _sorter(field_name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda record: record.get(field_name)


def _link(key: str, typename: str | None = None) -> Resolver:
    def resolve(ctx: Context, source: Any, _args: dict[str, Any], _info: Info) -> Any:
        return ctx.store.get(source.get(key), typename) if isinstance(source, dict) else None

    return resolve


def _linked_connection(key: str) -> Resolver:
    def resolve(ctx: Context, source: dict[str, Any], args: dict[str, Any], info: Info) -> Any:
        items = [ctx.store.objects[i] for i in source.get(key, []) if i in ctx.store.objects]
        return connection(info, items, args)

    return resolve


# -- orders -----------------------------------------------------------------------------------

for _type, _field, _key, _typename in (
    ("Order", "customer", "_customer", "Customer"),
    ("LineItem", "variant", "_variant", "ProductVariant"),
    ("LineItem", "product", "_product", "Product"),
    ("FulfillmentOrder", "order", "_order", "Order"),
    ("FulfillmentOrderLineItem", "lineItem", "_line", "LineItem"),
    ("FulfillmentLineItem", "lineItem", "_line", "LineItem"),
    ("Fulfillment", "order", "_order", "Order"),
    ("Fulfillment", "location", "_location", "Location"),
    ("ProductVariant", "product", "_product", "Product"),
    ("ProductVariant", "inventoryItem", "_item", "InventoryItem"),
    ("InventoryItem", "variant", "_variant", "ProductVariant"),
    ("InventoryLevel", "location", "_location", "Location"),
    ("InventoryLevel", "item", "_item", "InventoryItem"),
    ("Metafield", "owner", "_owner", None),
):
    RESOLVERS[(_type, _field)] = _link(_key, _typename)

RESOLVERS[("Order", "lineItems")] = _linked_connection("_lines")
RESOLVERS[("Order", "fulfillmentOrders")] = _linked_connection("_fulfillment_orders")
RESOLVERS[("FulfillmentOrder", "lineItems")] = _linked_connection("_lines")
RESOLVERS[("Product", "variants")] = _linked_connection("_variants")


def _line_total(ctx: Context, order: dict[str, Any], current: bool) -> Decimal:
    total = Decimal(0)
    for line_id in order["_lines"]:
        line = ctx.store.objects[line_id]
        total += Decimal(line["_price"]) * line["currentQuantity" if current else "quantity"]
    return total


@resolver(
    "Order",
    "totalPriceSet",
    "subtotalPriceSet",
    "currentTotalPriceSet",
    "currentSubtotalPriceSet",
    "originalTotalPriceSet",
    "totalOutstandingSet",
    "totalReceivedSet",
    "netPaymentSet",
)
def _order_money(ctx: Context, order: dict[str, Any], _args: dict[str, Any], info: Info) -> Any:
    name = info.field_name
    total = _line_total(ctx, order, current=name.startswith("current"))
    paid = order["displayFinancialStatus"] in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED")
    if name == "totalOutstandingSet":
        total = Decimal(0) if paid else total
    elif name in ("totalReceivedSet", "netPaymentSet"):
        total = total if paid else Decimal(0)
    return money(total, order["currencyCode"])


@resolver("Order", "displayFulfillmentStatus")
def _order_fulfillment_status(ctx: Context, order: dict[str, Any], *_: Any) -> Any:
    return ctx.store.display_fulfillment_status(order)


@resolver("Order", "fulfillments")
def _order_fulfillments(
    ctx: Context, order: dict[str, Any], args: dict[str, Any], _info: Any
) -> Any:
    items = [ctx.store.objects[i] for i in order["_fulfillments"]]
    return items[: args["first"]] if args.get("first") is not None else items


@resolver("Order", "subtotalLineItemsQuantity", "currentSubtotalLineItemsQuantity")
def _order_quantity(ctx: Context, order: dict[str, Any], _args: dict[str, Any], info: Info) -> Any:
    key = "currentQuantity" if info.field_name.startswith("current") else "quantity"
    return sum(ctx.store.objects[i][key] for i in order["_lines"])


@resolver("Order", "requiresShipping", "statusPageUrl")
def _order_misc(ctx: Context, order: dict[str, Any], _args: dict[str, Any], info: Info) -> Any:
    if info.field_name == "requiresShipping":
        return any(ctx.store.objects[i]["requiresShipping"] for i in order["_lines"])
    return f"https://{ctx.store.shop['myshopifyDomain']}/orders/{gid_number(order['id'])}/status"


@resolver("Order", "fullyPaid", "unpaid", "canMarkAsPaid", "fulfillable", "displayAddress")
def _order_flags(ctx: Context, order: dict[str, Any], _args: dict[str, Any], info: Info) -> Any:
    paid = order["displayFinancialStatus"] == "PAID"
    name = info.field_name
    if name == "displayAddress":
        return order.get("shippingAddress")
    if name == "fulfillable":
        return order["cancelledAt"] is None and any(
            ctx.store.objects[foli]["remainingQuantity"] > 0
            for fo in order["_fulfillment_orders"]
            if ctx.store.objects[fo]["status"] in ("OPEN", "IN_PROGRESS")
            for foli in ctx.store.objects[fo]["_lines"]
        )
    return paid if name == "fullyPaid" else not paid


@resolver(
    "LineItem",
    "originalUnitPriceSet",
    "discountedUnitPriceSet",
    "originalTotalSet",
    "discountedTotalSet",
)
def _line_money(ctx: Context, line: dict[str, Any], _args: dict[str, Any], info: Info) -> Any:
    order = ctx.store.objects[line["_order"]]
    price = Decimal(line["_price"])
    if "Total" in info.field_name:
        price *= (
            line["currentQuantity"]
            if info.field_name.startswith("discounted")
            else line["quantity"]
        )
    return money(price, order["currencyCode"])


@resolver(
    "LineItem",
    "unfulfilledQuantity",
    "fulfillableQuantity",
    "refundableQuantity",
    "nonFulfillableQuantity",
)
def _line_quantities(ctx: Context, line: dict[str, Any], _args: dict[str, Any], info: Info) -> Any:
    if info.field_name == "refundableQuantity":
        return line["currentQuantity"]
    if info.field_name == "nonFulfillableQuantity":
        return line["quantity"] - line["currentQuantity"]
    # Units on hold or scheduled are unfulfilled all the same; they are not fulfillable now.
    counted: tuple[str, ...] = ("OPEN", "IN_PROGRESS")
    if info.field_name == "unfulfilledQuantity":
        counted += ("ON_HOLD", "SCHEDULED")
    remaining = 0
    for foli in ctx.store.fulfillment_order_lines(line["_order"], line["id"]):
        if ctx.store.objects[foli["_fo"]]["status"] in counted:
            remaining += foli["remainingQuantity"]
    return remaining


@resolver("FulfillmentOrder", "orderId", "orderName", "orderProcessedAt")
def _fo_order_fields(ctx: Context, fo: dict[str, Any], _args: dict[str, Any], info: Info) -> Any:
    order = ctx.store.objects[fo["_order"]]
    return {
        "orderId": order["id"],
        "orderName": order["name"],
        "orderProcessedAt": order["processedAt"],
    }[info.field_name]


@resolver("FulfillmentOrder", "assignedLocation")
def _fo_location(ctx: Context, fo: dict[str, Any], *_: Any) -> Any:
    location = ctx.store.objects[fo["_location"]]
    return {
        "__typename": "FulfillmentOrderAssignedLocation",
        "name": location["name"],
        "location": location,
    }


@resolver("FulfillmentOrder", "destination")
def _fo_destination(ctx: Context, fo: dict[str, Any], *_: Any) -> Any:
    order = ctx.store.objects[fo["_order"]]
    address = order.get("shippingAddress") or {}
    return {
        **address,
        "__typename": "FulfillmentOrderDestination",
        "id": f"gid://shopify/FulfillmentOrderDestination/{gid_number(fo['id'])}",
        "countryCode": address.get("countryCodeV2"),
        "email": order.get("email"),
    }


@resolver("FulfillmentOrder", "fulfillments")
def _fo_fulfillments(ctx: Context, fo: dict[str, Any], args: dict[str, Any], info: Info) -> Any:
    items = [f for f in ctx.store.all("Fulfillment") if fo["id"] in f["_fulfillment_orders"]]
    return connection(info, items, args)


@resolver(
    "FulfillmentOrderLineItem",
    "sku",
    "variant",
    "inventoryItemId",
    "productTitle",
    "variantTitle",
    "vendor",
    "requiresShipping",
)
def _foli_fields(ctx: Context, foli: dict[str, Any], _args: dict[str, Any], info: Info) -> Any:
    line = ctx.store.objects[foli["_line"]]
    variant = ctx.store.get(line.get("_variant"), "ProductVariant")
    name = info.field_name
    if name == "variant":
        return variant
    if name == "inventoryItemId":
        return variant["_item"] if variant else None
    if name == "productTitle":
        return line["title"]
    return line.get(name)


@resolver("Fulfillment", "trackingInfo")
def _tracking(_ctx: Context, fulfillment: dict[str, Any], args: dict[str, Any], _info: Any) -> Any:
    items = fulfillment["_tracking"]
    return items[: args["first"]] if args.get("first") is not None else items


@resolver("Fulfillment", "fulfillmentLineItems")
def _fulfillment_lines(
    _ctx: Context, fulfillment: dict[str, Any], args: dict[str, Any], info: Info
) -> Any:
    return connection(info, fulfillment["_lines"], args)


@resolver("Fulfillment", "fulfillmentOrders")
def _fulfillment_fos(
    ctx: Context, fulfillment: dict[str, Any], args: dict[str, Any], info: Info
) -> Any:
    return connection(
        info, [ctx.store.objects[i] for i in fulfillment["_fulfillment_orders"]], args
    )


@resolver("Fulfillment", "totalQuantity")
def _fulfillment_quantity(_ctx: Context, fulfillment: dict[str, Any], *_: Any) -> Any:
    return sum(entry["quantity"] for entry in fulfillment["_lines"])


# -- products and inventory -------------------------------------------------------------------


def _available(ctx: Context, item_id: str) -> int:
    return sum(
        level["available"] for (item, _loc), level in ctx.store.levels.items() if item == item_id
    )


def inventory_level(ctx: Context, item_id: str, location_id: str) -> dict[str, Any] | None:
    level = ctx.store.level(item_id, location_id)
    if level is None:
        return None
    return {
        "__typename": "InventoryLevel",
        "id": f"gid://shopify/InventoryLevel/{gid_number(location_id)}?inventory_item_id={gid_number(item_id)}",
        "isActive": True,
        "canDeactivate": True,
        "updatedAt": level["_updatedAt"],
        "createdAt": level["_updatedAt"],
        "_item": item_id,
        "_location": location_id,
    }


@resolver("ProductVariant", "inventoryQuantity", "sellableOnlineQuantity")
def _variant_quantity(ctx: Context, variant: dict[str, Any], *_: Any) -> Any:
    return _available(ctx, variant["_item"])


@resolver("ProductVariant", "displayName", "availableForSale")
def _variant_derived(
    ctx: Context, variant: dict[str, Any], _args: dict[str, Any], info: Info
) -> Any:
    product = ctx.store.objects[variant["_product"]]
    if info.field_name == "displayName":
        return f"{product['title']} - {variant['title']}"
    item = ctx.store.objects[variant["_item"]]
    return (
        not item["tracked"]
        or variant["inventoryPolicy"] == "CONTINUE"
        or _available(ctx, item["id"]) > 0
    )


@resolver("Product", "totalInventory", "tracksInventory", "hasOnlyDefaultVariant")
def _product_derived(
    ctx: Context, product: dict[str, Any], _args: dict[str, Any], info: Info
) -> Any:
    variants = [ctx.store.objects[v] for v in product["_variants"]]
    if info.field_name == "hasOnlyDefaultVariant":
        return len(variants) == 1 and variants[0]["title"] == "Default Title"
    if info.field_name == "tracksInventory":
        return any(ctx.store.objects[v["_item"]]["tracked"] for v in variants)
    return sum(_available(ctx, v["_item"]) for v in variants)


@resolver("InventoryItem", "variants")
def _item_variants(ctx: Context, item: dict[str, Any], args: dict[str, Any], info: Info) -> Any:
    return connection(info, [ctx.store.objects[item["_variant"]]], args)


@resolver("InventoryItem", "inventoryLevel")
def _item_level(ctx: Context, item: dict[str, Any], args: dict[str, Any], info: Info) -> Any:
    check_id(info, args["locationId"])
    return inventory_level(ctx, item["id"], args["locationId"])


@resolver("InventoryItem", "inventoryLevels")
def _item_levels(ctx: Context, item: dict[str, Any], args: dict[str, Any], info: Info) -> Any:
    levels = [inventory_level(ctx, i, loc) for (i, loc) in ctx.store.levels if i == item["id"]]
    return connection(
        info, [lvl for lvl in levels if lvl], args, lambda lvl: gid_number(lvl["_location"])
    )


@resolver("Location", "inventoryLevel")
def _location_level(
    ctx: Context, location: dict[str, Any], args: dict[str, Any], info: Info
) -> Any:
    check_id(info, args["inventoryItemId"])
    return inventory_level(ctx, args["inventoryItemId"], location["id"])


@resolver("Location", "inventoryLevels")
def _location_levels(
    ctx: Context, location: dict[str, Any], args: dict[str, Any], info: Info
) -> Any:
    levels = [
        inventory_level(ctx, i, loc) for (i, loc) in ctx.store.levels if loc == location["id"]
    ]
    return connection(
        info, [lvl for lvl in levels if lvl], args, lambda lvl: gid_number(lvl["_item"])
    )


@resolver("InventoryLevel", "quantities")
def _quantities(ctx: Context, level: dict[str, Any], args: dict[str, Any], info: Info) -> Any:
    stored = ctx.store.level(level["_item"], level["_location"]) or {}
    out = []
    for name in args["names"]:
        if name not in stored or name.startswith("_"):
            raise top_level_error(info, f"Invalid quantity name: {name}", "BAD_REQUEST")
        out.append(
            {
                "__typename": "InventoryQuantity",
                "id": f"gid://shopify/InventoryQuantity/{gid_number(level['_location'])}"
                f"?inventory_item_id={gid_number(level['_item'])}&name={name}",
                "name": name,
                "quantity": stored[name],
                "updatedAt": stored["_updatedAt"] if name == "available" else None,
            }
        )
    return out


# -- customers, metafields, webhooks, shop ----------------------------------------------------


@resolver("Customer", "defaultEmailAddress")
def _customer_email(_ctx: Context, customer: dict[str, Any], *_: Any) -> Any:
    email = customer.get("email")
    return {"__typename": "CustomerEmailAddress", "emailAddress": email} if email else None


@resolver("Metafield", "jsonValue")
def _json_value(_ctx: Context, metafield: dict[str, Any], *_: Any) -> Any:
    kind = metafield.get("type", "")
    if (
        kind == "json"
        or kind.startswith("list.")
        or kind in ("number_integer", "number_decimal", "boolean")
    ):
        try:
            return json.loads(metafield["value"])
        except ValueError:
            return metafield["value"]
    return metafield["value"]


@resolver("WebhookSubscription", "callbackUrl", "endpoint", "apiVersion")
def _webhook_fields(
    ctx: Context, subscription: dict[str, Any], _args: dict[str, Any], info: Info
) -> Any:
    if info.field_name == "callbackUrl":
        return subscription["uri"]
    if info.field_name == "endpoint":
        return {"__typename": "WebhookHttpEndpoint", "callbackUrl": subscription["uri"]}
    return {
        "__typename": "ApiVersion",
        "handle": ctx.api_version,
        "displayName": ctx.api_version,
        "supported": True,
    }


@resolver("Shop", "url", "primaryDomain")
def _shop_url(ctx: Context, shop: dict[str, Any], _args: dict[str, Any], info: Info) -> Any:
    url = f"https://{shop['myshopifyDomain']}"
    if info.field_name == "url":
        return url
    return {
        "__typename": "Domain",
        "id": "gid://shopify/Domain/1",
        "host": shop["myshopifyDomain"],
        "url": url,
    }


# -- query root -------------------------------------------------------------------------------


def _by_id(typename: str | None) -> Resolver:
    def resolve(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
        check_id(info, args.get("id"))
        return ctx.store.get(args.get("id"), typename)

    return resolve


for _field, _typename in (
    ("order", "Order"),
    ("customer", "Customer"),
    ("product", "Product"),
    ("productVariant", "ProductVariant"),
    ("inventoryItem", "InventoryItem"),
    ("fulfillmentOrder", "FulfillmentOrder"),
    ("fulfillment", "Fulfillment"),
    ("webhookSubscription", "WebhookSubscription"),
    ("node", None),
):
    RESOLVERS[("QueryRoot", _field)] = _by_id(_typename)


@resolver("QueryRoot", "shop")
def _shop(ctx: Context, *_: Any) -> Any:
    return ctx.store.shop


@resolver("QueryRoot", "location")
def _location(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    check_id(info, args.get("id"))
    return ctx.store.get(args.get("id") or ctx.store.default_location, "Location")


@resolver("QueryRoot", "nodes")
def _nodes(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    for value in args["ids"]:
        check_id(info, value)
    return [ctx.store.get(value) for value in args["ids"]]


def order_status(order: dict[str, Any]) -> list[str]:
    out = ["any"]
    if order["cancelledAt"]:
        out.append("cancelled")
    out.append("closed" if order["closed"] else "open")
    return out


def _order_fields(ctx: Context) -> dict[str, tuple[Callable[[dict[str, Any]], Any], str]]:
    store = ctx.store

    def skus(order: dict[str, Any]) -> list[str]:
        return [store.objects[i]["sku"] for i in order["_lines"] if store.objects[i]["sku"]]

    def fulfillment(order: dict[str, Any]) -> list[str]:
        status = store.display_fulfillment_status(order)
        return {
            "FULFILLED": ["shipped", "fulfilled"],
            "PARTIALLY_FULFILLED": ["partial", "unshipped", "unfulfilled"],
        }.get(status, ["unshipped", "unfulfilled"])

    return {
        "updated_at": (_sorter("updatedAt"), "time"),
        "created_at": (_sorter("createdAt"), "time"),
        "processed_at": (_sorter("processedAt"), "time"),
        "status": (order_status, "list"),
        "financial_status": (lambda o: [str(o["displayFinancialStatus"] or "").lower()], "list"),
        "fulfillment_status": (fulfillment, "list"),
        "tag": (_sorter("tags"), "list"),
        "name": (lambda o: [o["name"], o["name"].lstrip("#")], "list"),
        "id": (_id_number, "number"),
        "sku": (skus, "list"),
        "email": (_sorter("email"), "text"),
        "customer_id": (lambda o: gid_number(o["_customer"] or ""), "number"),
    }


ORDER_SORT = {
    "CREATED_AT": "createdAt",
    "UPDATED_AT": "updatedAt",
    "PROCESSED_AT": "processedAt",
    "ORDER_NUMBER": "number",
}


@resolver("QueryRoot", "orders")
def _orders(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    items = searched(
        ctx,
        info,
        ctx.store.all("Order"),
        args.get("query"),
        _order_fields(ctx),
        lambda o: [o["name"], o["name"].lstrip("#"), o.get("email") or "", *o["tags"]],
    )
    sort_key = args.get("sortKey") or "ID"
    field_name = ORDER_SORT.get(sort_key)
    return connection(info, items, args, _sorter(field_name) if field_name else None)


@resolver("QueryRoot", "ordersCount")
def _orders_count(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    items = searched(ctx, info, ctx.store.all("Order"), args.get("query"), _order_fields(ctx))
    return {"__typename": "Count", "count": len(items), "precision": "EXACT"}


def _variant_fields(ctx: Context) -> dict[str, tuple[Callable[[dict[str, Any]], Any], str]]:
    return {
        "sku": (_sorter("sku"), "text"),
        "id": (_id_number, "number"),
        "product_id": (lambda v: gid_number(v["_product"]), "number"),
        "title": (_sorter("title"), "text"),
        "barcode": (_sorter("barcode"), "text"),
        "updated_at": (_sorter("updatedAt"), "time"),
        "created_at": (_sorter("createdAt"), "time"),
        "inventory_quantity": (lambda v: _available(ctx, v["_item"]), "number"),
    }


@resolver("QueryRoot", "productVariants")
def _product_variants(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    items = searched(
        ctx,
        info,
        ctx.store.all("ProductVariant"),
        args.get("query"),
        _variant_fields(ctx),
        lambda v: [v["sku"] or "", v["title"]],
    )
    sort = {"SKU": "sku", "TITLE": "title", "POSITION": "position"}.get(args.get("sortKey") or "ID")
    return connection(info, items, args, _sorter(sort) if sort else None)


@resolver("QueryRoot", "inventoryItems")
def _inventory_items(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    fields = {
        "sku": (_sorter("sku"), "text"),
        "id": (_id_number, "number"),
        "created_at": (_sorter("createdAt"), "time"),
        "updated_at": (_sorter("updatedAt"), "time"),
    }
    items = searched(
        ctx,
        info,
        ctx.store.all("InventoryItem"),
        args.get("query"),
        fields,
        lambda i: [i["sku"] or ""],
    )
    return connection(info, items, args)


@resolver("QueryRoot", "products")
def _products(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    store = ctx.store
    fields = {
        "title": (_sorter("title"), "text"),
        "tag": (_sorter("tags"), "list"),
        "vendor": (_sorter("vendor"), "text"),
        "status": (lambda p: p["status"].lower(), "text"),
        "id": (_id_number, "number"),
        "sku": (lambda p: [store.objects[v]["sku"] for v in p["_variants"]], "list"),
        "updated_at": (_sorter("updatedAt"), "time"),
        "created_at": (_sorter("createdAt"), "time"),
    }
    items = searched(
        ctx,
        info,
        store.all("Product"),
        args.get("query"),
        fields,
        lambda p: [p["title"], *p["tags"]],
    )
    sort = {"TITLE": "title", "UPDATED_AT": "updatedAt", "CREATED_AT": "createdAt"}.get(
        args.get("sortKey") or "ID"
    )
    return connection(info, items, args, _sorter(sort) if sort else None)


@resolver("QueryRoot", "locations")
def _locations(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    items = ctx.store.all("Location")
    if not args.get("includeInactive"):
        items = [i for i in items if i["isActive"]]
    fields = {"name": (_sorter("name"), "text"), "id": (_id_number, "number")}
    items = searched(ctx, info, items, args.get("query"), fields, lambda loc: [loc["name"]])
    sort = "name" if args.get("sortKey") == "NAME" else None
    return connection(info, items, args, _sorter(sort) if sort else None)


@resolver("QueryRoot", "fulfillmentOrders")
def _fulfillment_orders(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    items = ctx.store.all("FulfillmentOrder")
    if not args.get("includeClosed"):
        items = [i for i in items if i["status"] not in ("CLOSED", "CANCELLED")]
    fields = {"status": (lambda fo: fo["status"].lower(), "text"), "id": (_id_number, "number")}
    return connection(info, searched(ctx, info, items, args.get("query"), fields), args)


@resolver("QueryRoot", "webhookSubscriptions")
def _webhooks(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    items = ctx.store.all("WebhookSubscription")
    if args.get("topics"):
        items = [i for i in items if i["topic"] in args["topics"]]
    wanted_uri = args.get("uri") or args.get("callbackUrl")
    if wanted_uri:
        items = [i for i in items if i["uri"] == wanted_uri]
    fields = {"topic": (_sorter("topic"), "text"), "id": (_id_number, "number")}
    items = searched(ctx, info, items, args.get("query"), fields)
    sort = {"CREATED_AT": "createdAt"}.get(args.get("sortKey") or "ID")
    return connection(info, items, args, _sorter(sort) if sort else None)


@resolver("QueryRoot", "webhookSubscriptionsCount")
def _webhooks_count(ctx: Context, *_: Any) -> Any:
    return {
        "__typename": "Count",
        "count": len(ctx.store.all("WebhookSubscription")),
        "precision": "EXACT",
    }
