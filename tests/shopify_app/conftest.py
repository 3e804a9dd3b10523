"""Shops reached as an app (client credentials, OAuth) on the Shopify stand-in."""

from collections.abc import Iterator

import pytest

from tandem.adapters.shopify import auth
from tandem.adapters.shopify.platform import ShopifyPlatform
from tandem.connector.configuration.model import StoreConfig
from tests.integration.shopify_support import shop
from tests.standin.shopify import shopify_standin

__all__ = ["app_credentials_accepted", "shop", "shopify_standin"]


@pytest.fixture(autouse=True)
def app_credentials_accepted(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A store section with the app's client id and secret and no access token is complete:
    until `ShopifyPlatform.missing` returns `auth.store_problems(store)` itself, the tests
    here put that in place (a no-op once it does)."""
    probe = StoreConfig.model_construct(
        platform="shopify", shop_url="https://x.myshopify.com", access_token=None,
        auth=None, client_id="id", client_secret=None,
    )  # fmt: skip
    if ShopifyPlatform().missing(probe) != auth.store_problems(probe):

        def missing(self: ShopifyPlatform, store: StoreConfig) -> list[str]:
            return auth.store_problems(store)

        monkeypatch.setattr(ShopifyPlatform, "missing", missing)
    yield
