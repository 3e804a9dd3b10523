"""The Shopify store platform: GraphQL Admin API client, order mapping, webhooks, write-backs."""

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
