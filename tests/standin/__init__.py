"""The Shopify stand-in for tests: `ShopifyStandin` and the `shopify_standin` fixture.

The stand-in itself lives in the package `tandem_shopify_standin` (so `tandem demo` can run it
from an installed package); this directory holds its pytest fixture and its tests.
"""

from tests.standin.shopify import ShopifyStandin, VariantIds, shopify_standin

__all__ = ["ShopifyStandin", "VariantIds", "shopify_standin"]
