"""The Admin API access scopes Tandem's documents need, and which of them a token lacks.

Each scope is named with what needs it (adapters/shopify/documents.py). A `write_` scope
grants its `read_` scope too, as on Shopify.
"""

from __future__ import annotations

from collections.abc import Iterable

from tandem.connector.configuration import TandemConfig

ALWAYS = {
    "read_orders": "reading orders (polling, webhooks)",
    "write_orders": "PO numbers and status as order tags and the tandem.purchase_orders metafield",
    "read_products": "the products and variants of order lines (fulfilment mode tags)",
    "read_customers": "the customer's tags (fulfilment mode)",
    "read_merchant_managed_fulfillment_orders": "the fulfillment orders a shipment fulfils",
    "write_merchant_managed_fulfillment_orders": "drop-ship tracking as fulfillments",
}
STOCK = {
    "read_inventory": "reading stock at the store location (stock_push)",
    "write_inventory": "setting supplier stock (stock_push)",
    "read_locations": "finding the stock_push location",
}
CONTINUE_SELLING = {
    "write_products": "selling back-to-back variants at zero stock"
    " (stock_push.continue_selling_back_to_back)",
}
# Not needed, but without it polling and backfill see only the last 60 days of orders.
OPTIONAL = {"read_all_orders": "orders older than 60 days (tandem backfill)"}


def needed_scopes(config: TandemConfig | None = None) -> dict[str, str]:
    """Scope -> what needs it, for this configuration (None: with stock push and continue
    selling, as most shops use them)."""
    needed = dict(ALWAYS)
    push = config.store.stock_push if config is not None else None
    if push is None or push.enabled:
        needed.update(STOCK)
        if push is None or push.continue_selling_back_to_back:
            needed.update(CONTINUE_SELLING)
    return needed


def missing_scopes(granted: Iterable[str], needed: Iterable[str]) -> list[str]:
    have = set(granted)
    have |= {"read_" + s.removeprefix("write_") for s in have if s.startswith("write_")}
    return [s for s in needed if s not in have]
