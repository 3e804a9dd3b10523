"""How Tandem writes an amount, everywhere a person reads one: the documents a supplier receives
(email, PDF, CSV, REST bodies), the dashboard and the command line. One rule for all of them,
so a retailer never reads a price other than the one the supplier was sent."""

from __future__ import annotations

from decimal import Decimal

_CENT = Decimal("0.01")


def money(value: Decimal | float | str, currency: str | None = None) -> str:
    """`12.50`: two decimals, or more where the amount has them, never rounded and never an
    exponent; then the currency when given (`12.50 EUR`).

    A unit cost of 0.125 stays `0.125`: it is the price agreed with the supplier, and
    rounding it to cents would state another one."""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    cents = amount.quantize(_CENT)
    shown = cents if cents == amount else amount.normalize()
    text = f"{shown:f}"
    return f"{text} {currency}" if currency else text
