"""The WooCommerce stand-in's fixture for the WooCommerce tests."""

from tests.standins.woocommerce import woocommerce_standin

__all__ = ["woocommerce_standin"]
