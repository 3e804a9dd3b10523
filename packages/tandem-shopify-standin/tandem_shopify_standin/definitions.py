"""Metafield definitions in the stand-in shop: seeding them, reading one by its identifier, and
the mutations that create and pin one.

A definition is a dict like every other object (see store.py), keyed by `(ownerType, namespace,
key)`; `pinnedPosition` is None while unpinned, else its place among the owner type's pinned
definitions (1 the first pinned). The codes are Shopify's enums; every message is the
stand-in's guess and marked so.
"""

from __future__ import annotations

import re
from typing import Any

from tandem_shopify_standin.resolvers import Context, Info, check_id, resolver
from tandem_shopify_standin.store import Store

# What Shopify allows per owner type (its help pages say 20; the code is its enum's).
PINNED_LIMIT = 20
RESERVED_NAMESPACES = ("shopify_standard", "protected", "shopify-l10n-fields")
HANDLE = re.compile(r"^[A-Za-z0-9_-]+$")
BASIC_TYPES = (
    "boolean",
    "color",
    "date",
    "date_time",
    "dimension",
    "id",
    "json",
    "link",
    "money",
    "multi_line_text_field",
    "number_decimal",
    "number_integer",
    "rating",
    "rich_text_field",
    "single_line_text_field",
    "url",
    "volume",
    "weight",
    "collection_reference",
    "customer_reference",
    "file_reference",
    "metaobject_reference",
    "mixed_reference",
    "page_reference",
    "product_reference",
    "variant_reference",
)
NOT_LISTABLE = ("boolean", "json", "money", "multi_line_text_field", "rich_text_field")


def valid_type(name: str) -> bool:
    if name.startswith("list."):
        inner = name.removeprefix("list.")
        return inner in BASIC_TYPES and inner not in NOT_LISTABLE
    return name in BASIC_TYPES


def find_definition(
    store: Store, owner_type: str, namespace: str, key: str
) -> dict[str, Any] | None:
    for definition in store.all("MetafieldDefinition"):
        if (definition["ownerType"], definition["namespace"], definition["key"]) == (
            owner_type,
            namespace,
            key,
        ):
            return definition
    return None


def pinned_count(store: Store, owner_type: str) -> int:
    return sum(
        1
        for d in store.all("MetafieldDefinition")
        if d["ownerType"] == owner_type and d["pinnedPosition"] is not None
    )


def pin(store: Store, definition: dict[str, Any]) -> None:
    definition["pinnedPosition"] = pinned_count(store, definition["ownerType"]) + 1
    definition["updatedAt"] = store.now()


def add_definition(
    store: Store,
    owner_type: str,
    namespace: str,
    key: str,
    type_: str,
    *,
    name: str | None = None,
    description: str | None = None,
    pinned: bool = False,
) -> dict[str, Any]:
    """A definition as the merchant (or another app) would have made it."""
    with store.lock:
        now = store.now()
        definition = store.put(
            {
                "__typename": "MetafieldDefinition",
                "id": store.new_id("MetafieldDefinition"),
                "ownerType": owner_type,
                "namespace": namespace,
                "key": key,
                "name": name or key.replace("_", " ").capitalize(),
                "description": description,
                "type": {"__typename": "MetafieldDefinitionType", "name": type_},
                "pinnedPosition": None,
                "useAsCollectionCondition": False,
                "validations": [],
                "createdAt": now,
                "updatedAt": now,
            }
        )
        if pinned:
            pin(store, definition)
        return definition


def _error(field: list[str] | None, message: str, code: str) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


# -- reads ------------------------------------------------------------------------------------


