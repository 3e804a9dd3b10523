"""The daemon's tests share the log capture and the Shopify stand-in."""

from tests.daemon.log_capture import lines
from tests.standin.shopify import shopify_standin

__all__ = ["lines", "shopify_standin"]
