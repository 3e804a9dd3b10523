"""Mutation resolvers: Shopify's payload shapes and userErrors, applied to the store.

Messages marked "recorded" are copied from `shared/shopify/recorded/`; the others are the
stand-in's best guess and say so in a comment.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from graphql import VariableNode
from graphql.execution.values import get_directive_values

from tandem_shopify_standin.resolvers import Context, Info, resolver, top_level_error
from tandem_shopify_standin.store import Store, gid_parts, normalise_tags, split_tags

TAGGABLE = ("Order", "Product", "Customer")
RESERVED_NAMESPACES = ("shopify_standard", "protected", "shopify-l10n-fields")
INVENTORY_REASONS = (
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_canceled",
    "movement_created",
    "movement_received",
    "movement_updated",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
)
MAX_INVENTORY_QUANTITY = 1_000_000_000


def _invalid_id(info: Info) -> Exception:
    return top_level_error(info, "invalid id", "RESOURCE_NOT_FOUND")  # recorded


def _user_error(
    field: list[str] | None, message: str, code: str | None = None, **extra: Any
) -> dict[str, Any]:
    error: dict[str, Any] = {"field": field, "message": message}
    if code is not None:
        error["code"] = code
    return error | extra


# -- tags -------------------------------------------------------------------------------------


def _taggable(ctx: Context, info: Info, object_id: str) -> dict[str, Any] | None:
    parts = gid_parts(object_id)
    if parts is None or parts[0] not in TAGGABLE or parts[1] == 0:
        raise _invalid_id(info)
    return ctx.store.get(object_id, parts[0])


def _no_such_taggable(object_id: str) -> dict[str, Any]:
    kind = gid_parts(object_id)[0]  # type: ignore[index]
    return {"node": None, "userErrors": [_user_error(["id"], f"{kind} does not exist")]}  # guess


@resolver("Mutation", "tagsAdd")
def tags_add(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    with ctx.store.lock:
        target = _taggable(ctx, info, args["id"])
        if target is None:
            return _no_such_taggable(args["id"])
        tags = normalise_tags(target["tags"], args["tags"])
        if tags != target["tags"]:
            target["tags"] = tags
            ctx.store.touch(target)
        return {"node": target, "userErrors": []}


@resolver("Mutation", "tagsRemove")
def tags_remove(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    with ctx.store.lock:
        target = _taggable(ctx, info, args["id"])
        if target is None:
            return _no_such_taggable(args["id"])
        removed = set(split_tags(args["tags"]))  # case-sensitive, as recorded
        tags = [t for t in target["tags"] if t not in removed]
        if tags != target["tags"]:
            target["tags"] = tags
            ctx.store.touch(target)
        return {"node": target, "userErrors": []}


# -- metafields -------------------------------------------------------------------------------


def _metafield_value_error(type_: str, value: str) -> str | None:
    if type_ == "json":
        try:
            json.loads(value)
        except json.JSONDecodeError as exc:
            return f"Value is invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
    elif type_ == "number_integer":
        try:
            int(value)
        except ValueError:
            return "Value must be an integer."  # recorded
    elif type_ == "boolean":
        if value not in ("true", "false"):
            return "Value must be true or false."  # recorded
    elif type_ in ("single_line_text_field", "multi_line_text_field"):
        if not value.strip():
            return "Value can't be blank."  # recorded
        if type_ == "single_line_text_field" and "\n" in value:
            return "Value must be a single line text string."  # recorded
    return None


@resolver("Mutation", "metafieldsSet")
def metafields_set(ctx: Context, _root: Any, args: dict[str, Any], _info: Info) -> Any:
    entries = args["metafields"]
    if len(entries) > 25:
        return {
            "metafields": None,
            "userErrors": [
                _user_error(
                    ["metafields"],
                    "Exceeded the maximum metafields input limit of 25.",
                    "LESS_THAN_OR_EQUAL_TO",
                    elementIndex=None,
                )
            ],
        }
    store = ctx.store
    errors: list[dict[str, Any]] = []
    resolved: list[tuple[str, str, str, str, str]] = []
    with store.lock:
        for index, entry in enumerate(entries):
            where = ["metafields", str(index)]

            def fail(field: str, message: str, code: str | None, where: list[str] = where) -> None:
                errors.append(_user_error([*where, field], message, code, elementIndex=None))

            owner_id = entry["ownerId"]
            if store.get(owner_id) is None:
                fail("ownerId", "Owner does not exist.", "INVALID")  # guess
                continue
            namespace = entry.get("namespace") or "$app"
            key = entry["key"]
            if len(namespace) < 3:
                fail("namespace", "Namespace is too short (minimum is 3 characters)", "TOO_SHORT")
            elif len(namespace) > 255:
                fail("namespace", "Namespace is too long (maximum is 255 characters)", "TOO_LONG")
            elif namespace in RESERVED_NAMESPACES:
                fail("namespace", f"Namespace {namespace} is a reserved namespace", None)
            if len(key) < 2:
                fail("key", "Key is too short (minimum is 2 characters)", "TOO_SHORT")
            elif len(key) > 64:
                fail("key", "Key is too long (maximum is 64 characters)", "TOO_LONG")
            existing = store.find_metafield(owner_id, namespace, key)
            type_ = entry.get("type") or (existing or {}).get("type")
            if not type_:
                fail("type", "Type can't be blank", "BLANK")  # guess
                continue
            digest = entry.get("compareDigest")
            if digest is not None and (existing or {}).get("compareDigest") != digest:
                fail(
                    "compareDigest",
                    "The resource has been updated since it was loaded. Try again with an"
                    " updated `compareDigest` value.",  # guess
                    "STALE_OBJECT",
                )
            problem = _metafield_value_error(type_, entry["value"])
            if problem:
                fail("value", problem, "INVALID_VALUE")
            resolved.append((owner_id, namespace, key, entry["value"], type_))
        if errors:
            return {"metafields": [], "userErrors": errors}  # recorded: nothing is written
        written = [store.set_metafield(*args_) for args_ in resolved]
    return {"metafields": written, "userErrors": []}


@resolver("Mutation", "metafieldsDelete")
def metafields_delete(ctx: Context, _root: Any, args: dict[str, Any], _info: Info) -> Any:
    deleted: list[dict[str, Any] | None] = []
    with ctx.store.lock:
        for entry in args["metafields"]:
            found = ctx.store.find_metafield(entry["ownerId"], entry["namespace"], entry["key"])
            if found is None:
                deleted.append(None)
                continue
            ctx.store.remove(found["id"])
            deleted.append(
                {"ownerId": entry["ownerId"], "namespace": entry["namespace"], "key": entry["key"]}
            )
    return {"deletedMetafields": deleted, "userErrors": []}


# -- fulfillment ------------------------------------------------------------------------------


def _tracking(info: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not info:
        return []
    numbers = list(info.get("numbers") or []) or ([info["number"]] if info.get("number") else [])
    urls = list(info.get("urls") or []) or ([info["url"]] if info.get("url") else [])
    company = info.get("company")
    if not numbers and (urls or company):
        numbers = [None]
    return [
        {
            "__typename": "FulfillmentTrackingInfo",
            "number": number,
            "url": urls[i] if i < len(urls) else None,
            "company": company,
        }
        for i, number in enumerate(numbers)
    ]


@resolver("Mutation", "fulfillmentCreate")
def fulfillment_create(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    store = ctx.store
    spec = args["fulfillment"]

    def failed(*errors: dict[str, Any]) -> dict[str, Any]:
        return {"fulfillment": None, "userErrors": list(errors)}

    with store.lock:
        wanted: dict[str, int] = {}
        fulfillment_orders: list[dict[str, Any]] = []
        for group_index, group in enumerate(spec["lineItemsByFulfillmentOrder"]):
            parts = gid_parts(group["fulfillmentOrderId"])
            if parts is None or parts[0] != "FulfillmentOrder" or parts[1] == 0:
                raise _invalid_id(info)
            fo = store.get(group["fulfillmentOrderId"], "FulfillmentOrder")
            if fo is None:
                return failed(
                    _user_error(["fulfillment"], "Fulfillment order does not exist.")
                )  # recorded
            if fo["status"] not in ("OPEN", "IN_PROGRESS"):
                status = fo["status"].lower()
                message = f"Fulfillment order {parts[1]} has an unfulfillable status= {status}."
                return failed(_user_error(["fulfillment"], message))  # recorded
            fulfillment_orders.append(fo)
            requested = group.get("fulfillmentOrderLineItems")
            if requested is None:
                for foli_id in fo["_lines"]:
                    remaining = store.objects[foli_id]["remainingQuantity"]
                    if remaining > 0:
                        wanted[foli_id] = wanted.get(foli_id, 0) + remaining
                continue
            for line_index, entry in enumerate(requested):
                if entry["quantity"] <= 0:
                    path = [
                        "fulfillment",
                        "lineItemsByFulfillmentOrder",
                        str(group_index),
                        "fulfillmentOrderLineItems",
                        str(line_index),
                        "quantity",
                    ]
                    return failed(_user_error(path, "Quantity must be greater than 0"))  # recorded
                foli = store.get(entry["id"], "FulfillmentOrderLineItem")
                if foli is None or foli["_fo"] != fo["id"]:
                    # guess: Shopify's message for a line item of another fulfillment order
                    return failed(
                        _user_error(
                            ["fulfillment"],
                            "Invalid fulfillment order line item quantity requested.",
                        )
                    )
                wanted[foli["id"]] = wanted.get(foli["id"], 0) + entry["quantity"]
        if len({fo["_order"] for fo in fulfillment_orders}) > 1:
            return failed(
                _user_error(
                    ["fulfillment"], "All fulfillment orders must belong to the same order."
                )  # guess
            )
        locations = list(dict.fromkeys(fo["_location"] for fo in fulfillment_orders))
        if len(locations) > 1:
            # Shopify's message, as merchants quote it (the Shopify developer community); the
            # field as for its other fulfillmentCreate preconditions (recorded).
            numbers = ", ".join(str(gid_parts(loc)[1]) for loc in locations)  # type: ignore[index]
            return failed(
                _user_error(
                    ["fulfillment"],
                    "All fulfillment orders must be assigned to a single location."
                    f" Multiple locations with IDs [{numbers}] were found",
                )
            )
        if not wanted or any(store.objects[i]["remainingQuantity"] < q for i, q in wanted.items()):
            return failed(
                _user_error(
                    ["fulfillment"], "Invalid fulfillment order line item quantity requested."
                )  # recorded
            )
        now = store.now()
        order = store.objects[fulfillment_orders[0]["_order"]]
        lines = []
        for foli_id, quantity in wanted.items():
            foli = store.objects[foli_id]
            foli["remainingQuantity"] -= quantity
            lines.append(
                {
                    "__typename": "FulfillmentLineItem",
                    "id": store.new_id("FulfillmentLineItem"),
                    "quantity": quantity,
                    "_line": foli["_line"],
                }
            )
        for fo in fulfillment_orders:
            store._settle_fulfillment_order(fo)
        fulfillment = store.put(
            {
                "__typename": "Fulfillment",
                "id": store.new_id("Fulfillment"),
                "name": f"{order['name']}.{len(order['_fulfillments']) + 1}",
                "status": "SUCCESS",
                "displayStatus": "FULFILLED",
                "createdAt": now,
                "updatedAt": now,
                "deliveredAt": None,
                "inTransitAt": None,
                "estimatedDeliveryAt": None,
                "requiresShipping": True,
                "_order": order["id"],
                "_location": fulfillment_orders[0]["_location"],
                "_fulfillment_orders": [fo["id"] for fo in fulfillment_orders],
                "_lines": lines,
                "_tracking": _tracking(spec.get("trackingInfo")),
                "_notify_customer": bool(spec.get("notifyCustomer")),
                "_message": args.get("message"),
            }
        )
        order["_fulfillments"].append(fulfillment["id"])
        store.touch(order)
        return {"fulfillment": fulfillment, "userErrors": []}


# -- inventory --------------------------------------------------------------------------------


def _idempotency_key(info: Info) -> str:
    node = info.field_nodes[0]
    if not any(d.name.value == "idempotent" for d in node.directives or ()):
        raise top_level_error(
            info,
            "The @idempotent directive is required for this mutation but was not provided.",
            "BAD_REQUEST",
        )  # recorded
    directive = info.schema.get_directive("idempotent")
    assert directive is not None
    values = get_directive_values(directive, node, info.variable_values) or {}
    return str(values.get("key"))


def _argument_source(info: Info, name: str) -> Any:
    """The variable definition (or literal) an argument came from, for error locations."""
    for argument in info.field_nodes[0].arguments or ():
        if argument.name.value != name:
            continue
        if isinstance(argument.value, VariableNode):
            for var_def in info.operation.variable_definitions or ():
                if var_def.variable.name.value == argument.value.name.value:
                    return var_def
        return argument.value
    return None


def _fingerprint(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _replay(store: Store, mutation: str, key: str, params: Any, payload_type_errors: str) -> Any:
    prior = store.idempotency.get((mutation, key))
    if prior is None:
        return None
    if prior[0] != _fingerprint(params):
        return {
            payload_type_errors: None,
            "userErrors": [
                _user_error(
                    None,
                    "The same idempotency key cannot be used with different operation parameters.",
                    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                )  # recorded (locationDeactivate)
            ],
        }
    return copy.copy(prior[1])


@resolver("Mutation", "inventorySetQuantities")
def inventory_set_quantities(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    key = _idempotency_key(info)
    spec = args["input"]
    for item in spec["quantities"]:
        if "changeFromQuantity" not in item:
            source = _argument_source(info, "input")
            raise top_level_error(
                info,
                "InventoryQuantityInput must include the following argument: changeFromQuantity.",
                "INVALID_FIELD_ARGUMENTS",
                *([source] if source is not None else []),
            )  # recorded
    store = ctx.store
    with store.lock:
        replay = _replay(store, "inventorySetQuantities", key, spec, "inventoryAdjustmentGroup")
        if replay is not None:
            return replay
        payload = _set_quantities(store, spec)
        store.idempotency[("inventorySetQuantities", key)] = (_fingerprint(spec), payload)
        if payload["inventoryAdjustmentGroup"] is not None:
            store.adjustments.append({"idempotencyKey": key, **payload["inventoryAdjustmentGroup"]})
        return payload


def _set_quantities(store: Store, spec: dict[str, Any]) -> dict[str, Any]:
    errors: list[dict[str, Any]] = []
    name = spec["name"]
    if name not in ("available", "on_hand"):
        errors.append(
            _user_error(
                ["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
                "INVALID_NAME",
            )
        )  # recorded
    if spec["reason"] not in INVENTORY_REASONS:
        errors.append(
            _user_error(
                ["input", "reason"],
                "The specified reason is invalid. Valid values are: "
                + ", ".join(INVENTORY_REASONS)
                + ".",
                "INVALID_REASON",
            )  # recorded
        )
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(spec["quantities"]):
        where = ["input", "quantities", str(index)]
        item_id, location_id = item["inventoryItemId"], item["locationId"]
        if store.get(item_id, "InventoryItem") is None:
            errors.append(
                _user_error(
                    [*where, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                    "INVALID_INVENTORY_ITEM",
                )  # recorded
            )
            continue
        if store.get(location_id, "Location") is None:
            errors.append(
                _user_error(
                    [*where, "locationId"],
                    "The specified location could not be found.",
                    "INVALID_LOCATION",
                )  # recorded
            )
            continue
        level = store.level(item_id, location_id)
        if level is None:
            errors.append(
                _user_error(
                    [*where, "locationId"],
                    "The specified inventory item is not stocked at the location.",  # guess
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                )
            )
            continue
        if item["quantity"] < 0:
            errors.append(
                _user_error(
                    [*where, "quantity"],
                    "The quantity can't be negative.",
                    "INVALID_QUANTITY_NEGATIVE",
                )
            )  # recorded
        elif item["quantity"] > MAX_INVENTORY_QUANTITY:
            errors.append(
                _user_error(
                    [*where, "quantity"],
                    "The quantity can't be higher than 1,000,000,000.",
                    "INVALID_QUANTITY_TOO_HIGH",
                )  # recorded
            )
        pair = (item_id, location_id)
        if pair in seen:
            for dup in (seen[pair], index):
                errors.append(
                    _user_error(
                        ["input", "quantities", str(dup), "locationId"],
                        "The combination of inventoryItemId and locationId must be unique.",
                        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    )  # recorded
                )
        seen[pair] = index
        expected = item.get("changeFromQuantity")
        if expected is not None and name in level and level[name] != expected:
            errors.append(
                _user_error(
                    [*where, "changeFromQuantity"],
                    "The specified compare quantity does not match the current quantity.",  # guess
                    "CHANGE_FROM_QUANTITY_STALE",
                )
            )
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    now = store.now()
    changes = []
    for item in spec["quantities"]:
        level = store.levels[(item["inventoryItemId"], item["locationId"])]
        delta = item["quantity"] - level[name]
        other = "on_hand" if name == "available" else "available"
        level[name] += delta
        level[other] += delta  # recorded: both quantities move together
        level["_updatedAt"] = now
        for changed in ("available", "on_hand"):
            changes.append(
                {
                    "__typename": "InventoryChange",
                    "name": changed,
                    "delta": delta,
                    "quantityAfterChange": None,
                    "ledgerDocumentUri": None,
                    "_item": item["inventoryItemId"],
                    "_location": item["locationId"],
                }
            )
    group = store.put(
        {
            "__typename": "InventoryAdjustmentGroup",
            "id": store.new_id("InventoryAdjustmentGroup"),
            "createdAt": now,
            "reason": spec["reason"],
            "referenceDocumentUri": spec.get("referenceDocumentUri"),
            "_changes": changes,
        }
    )
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


@resolver("InventoryAdjustmentGroup", "changes")
def adjustment_changes(
    _ctx: Context, group: dict[str, Any], args: dict[str, Any], _info: Any
) -> Any:
    out = group["_changes"]
    if args.get("inventoryItemIds"):
        out = [c for c in out if c["_item"] in args["inventoryItemIds"]]
    if args.get("locationIds"):
        out = [c for c in out if c["_location"] in args["locationIds"]]
    if args.get("quantityNames"):
        out = [c for c in out if c["name"] in args["quantityNames"]]
    return out


@resolver("InventoryChange", "item", "location")
def change_links(ctx: Context, change: dict[str, Any], _args: dict[str, Any], info: Info) -> Any:
    return ctx.store.get(change["_item" if info.field_name == "item" else "_location"])


# -- variants ---------------------------------------------------------------------------------


@resolver("Mutation", "productVariantsBulkUpdate")
def variants_bulk_update(ctx: Context, _root: Any, args: dict[str, Any], _info: Info) -> Any:
    store = ctx.store
    with store.lock:
        product = store.get(args["productId"], "Product")
        if product is None:
            return {
                "product": None,
                "productVariants": None,
                "userErrors": [
                    _user_error(
                        ["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST"
                    )  # guess
                ],
            }
        errors: list[dict[str, Any]] = []
        valid: list[tuple[dict[str, Any], dict[str, Any]]] = []
        touched: list[dict[str, Any]] = []
        for index, spec in enumerate(args["variants"]):
            where = ["variants", str(index)]
            if not spec.get("id"):
                errors.append(
                    _user_error(
                        [*where, "id"],
                        "Product variant is missing ID attribute",
                        "PRODUCT_VARIANT_ID_MISSING",
                    )  # guess
                )
                continue
            variant = store.get(spec["id"], "ProductVariant")
            if variant is None or variant["_product"] != product["id"]:
                errors.append(
                    _user_error(
                        [*where, "id"],
                        "Product variant does not exist",
                        "PRODUCT_VARIANT_DOES_NOT_EXIST",
                    )  # guess
                )
                continue
            touched.append(variant)
            price = spec.get("price")
            if price is not None and float(price) < 0:
                errors.append(
                    _user_error(
                        [*where, "price"],
                        "Price must be greater than or equal to 0",
                        "GREATER_THAN_OR_EQUAL_TO",
                    )  # recorded
                )
                continue
            valid.append((variant, spec))
        if errors and not args.get("allowPartialUpdates"):
            return {"product": product, "productVariants": None, "userErrors": errors}
        for variant, spec in valid:
            for name in ("inventoryPolicy", "price", "barcode", "compareAtPrice", "taxable"):
                if spec.get(name) is not None:
                    variant[name] = spec[name]
            item_spec = spec.get("inventoryItem") or {}
            item = store.objects[variant["_item"]]
            if item_spec.get("sku") is not None:
                item["sku"] = variant["sku"] = item_spec["sku"]
            if item_spec.get("tracked") is not None:
                item["tracked"] = item_spec["tracked"]
            store.touch(variant)
            store.touch(item)
        if valid:
            store.touch(product)
        return {"product": product, "productVariants": touched, "userErrors": errors}


# -- webhooks ---------------------------------------------------------------------------------


def _webhook_address_errors(uri: str | None, allow_http: bool) -> list[dict[str, Any]]:
    field = ["webhookSubscription", "callbackUrl"]
    if not uri:
        return [_user_error(field, "Address can't be blank")]  # recorded
    scheme = uri.split("://", 1)[0] + "://" if "://" in uri else ""
    allowed = ("https://", "http://") if allow_http else ("https://",)
    if uri.startswith("arn:aws:events:") or scheme in allowed:
        return []
    return [_user_error(field, f"Address protocol {scheme or uri} is not supported")]  # recorded


@resolver("Mutation", "webhookSubscriptionCreate")
def webhook_create(ctx: Context, _root: Any, args: dict[str, Any], _info: Info) -> Any:
    spec = args["webhookSubscription"]
    uri = spec.get("uri") or spec.get("callbackUrl")
    errors = _webhook_address_errors(uri, ctx.allow_http_webhooks)
    store = ctx.store
    with store.lock:
        if not errors and any(
            s["topic"] == args["topic"] and s["uri"] == uri
            for s in store.all("WebhookSubscription")
        ):
            errors = [
                _user_error(
                    ["webhookSubscription", "callbackUrl"],
                    "Address for this topic has already been taken",
                )
            ]  # guess
        if errors:
            return {"webhookSubscription": None, "userErrors": errors}
        subscription_id = store.add_webhook_subscription(
            args["topic"], str(uri), format_=spec.get("format") or "JSON"
        )
        subscription = store.objects[subscription_id]
        for name in ("includeFields", "metafieldNamespaces"):
            subscription[name] = list(spec.get(name) or [])
        subscription["filter"] = spec.get("filter") or ""
        subscription["name"] = spec.get("name")
        return {"webhookSubscription": subscription, "userErrors": []}


@resolver("Mutation", "webhookSubscriptionUpdate")
def webhook_update(ctx: Context, _root: Any, args: dict[str, Any], _info: Info) -> Any:
    store = ctx.store
    with store.lock:
        subscription = store.get(args["id"], "WebhookSubscription")
        if subscription is None:
            return {
                "webhookSubscription": None,
                "userErrors": [
                    _user_error(["id"], "Webhook subscription does not exist")
                ],  # recorded
            }
        spec = args["webhookSubscription"]
        uri = spec.get("uri") or spec.get("callbackUrl")
        if uri is not None or "uri" in spec or "callbackUrl" in spec:
            errors = _webhook_address_errors(uri, ctx.allow_http_webhooks)
            if errors:
                return {"webhookSubscription": None, "userErrors": errors}
            subscription["uri"] = uri
        for name in ("includeFields", "metafieldNamespaces", "filter", "format", "name"):
            if name in spec and spec[name] is not None:
                subscription[name] = spec[name]
        store.touch(subscription)
        return {"webhookSubscription": subscription, "userErrors": []}


@resolver("Mutation", "webhookSubscriptionDelete")
def webhook_delete(ctx: Context, _root: Any, args: dict[str, Any], _info: Info) -> Any:
    store = ctx.store
    with store.lock:
        if store.get(args["id"], "WebhookSubscription") is None:
            return {
                "deletedWebhookSubscriptionId": None,
                "userErrors": [
                    _user_error(["id"], "Webhook subscription does not exist")
                ],  # recorded
            }
        store.remove(args["id"])
        return {"deletedWebhookSubscriptionId": args["id"], "userErrors": []}
