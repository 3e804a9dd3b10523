"""The Shopify store platform: GraphQL Admin API client, order mapping, webhooks, write-backs."""

from adapters.shopify.client import ShopifyClient
from adapters.shopify.errors import (
    AuthError,
    RequestError,
    RetryableError,
    ShopifyError,
    Throttled,
    Unavailable,
    UserErrors,
)
from adapters.shopify.mapper import map_order

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
