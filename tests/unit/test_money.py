"""One way to write an amount, shared by the supplier's documents, the dashboard and the CLI:
at least two decimals, every decimal the amount has, never rounded, never an exponent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tandem.adapters.suppliers import money as supplier_money
from tandem.connector.cli import output
from tandem.connector.money import money
from tandem.connector.web.dashboard import web


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0.125", "0.125"),
        ("12.5", "12.50"),
        ("12.500", "12.50"),
        ("3", "3.00"),
        ("1E+3", "1000.00"),
        ("0.0000001", "0.0000001"),
        ("-0.10", "-0.10"),
        ("1234567.891", "1234567.891"),
    ],
)
def test_an_amount_keeps_every_decimal_it_has_and_at_least_two(amount: str, shown: str) -> None:
    assert money(Decimal(amount)) == shown
    assert money(Decimal(amount), "EUR") == f"{shown} EUR"


def test_the_supplier_documents_the_dashboard_and_the_cli_share_the_one_formatter() -> None:
    assert supplier_money.money is money
    assert web.money_or_dash(Decimal("0.125"), "USD") == "0.125 USD"
    assert web.money_or_dash(None) == "—"
    po = {
        "id": 1,
        "number": "PO-1",
        "supplier": "acme",
        "mode": "back_to_back",
        "status": "sent",
        "ship_to": {},
        "currency": "USD",
        "total": Decimal("0.125"),
        "lines": [],
    }
    table = output.po_table([po])
    assert list(table.columns[6].cells) == ["0.125 USD"]
