"""Orders in: polling `GET /orders?modified_after=…`, and orders read by id for webhook
deliveries. Both map through `mapper.map_order` and are stored with the core's idempotent
ingest, so an order seen by three webhooks and a poll is one order, planned once.

Where a poll starts and how its cursor moves are the core's rules (`services.polling`). The
time is sent as GMT (`dates_are_gmt=true`: WooCommerce reads it in the site's timezone
otherwise) and pages are read in id order, 100 at a time, up to `X-WP-TotalPages`; an order
modified while the pages are read keeps its place, and one missed is in the next poll's
overlap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from tandem.adapters.woocommerce.client import NotFoundError, WooCommerceClient
from tandem.adapters.woocommerce.mapper import MappingError, ProductFacts, map_order, product_facts
from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import Order
from tandem.connector.services.polling import OrdersReport, advance_cursor, poll_start, store_orders
from tandem.connector.store import Database

PER_PAGE = 100  # the most WooCommerce lists per page


def wc_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


async def changed_pages(
    client: WooCommerceClient, since: datetime
) -> Iterable[list[dict[str, Any]]]:
    """The orders modified after `since`, a page at a time."""
    pages: list[list[dict[str, Any]]] = []
    number = 1
    while True:
        page = await client.page(
            "/orders",
            {
                "modified_after": wc_time(since),
                "dates_are_gmt": "true",
                "orderby": "id",
                "order": "asc",
                "per_page": PER_PAGE,
                "page": number,
            },
        )
        if page.items:
            pages.append(page.items)
        if number >= page.pages or not page.items:
            return pages
        number += 1


async def products_of(
    client: WooCommerceClient, config: TandemConfig, raws: Sequence[dict[str, Any]]
) -> dict[str, ProductFacts]:
    """The tags and mode meta of the products the orders' lines sell (one call per 100)."""
    ids = sorted(
        {
            int(item["product_id"])
            for raw in raws
            for item in raw.get("line_items") or []
            if isinstance(item, dict)
            and str(item.get("product_id") or "0").isdigit()
            and int(item.get("product_id") or 0) > 0
        }
    )
    mode_key = config.rules.mode_metafield.rpartition(".")[2]
    found: dict[str, ProductFacts] = {}
    for start in range(0, len(ids), PER_PAGE):
        part = ids[start : start + PER_PAGE]
        page = await client.page(
            "/products", {"include": ",".join(map(str, part)), "per_page": PER_PAGE}
        )
        for product in page.items:
            found[str(product.get("id"))] = product_facts(product, mode_key)
    return found


async def map_orders(
    client: WooCommerceClient, config: TandemConfig, raws: Sequence[dict[str, Any]]
) -> tuple[list[Order], list[tuple[str, str]]]:
    """The orders, and (order id, problem) for those that cannot be read."""
    products = await products_of(client, config, raws)
    orders: list[Order] = []
    problems: list[tuple[str, str]] = []
    for raw in raws:
        try:
            orders.append(
                map_order(raw, mode_properties=config.rules.mode_properties, products=products)
            )
        except MappingError as exc:
            problems.append((str(raw.get("id")), str(exc)))
    return orders, problems


async def fetch_orders(
    client: WooCommerceClient, config: TandemConfig, ids: Sequence[str]
) -> tuple[list[Order], list[tuple[str, str]]]:
    """Orders by id; one WooCommerce no longer has (deleted) is skipped."""
    raws = []
    for order_id in ids:
        try:
            raws.append(await client.get(f"/orders/{int(order_id)}"))
        except NotFoundError:
            continue
    return await map_orders(client, config, [r for r in raws if isinstance(r, dict)])


async def orders_since(
    client: WooCommerceClient, config: TandemConfig, since: datetime
) -> tuple[list[Order], list[tuple[str, str]]]:
    """Every order modified since `since`, read and mapped (a backfill)."""
    orders: list[Order] = []
    problems: list[tuple[str, str]] = []
    for raws in await changed_pages(client, since):
        found, bad = await map_orders(client, config, raws)
        orders += found
        problems += bad
    return orders, problems


async def poll_orders(
    db: Database,
    client: WooCommerceClient,
    config: TandemConfig,
    shop: str,
    now: datetime,
    *,
    since: datetime | None = None,
) -> OrdersReport:
    """Store every order modified since the last poll (minus the overlap), or since `since`."""
    report = OrdersReport()
    start = poll_start(db, config, shop, now, since)
    if start is not None:
        for raws in await changed_pages(client, start):
            report.seen += len(raws)
            orders, problems = await map_orders(client, config, raws)
            report.ingest.add(store_orders(db, config, shop, orders, problems, now))
            report.problems.extend(message for _, message in problems)
    advance_cursor(db, shop, now)
    return report
