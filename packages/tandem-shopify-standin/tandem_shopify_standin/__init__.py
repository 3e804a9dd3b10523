"""A local stand-in for the Shopify Admin GraphQL API, for integration tests and `tandem demo`.

`ShopifyStandin` runs a real HTTP server on a loopback port that validates every document
against the 2026-07 Admin schema (or the packaged demo subset when the real one is not on this
machine, see `schema.py`), charges Shopify's calculated query cost against a leaky bucket, and
executes queries and mutations against an in-memory shop. See `shopify.py`.
"""

from tandem_shopify_standin.schema import (
    API_VERSION,
    DEMO_SCHEMA_PATH,
    load_schema,
    real_schema_path,
    schema_path,
    schema_source,
)
from tandem_shopify_standin.server import INVALID_TOKEN, RequestRecord
from tandem_shopify_standin.shopify import DEFAULTS, ShopifyStandin
from tandem_shopify_standin.store import VariantIds

__all__ = [
    "API_VERSION",
    "DEFAULTS",
    "DEMO_SCHEMA_PATH",
    "INVALID_TOKEN",
    "RequestRecord",
    "ShopifyStandin",
    "VariantIds",
    "load_schema",
    "real_schema_path",
    "schema_path",
    "schema_source",
]
