"""PO CSVs are safe to open in a spreadsheet: what a customer typed never runs as a formula,
and numbers and phone numbers still read as they were written."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from tandem.adapters.suppliers.csvfile import render_csv
from tests.suppliers.rest.documents import CUSTOMER, document

COLUMNS = ["po_number", "name", "quantity", "unit_cost", "ship_to_name", "ship_to_phone"]


def cells(name: str, phone: str | None) -> dict[str, str]:
    ship_to = replace(CUSTOMER, name=name, phone=phone)
    raw = render_csv(document(ship_to=ship_to), COLUMNS)
    return next(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


def test_a_name_that_starts_like_a_formula_is_written_as_text() -> None:
    for typed in (
        '=HYPERLINK("http://x.example","click")',
        "@SUM(A1)",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "\t=1+1",
    ):
        row = cells(typed, None)
        assert row["ship_to_name"] == "'" + typed, typed


def test_numbers_phones_and_ordinary_names_are_left_as_they_are() -> None:
    row = cells("Zoë O'Brien-Smith", "+44 113 000 0000")
    assert row["ship_to_name"] == "Zoë O'Brien-Smith"
    assert row["ship_to_phone"] == "+44 113 000 0000"
    assert row["quantity"] == "2" and row["unit_cost"] == "12.50"
    assert cells("Ada", "-(0)20 7946 0000")["ship_to_phone"] == "-(0)20 7946 0000"
