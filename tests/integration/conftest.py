"""Integration tests share the Shopify stand-in's fixture."""

from tests.standin.shopify import shopify_standin

__all__ = ["shopify_standin"]
