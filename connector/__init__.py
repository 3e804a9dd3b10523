"""Tandem: storefront orders in, purchase orders to suppliers out, status back to the store."""

__version__ = "0.1.0"
