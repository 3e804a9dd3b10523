"""One pass against a Shopify store: orders in, plan, write-backs and stock out.

Each step's failure is reported and the following steps still run: a Shopify outage while
polling must not stop the tags of yesterday's POs from being written, and vice versa.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

from adapters.shopify.client import ShopifyClient, shop_host
from adapters.shopify.deliveries import process_deliveries
from adapters.shopify.errors import ShopifyError
from adapters.shopify.identity import claim_shop
from adapters.shopify.orders import OrdersReport, poll_orders
from adapters.shopify.stock import StockPlan, plan_stock_push
from adapters.shopify.throttle import Throttle
from adapters.shopify.worker import WorkReport, perform_store_writes
from connector.channels import ChannelFactory
from connector.clock import utcnow
from connector.configuration import TandemConfig
from connector.outbox import worker_name
from connector.services.dispatch import DispatchReport, dispatch
from connector.services.ingest import IngestReport
from connector.services.plan import PlanSummary, run_planner
from connector.store import Database


@dataclass
class ShopifyPass:
    orders: IngestReport = field(default_factory=IngestReport)
    plan: PlanSummary = field(default_factory=PlanSummary)
    stock: StockPlan | None = None
    writes: WorkReport = field(default_factory=WorkReport)
    dispatch: DispatchReport = field(default_factory=DispatchReport)
    problems: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def shop_key(config: TandemConfig) -> str:
    """The shop's name in Tandem's tables: its host (my-shop.myshopify.com)."""
    return shop_host(config.store.shop_url or "")


def make_client(
    config: TandemConfig,
    transport: httpx.AsyncBaseTransport | None = None,
    throttle: Throttle | None = None,
) -> ShopifyClient:
    store = config.store
    if store.shop_url is None or store.access_token is None:
        raise ShopifyError("store.shop_url and store.access_token are needed for Shopify")
    return ShopifyClient(
        store.shop_url,
        store.access_token,
        store.api_version,
        transport=transport,
        throttle=throttle,
    )


async def shopify_pass(
    db: Database,
    config: TandemConfig,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    channels: ChannelFactory,
    poll: bool = True,
    push_stock: bool = True,
) -> ShopifyPass:
    """The stored webhook deliveries, then (with `poll`) the orders changed since the last
    poll; the planner, dispatch, (with `push_stock`, when configured) the stock push, and the
    write-backs. `tandem serve` runs it after each webhook with neither poll nor stock push.

    The planner runs in a thread: its database work takes seconds on a busy shop, and the
    event loop may be a web server's that must answer webhooks meanwhile."""
    result = ShopifyPass()
    shop = shop_key(config)
    started = utcnow()
    async with make_client(config, transport) as client:
        try:
            await claim_shop(client, db, config, started)
        except ShopifyError as exc:  # what is stored was checked when it was stored
            result.failures.append(f"checking which database serves the shop: {exc}")
        steps = [("webhook deliveries", process_deliveries)]
        if poll:
            steps.append(("polling orders", poll_orders))
        for name, step in steps:
            try:
                orders: OrdersReport = await step(db, client, config, shop, started)
            except ShopifyError as exc:
                result.failures.append(f"{name}: {exc}")
                continue
            result.orders.add(orders.ingest)
            result.problems.extend(orders.problems)
        result.plan = await asyncio.to_thread(run_planner, db, config, utcnow())
        result.dispatch = await dispatch(db, config, worker=worker_name(), channels=channels)
        result.failures.extend(f"sending {f}" for f in result.dispatch.failed)
        if push_stock and config.store.stock_push.enabled:
            try:
                result.stock = await plan_stock_push(db, client, config, shop, utcnow())
            except ShopifyError as exc:
                result.failures.append(f"stock push: {exc}")
        result.writes = await perform_store_writes(db, client, config)
        result.failures.extend(f"write-back {f}" for f in result.writes.failed)
    return result
