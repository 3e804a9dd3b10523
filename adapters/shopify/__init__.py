"""The Shopify store platform: GraphQL Admin API client, order mapping, webhooks, write-backs.

The names below are loaded when first used: the platform's entry point (`platform`) lives in
this package and is imported for every command, `tandem --help` too, which needs no client
(issue 14)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tandem.adapters.shopify.client import ShopifyClient
    from tandem.adapters.shopify.errors import (
        AuthError,
        RequestError,
        RetryableError,
        ShopifyError,
        Throttled,
        Unavailable,
        UserErrors,
    )
    from tandem.adapters.shopify.mapper import map_order

__all__ = [
    "AuthError",
    "RequestError",
    "RetryableError",
    "ShopifyClient",
    "ShopifyError",
    "Throttled",
    "Unavailable",
    "UserErrors",
    "map_order",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = {"ShopifyClient": "client", "map_order": "mapper"}.get(name, "errors")
    return getattr(import_module(f"{__name__}.{module}"), name)
