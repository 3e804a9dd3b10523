"""Integration tests share the Shopify stand-in's fixture and the shop Tandem serves on it,
and the WooCommerce stand-in's."""

from tests.integration.shopify_support import config_file, shop, tandem_db
from tests.standin.shopify import shopify_standin
from tests.standins.woocommerce import woocommerce_standin

__all__ = ["config_file", "shop", "shopify_standin", "tandem_db", "woocommerce_standin"]
