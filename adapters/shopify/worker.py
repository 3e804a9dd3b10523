"""Shopify's performers for the store write-backs: one per kind of write-back, each with the
shop's client. The claiming, retrying and giving up are the core's (`connector.store_writes`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from tandem.adapters.shopify import fulfillments, writeback
from tandem.adapters.shopify.client import ShopifyClient
from tandem.connector import outbox, store_writes
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.platforms import WritesDone
from tandem.connector.services import store_updates as kinds
from tandem.connector.store import Database

WorkReport = WritesDone

Performer = Callable[[Database, ShopifyClient, TandemConfig, outbox.OutboxItem], Awaitable[None]]

PERFORMERS: dict[str, Performer] = {
    kinds.ORDER_STATUS: writeback.write_order_status,
    kinds.FULFILLMENT: fulfillments.create_fulfillment,
    kinds.STOCK: writeback.set_stock,
    kinds.CONTINUE_SELLING: writeback.continue_selling,
}
GIVEN_UP: dict[str, store_writes.GivenUp] = {kinds.STOCK: writeback.stock_given_up}


async def perform_store_writes(
    db: Database,
    client: ShopifyClient,
    config: TandemConfig,
    *,
    worker: str | None = None,
    shop: str | None = None,
    limit: int = 1000,
    clock: Callable[[], datetime] = utcnow,
) -> WritesDone:
    """Perform the due write-backs of `shop` (up to `limit`)."""
    bound = {kind: partial(perform, db, client, config) for kind, perform in PERFORMERS.items()}
    return await store_writes.perform_store_writes(
        db, bound, given_up=GIVEN_UP, worker=worker, shop=shop, limit=limit, clock=clock
    )
