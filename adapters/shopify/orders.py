"""Orders in: polling by `updated_at`, and the orders named by stored webhook deliveries.

Both read orders through the same GraphQL query and mapper and store them with the core's
idempotent ingest, so an order seen by a webhook three times and by a poll once is one order
with its lines planned once.

Where a poll starts and how its cursor moves are the core's rules (`services.polling`):
Shopify's search index lags behind writes, which the poll overlap covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import reading
from tandem.adapters.shopify.mapper import MappingError, map_order
from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import Order
from tandem.connector.services.polling import OrdersReport, advance_cursor, poll_start, store_orders
from tandem.connector.store import Database

ORDERS_PER_CALL = 5  # nodes(ids:) batch; 5 orders with 50 lines each stay under 1000 points


def mode_field(config: TandemConfig) -> dict[str, str]:
    namespace, _, key = config.rules.mode_metafield.rpartition(".")
    return {"modeNamespace": namespace or "tandem", "modeKey": key}


async def fetch_orders(
    client: ShopifyClient, config: TandemConfig, ids: Sequence[str]
) -> tuple[list[Order], list[tuple[str, str]]]:
    """Read and map orders by GID. Returns the orders and (gid, problem) for those that
    could not be read; an id Shopify does not know (deleted) is skipped."""
    orders: list[Order] = []
    problems: list[tuple[str, str]] = []
    field_names = mode_field(config)
    for start in range(0, len(ids), ORDERS_PER_CALL):
        batch = list(ids[start : start + ORDERS_PER_CALL])
        data = await client.execute(doc.ORDERS_BY_ID, {"ids": batch, **field_names})
        with reading(doc.ORDERS_BY_ID.name):
            nodes = list(data["nodes"])
        for gid, node in zip(batch, nodes, strict=False):
            if not node:
                continue
            if not isinstance(node, dict):
                problems.append((gid, f"order {gid}: Shopify's answer is not an order"))
                continue
            await _complete_lines(client, node, field_names)
            try:
                orders.append(map_order(node))
            except MappingError as exc:
                problems.append((gid, str(exc)))
    return orders, problems


async def _complete_lines(
    client: ShopifyClient, node: dict[str, Any], field_names: dict[str, str]
) -> None:
    """Fetch the rest of an order's lines when it has more than one page of them."""
    with reading(doc.ORDERS_BY_ID.name):
        items = node.get("lineItems") or {}
        page = items.get("pageInfo") or {}
    while page.get("hasNextPage"):
        with reading(doc.ORDERS_BY_ID.name):
            variables = {"id": node["id"], "after": page["endCursor"], **field_names}
        data = await client.execute(doc.ORDER_MORE_LINES, variables)
        with reading(doc.ORDER_MORE_LINES.name):
            more = ((data.get("order") or {}).get("lineItems")) or {}
            items.setdefault("nodes", []).extend(more.get("nodes") or [])
            page = more.get("pageInfo") or {}


async def orders_since(
    client: ShopifyClient, config: TandemConfig, since: datetime
) -> tuple[list[Order], list[tuple[str, str]]]:
    """Every order updated since `since`, read and mapped (a backfill): the orders, and
    (gid, problem) for those that could not be read."""
    ids = list(dict.fromkeys(await changed_order_ids(client, since)))
    orders: list[Order] = []
    problems: list[tuple[str, str]] = []
    for start in range(0, len(ids), ORDERS_PER_CALL * 10):
        found, bad = await fetch_orders(client, config, ids[start : start + ORDERS_PER_CALL * 10])
        orders.extend(found)
        problems.extend(bad)
    return orders, problems


async def changed_order_ids(client: ShopifyClient, since: datetime) -> list[str]:
    query = f"updated_at:>='{since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}'"
    ids: list[str] = []
    after: str | None = None
    while True:
        data = await client.execute(doc.ORDERS_UPDATED, {"query": query, "after": after})
        with reading(doc.ORDERS_UPDATED.name):
            connection = data["orders"]
            ids.extend(str(node["id"]) for node in connection["nodes"])
            page = connection["pageInfo"]
            if not page["hasNextPage"]:
                return ids
            after = page["endCursor"]


async def poll_orders(
    db: Database,
    client: ShopifyClient,
    config: TandemConfig,
    shop: str,
    now: datetime,
    *,
    since: datetime | None = None,
) -> OrdersReport:
    """Read every order updated since the last poll (minus the overlap), or since `since`
    (the daemon's reconcile pass reaches further back), and store it."""
    report = OrdersReport()
    start = poll_start(db, config, shop, now, since)
    ids = [] if start is None else list(dict.fromkeys(await changed_order_ids(client, start)))
    report.seen = len(ids)
    for first in range(0, len(ids), ORDERS_PER_CALL * 10):
        orders, problems = await fetch_orders(
            client, config, ids[first : first + ORDERS_PER_CALL * 10]
        )
        report.ingest.add(store_orders(db, config, shop, orders, problems, now))
        report.problems.extend(message for _, message in problems)
    advance_cursor(db, shop, now)
    return report
