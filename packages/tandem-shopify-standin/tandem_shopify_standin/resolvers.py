"""Read-side resolution: graphql-core executes the real schema; these functions feed it dicts.

`resolve_field` looks up `(parent type, field)` in `RESOLVERS`, then a few field names shared
by many types, then the source dict itself. A non-null field with no data gets an empty value
of its type (0, "", false, [], the first enum value, an empty object or connection) so any
valid selection executes; nullable fields without data resolve to null.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeAlias

from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    get_nullable_type,
    is_enum_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    is_scalar_type,
)

from tandem_shopify_standin.search import Search
from tandem_shopify_standin.store import Store, gid_number, gid_parts

# What graphql-core passes resolvers (its context is a `Context`).
Info: TypeAlias = "GraphQLResolveInfo[Any]"

MAX_PAGE_SIZE = 250
SCALAR_DEFAULTS: dict[str, Any] = {
    "Int": 0,
    "Float": 0.0,
    "Boolean": False,
    "DateTime": "1970-01-01T00:00:00Z",
    "Date": "1970-01-01",
    "Decimal": "0.0",
    "Money": "0.0",
    "UnsignedInt64": "0",
    "JSON": {},
}

# A non-null enum without data gets the first of these it has (else its first value), so an
# unmodelled field reads as "nothing special" rather than, say, risk CANCEL.
NEUTRAL_ENUM_VALUES = ("NONE", "ACCEPT", "NO_RETURN", "UNSUBMITTED", "DEFAULT", "OTHER", "UNKNOWN")


@dataclass
class Context:
    store: Store
    api_version: str
    search_reports: list[dict[str, Any]] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    allow_http_webhooks: bool = False


Resolver = Callable[[Context, Any, dict[str, Any], Info], Any]
RESOLVERS: dict[tuple[str, str], Resolver] = {}


def resolver(type_name: str, *fields: str) -> Callable[[Resolver], Resolver]:
    def register(fn: Resolver) -> Resolver:
        for name in fields:
            RESOLVERS[(type_name, name)] = fn
        return fn

    return register


def top_level_error(info: Info, message: str, code: str, *extra_nodes: Any) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=[*info.field_nodes, *extra_nodes],
        path=info.path.as_list(),
        extensions={"code": code},
    )


def default_value(type_: Any) -> Any:
    nullable = get_nullable_type(type_)
    if is_list_type(nullable):
        return []
    if is_enum_type(nullable):
        for neutral in NEUTRAL_ENUM_VALUES:
            if neutral in nullable.values:
                return neutral
        return next(iter(nullable.values))
    if is_scalar_type(nullable):
        return SCALAR_DEFAULTS.get(nullable.name, "")
    if is_object_type(nullable):
        return {"__typename": nullable.name}
    return None


def resolve_field(source: Any, info: Info, **args: Any) -> Any:
    name = info.field_name
    fn = RESOLVERS.get((info.parent_type.name, name))
    if fn is None and name in GENERIC:
        interface, generic = GENERIC[name]
        if any(i.name == interface for i in getattr(info.parent_type, "interfaces", ())):
            fn = generic
    if fn is not None:
        value = fn(info.context, source, args, info)
    elif info.parent_type.name == "Mutation":
        raise top_level_error(
            info, f"The Shopify stand-in does not implement the mutation {name}.", "NOT_IMPLEMENTED"
        )
    elif isinstance(source, dict):
        value = source.get(name)
    else:
        value = None
    if value is None and is_non_null_type(info.return_type):
        value = default_value(info.return_type)
    return value


def resolve_type(value: Any, _info: Info, _abstract: Any) -> str | None:
    return value.get("__typename") if isinstance(value, dict) else None


# -- helpers ----------------------------------------------------------------------------------


def check_id(info: Info, value: Any) -> None:
    if value is not None and gid_parts(value) is None:
        raise GraphQLError(
            f"Invalid global id '{value}'",
            nodes=info.field_nodes,
            path=info.path.as_list(),
            extensions={"code": "argumentLiteralsIncompatible", "typeName": "CoercionError"},
        )


def money(amount: Decimal | str, currency: str) -> dict[str, Any]:
    text = str(Decimal(str(amount)).quantize(Decimal("0.01")))
    bag = {"amount": text, "currencyCode": currency}
    return {"shopMoney": dict(bag), "presentmentMoney": dict(bag)}


def _cursor(item: dict[str, Any], value: Any) -> str:
    raw = json.dumps(
        {"last_id": gid_number(item["id"]), "last_value": str(value)}, separators=(",", ":")
    )
    return base64.b64encode(raw.encode()).decode()


def _decode(info: Info, cursor: str) -> tuple[str, int]:
    try:
        data = json.loads(base64.b64decode(cursor.encode(), validate=True))
        return str(data["last_value"]), int(data["last_id"])
    except (ValueError, KeyError, TypeError):
        raise top_level_error(
            info, f"Invalid cursor for current pagination sort: {cursor}", "BAD_REQUEST"
        ) from None


def connection(
    info: Info,
    items: list[dict[str, Any]],
    args: dict[str, Any],
    sort_value: Callable[[dict[str, Any]], Any] | None = None,
) -> dict[str, Any]:
    """Relay connection with Shopify's keyset cursors ({"last_id", "last_value"} in base64)."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise top_level_error(info, "you must provide one of first or last", "BAD_REQUEST")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise top_level_error(
                info, f"The {name} argument must be between 0 and {MAX_PAGE_SIZE}.", "BAD_REQUEST"
            )

    def value_of(item: dict[str, Any]) -> Any:
        return gid_number(item["id"]) if sort_value is None else sort_value(item)

    def key_of(item: dict[str, Any]) -> tuple[str, int]:
        value = value_of(item)
        text = f"{value:020d}" if isinstance(value, int) else str(value or "")
        return text, gid_number(item["id"])

    numeric = sort_value is None or any(isinstance(value_of(i), int) for i in items[:1])

    def cursor_key(cursor: str) -> tuple[str, int]:
        value, last_id = _decode(info, cursor)
        if numeric and value.isdigit():
            return f"{int(value):020d}", last_id
        return value, last_id

    reverse = bool(args.get("reverse"))
    ordered = sorted(items, key=key_of, reverse=reverse)
    if args.get("after"):
        start = cursor_key(args["after"])
        ordered = [i for i in ordered if (key_of(i) < start if reverse else key_of(i) > start)]
    has_previous = bool(args.get("after"))
    has_next = bool(args.get("before"))
    if args.get("before"):
        end = cursor_key(args["before"])
        ordered = [i for i in ordered if (key_of(i) > end if reverse else key_of(i) < end)]
    if first is not None:
        has_next = has_next or len(ordered) > first
        ordered = ordered[:first]
    if last is not None:
        has_previous = has_previous or len(ordered) > last
        ordered = ordered[-last:] if last else []
    edges = [{"cursor": _cursor(i, value_of(i)), "node": i} for i in ordered]
    return {
        "edges": edges,
        "nodes": ordered,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def searched(
    ctx: Context,
    info: Info,
    items: list[dict[str, Any]],
    query: str | None,
    fields: dict[str, tuple[Callable[[dict[str, Any]], Any], str]],
    default_text: Callable[[dict[str, Any]], Any] = lambda record: [],
) -> list[dict[str, Any]]:
    if not query:
        return items
    search = Search(query, fields, default_text)
    report = search.report(info.path.as_list())
    if report is not None:
        ctx.search_reports.append(report)
    return [i for i in items if search.matches(i)]


# -- generic fields ---------------------------------------------------------------------------


def _metafield(ctx: Context, source: Any, args: dict[str, Any], _info: Info) -> Any:
    if not isinstance(source, dict) or "id" not in source:
        return None
    namespace = args.get("namespace") or "$app"
    return ctx.store.find_metafield(source["id"], namespace, args["key"])


def _metafields(ctx: Context, source: Any, args: dict[str, Any], info: Info) -> Any:
    items = (
        ctx.store.metafields_of(source["id"]) if isinstance(source, dict) and "id" in source else []
    )
    if args.get("namespace"):
        items = [m for m in items if m["namespace"] == args["namespace"]]
    if args.get("keys"):
        wanted = set(args["keys"])
        items = [m for m in items if f"{m['namespace']}.{m['key']}" in wanted]
    return connection(info, items, args)


def _legacy_id(_ctx: Context, source: Any, _args: dict[str, Any], _info: Info) -> Any:
    return str(gid_number(source["id"])) if isinstance(source, dict) and "id" in source else None


# Fields shared by every type implementing an interface: name -> (interface, resolver).
GENERIC: dict[str, tuple[str, Resolver]] = {
    "metafield": ("HasMetafields", _metafield),
    "metafields": ("HasMetafields", _metafields),
    "legacyResourceId": ("LegacyInteroperability", _legacy_id),
}
