"""A Shopify shop behind the storefront port (`connector.platforms`): the Admin GraphQL API for
orders, write-backs and stock, signed webhooks, and the shop metafield that names Tandem's
database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
from pydantic import SecretStr

from tandem.adapters.shopify.auth import webhook_secrets
from tandem.adapters.shopify.client import ShopifyClient, shop_host
from tandem.adapters.shopify.deliveries import process_deliveries
from tandem.adapters.shopify.identity import claim_shop
from tandem.adapters.shopify.orders import orders_since, poll_orders
from tandem.adapters.shopify.stock import plan_stock_push
from tandem.adapters.shopify.sync import make_client
from tandem.adapters.shopify.throttle import Throttle
from tandem.adapters.shopify.webhooks import parse_delivery, verify
from tandem.adapters.shopify.worker import perform_store_writes
from tandem.connector.configuration import TandemConfig
from tandem.connector.platforms import Capability, Delivery, SessionSteps, StepSession, WritesDone
from tandem.connector.store import Database

NAME = "shopify"
CAPABILITIES = frozenset(Capability)  # Shopify does all of it


STEPS = SessionSteps(poll_orders, process_deliveries, orders_since, plan_stock_push)


class ShopifySession(StepSession[ShopifyClient]):
    async def claim(self, now: datetime, *, adopt: bool = False, mark: bool = True) -> None:
        await claim_shop(self.client, self.db, self.config, now, adopt=adopt, mark=mark)

    async def perform_writes(self, worker: str | None = None) -> WritesDone:
        return await perform_store_writes(
            self.db, self.client, self.config, worker=worker, shop=self.shop
        )


class ShopifyWebhooks:
    """Shopify signs the raw body (`X-Shopify-Hmac-Sha256`) and names each delivery."""

    def claimed(self, headers: Mapping[str, str]) -> dict[str, str | None]:
        return {
            "webhook_id": headers.get("x-shopify-webhook-id"),
            "topic": headers.get("x-shopify-topic"),
            "shop": headers.get("x-shopify-shop-domain"),
        }

    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Sequence[SecretStr]) -> bool:
        return verify(body, headers.get("x-shopify-hmac-sha256"), secrets)

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | str:
        return parse_delivery(headers, body)


class ShopifyStorefront:
    platform = NAME
    capabilities = CAPABILITIES

    def __init__(self, config: TandemConfig) -> None:
        self.config = config
        self.shop = shop_host(config.store.shop_url or "")
        self.webhooks = ShopifyWebhooks()
        self.webhook_secrets = webhook_secrets(config.store)
        # One bucket per shop, shared by every job's client: jobs run side by side.
        self.throttle = Throttle()

    @property
    def waited_seconds(self) -> float:
        return self.throttle.stats.waited_seconds

    @asynccontextmanager
    async def session(
        self, db: Database, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> AsyncIterator[ShopifySession]:
        async with make_client(
            self.config, transport=transport, throttle=self.throttle, db=db
        ) as client:
            yield ShopifySession(db, client, self.config, self.shop, STEPS)
