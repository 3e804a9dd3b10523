"""The pytest side of the Shopify stand-in; the stand-in itself is `tandem_shopify_standin`.

`shopify_standin` gives one server per test process, emptied (`reset()`) and set back to the
defaults for every test. It serves the real 2026-07 Admin schema when this machine has it
(`../shared` or `TANDEM_SHOPIFY_SCHEMA`) and the packaged demo subset otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tandem_shopify_standin import (
    DEFAULTS,
    INVALID_TOKEN,
    RequestRecord,
    ShopifyStandin,
    VariantIds,
)

__all__ = [
    "DEFAULTS",
    "INVALID_TOKEN",
    "RequestRecord",
    "ShopifyStandin",
    "VariantIds",
    "shopify_standin",
]


@pytest.fixture
def shopify_standin() -> Iterator[ShopifyStandin]:
    """The process-wide stand-in, emptied and set back to the defaults for each test
    (2000-point bucket, 100 points/s); tests may `configure()` it further."""
    shop = ShopifyStandin.shared()
    shop.reset().configure(**DEFAULTS)
    yield shop
    shop.reset()
