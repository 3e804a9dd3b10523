"""The `file` store platform: orders from a JSON file, for stores without an adapter."""

from tandem.adapters.file.orders import OrdersFile, parse_order, read_orders_file

__all__ = ["OrdersFile", "parse_order", "read_orders_file"]