@resolver("QueryRoot", "metafieldDefinition")
def metafield_definition(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    if args.get("id") is not None:
        check_id(info, args["id"])
        return ctx.store.get(args["id"], "MetafieldDefinition")
    identifier = args.get("identifier")
    if identifier is None:
        return None
    namespace = identifier.get("namespace") or "$app"
    return find_definition(ctx.store, identifier["ownerType"], namespace, identifier["key"])


@resolver("MetafieldDefinition", "metafieldsCount")
def metafields_count(ctx: Context, definition: dict[str, Any], *_: Any) -> Any:
    return sum(
        1
        for m in ctx.store.all("Metafield")
        if (m["ownerType"], m["namespace"], m["key"])
        == (definition["ownerType"], definition["namespace"], definition["key"])
    )


# -- mutations --------------------------------------------------------------------------------


def _create_errors(store: Store, spec: dict[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    namespace = spec.get("namespace") or "$app"
    for name, value, low, high in (("namespace", namespace, 3, 255), ("key", spec["key"], 2, 64)):
        where = ["definition", name]
        if len(value) < low:
            errors.append(
                _error(
                    where,
                    f"{name.capitalize()} is too short (minimum is {low} characters)",
                    "TOO_SHORT",
                )  # guess
            )
        elif len(value) > high:
            errors.append(
                _error(
                    where,
                    f"{name.capitalize()} is too long (maximum is {high} characters)",
                    "TOO_LONG",
                )  # guess
            )
        elif not (HANDLE.match(value) or value.startswith("$app")):
            errors.append(
                _error(
                    where,
                    f"{name.capitalize()} contains one or more invalid characters.",
                    "INVALID_CHARACTER",
                )  # guess
            )
    if namespace in RESERVED_NAMESPACES:
        errors.append(
            _error(
                ["definition", "namespace"],
                f"Namespace {namespace} is reserved.",
                "RESERVED_NAMESPACE_KEY",
            )  # guess
        )
    if not spec["name"].strip():
        errors.append(_error(["definition", "name"], "Name can't be blank", "BLANK"))  # guess
    if not valid_type(spec["type"]):
        errors.append(
            _error(["definition", "type"], "Type name is not a valid type.", "INCLUSION")  # guess
        )
    if errors:
        return errors
    owner_type = spec["ownerType"]
    if find_definition(store, owner_type, namespace, spec["key"]) is not None:
        label = owner_type.replace("_", " ").capitalize()
        return [
            _error(
                ["definition", "key"],
                f"Key is in use for {label} metafields on the '{namespace}' namespace.",  # guess
                "TAKEN",
            )
        ]
    if spec.get("pin") and pinned_count(store, owner_type) >= PINNED_LIMIT:
        return [
            _error(
                ["definition"],
                f"Limit of {PINNED_LIMIT} pinned definitions reached for this owner type.",  # guess
                "PINNED_LIMIT_REACHED",
            )
        ]
    return []


@resolver("Mutation", "metafieldDefinitionCreate")
def definition_create(ctx: Context, _root: Any, args: dict[str, Any], _info: Info) -> Any:
    spec = args["definition"]
    store = ctx.store
    with store.lock:
        errors = _create_errors(store, spec)
        if errors:
            return {"createdDefinition": None, "userErrors": errors}
        definition = add_definition(
            store,
            spec["ownerType"],
            spec.get("namespace") or "$app",
            spec["key"],
            spec["type"],
            name=spec["name"],
            description=spec.get("description"),
            pinned=bool(spec.get("pin")),
        )
        return {"createdDefinition": definition, "userErrors": []}


@resolver("Mutation", "metafieldDefinitionPin")
def definition_pin(ctx: Context, _root: Any, args: dict[str, Any], info: Info) -> Any:
    store = ctx.store

    def failed(message: str, code: str) -> dict[str, Any]:
        return {"pinnedDefinition": None, "userErrors": [_error(None, message, code)]}

    with store.lock:
        definition = metafield_definition(ctx, None, args | {"id": args.get("definitionId")}, info)
        if definition is None:
            return failed("Definition not found.", "NOT_FOUND")  # guess
        if definition["pinnedPosition"] is not None:
            return failed("Definition is already pinned.", "ALREADY_PINNED")  # guess
        if pinned_count(store, definition["ownerType"]) >= PINNED_LIMIT:
            return failed(
                f"Limit of {PINNED_LIMIT} pinned definitions reached for this owner type.",  # guess
                "PINNED_LIMIT_REACHED",
            )
        pin(store, definition)
        return {"pinnedDefinition": definition, "userErrors": []}
