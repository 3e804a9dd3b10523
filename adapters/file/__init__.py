"""The `file` store platform: orders from a JSON file, for stores without an adapter.

The names below are loaded when first used: the platform's entry point (`platform`) lives in
this package and is imported for every command, `tandem --help` too (issue 14)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tandem.adapters.file.orders import OrdersFile, parse_order, read_orders_file

__all__ = ["OrdersFile", "parse_order", "read_orders_file"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.orders"), name)
