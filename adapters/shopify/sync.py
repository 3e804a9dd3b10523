"""The shop's client as the configuration describes it, and the shop's name in Tandem's
tables."""

from __future__ import annotations

import httpx

from tandem.adapters.shopify.auth import token_source
from tandem.adapters.shopify.client import ShopifyClient, shop_host
from tandem.adapters.shopify.errors import ShopifyError
from tandem.adapters.shopify.throttle import Throttle
from tandem.connector.configuration import TandemConfig
from tandem.connector.store import Database


def shop_key(config: TandemConfig) -> str:
    """The shop's name in Tandem's tables: its host (my-shop.myshopify.com)."""
    return shop_host(config.store.shop_url or "")


def make_client(
    config: TandemConfig,
    transport: httpx.AsyncBaseTransport | None = None,
    throttle: Throttle | None = None,
    *,
    db: Database | None = None,
) -> ShopifyClient:
    """A client of the configured shop. `db`: where an app's tokens are kept (the
    configuration's database; unset, it is opened when a token is first needed)."""
    store = config.store
    if store.shop_url is None:
        raise ShopifyError("store.shop_url is needed for Shopify")
    return ShopifyClient(
        store.shop_url,
        token_source(config, db),
        store.api_version,
        transport=transport,
        throttle=throttle,
    )
