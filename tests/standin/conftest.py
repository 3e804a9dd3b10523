"""The stand-in's fixture, for its own tests (other modules import it from tests.standin)."""

from tests.standin.shopify import shopify_standin

__all__ = ["shopify_standin"]
