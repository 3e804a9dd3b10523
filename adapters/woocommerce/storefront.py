"""A WooCommerce shop behind the storefront port (`connector.platforms`): the REST API v3 for
orders, write-backs and stock, and webhooks signed with the webhook secret. WooCommerce keeps
nothing of Tandem's on the site, so there is no claim (`Capability.CLAIM`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial

import httpx
from pydantic import SecretStr

from tandem.adapters.woocommerce import writeback
from tandem.adapters.woocommerce.client import WooCommerceClient, site_host
from tandem.adapters.woocommerce.deliveries import process_deliveries
from tandem.adapters.woocommerce.orders import orders_since, poll_orders
from tandem.adapters.woocommerce.stock import plan_stock_push
from tandem.adapters.woocommerce.webhooks import WooCommerceWebhooks
from tandem.connector import store_writes
from tandem.connector.configuration import TandemConfig
from tandem.connector.errors import TandemError
from tandem.connector.platforms import Capability, SessionSteps, StepSession, WritesDone
from tandem.connector.services import store_updates as kinds
from tandem.connector.store import Database

NAME = "woocommerce"
CAPABILITIES = frozenset({Capability.WEBHOOKS, Capability.WRITE_BACK, Capability.STOCK})

PERFORMERS = {
    kinds.ORDER_STATUS: writeback.write_order_status,
    kinds.FULFILLMENT: writeback.record_shipment,
    kinds.STOCK: writeback.set_stock,
    kinds.CONTINUE_SELLING: writeback.allow_backorders,
}
GIVEN_UP: dict[str, store_writes.GivenUp] = {kinds.STOCK: writeback.stock_given_up}
STEPS = SessionSteps(poll_orders, process_deliveries, orders_since, plan_stock_push)


class WooCommerceSession(StepSession[WooCommerceClient]):
    async def claim(self, now: datetime, *, adopt: bool = False, mark: bool = True) -> None:
        return None  # no CLAIM: the site records nothing of Tandem's

    async def perform_writes(self, worker: str | None = None) -> WritesDone:
        bound = {
            kind: partial(perform, self.db, self.client, self.config)
            for kind, perform in PERFORMERS.items()
        }
        return await store_writes.perform_store_writes(
            self.db, bound, given_up=GIVEN_UP, worker=worker, shop=self.shop
        )


class WooCommerceStorefront:
    platform = NAME
    capabilities = CAPABILITIES

    def __init__(self, config: TandemConfig) -> None:
        self.config = config
        self.shop = site_host(config.store.shop_url or "")
        self.webhooks = WooCommerceWebhooks(self.shop)
        store = config.store
        self.webhook_secrets = [
            s for s in (store.webhook_secret, store.previous_webhook_secret) if s is not None
        ]
        self._waited = 0.0

    @property
    def waited_seconds(self) -> float:
        return self._waited

    @asynccontextmanager
    async def session(
        self, db: Database, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> AsyncIterator[WooCommerceSession]:
        store = self.config.store
        if not (store.shop_url and store.consumer_key and store.consumer_secret):
            raise TandemError(
                "store: platform woocommerce needs shop_url, consumer_key and consumer_secret"
            )
        client = WooCommerceClient(
            store.shop_url,
            store.consumer_key,
            store.consumer_secret or SecretStr(""),
            query_string_auth=store.query_string_auth,
            transport=transport,
        )
        try:
            yield WooCommerceSession(db, client, self.config, self.shop, STEPS)
        finally:
            self._waited += client.waited_seconds
            await client.aclose()
