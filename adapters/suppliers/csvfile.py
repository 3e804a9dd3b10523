"""A PO as a CSV file, the same for every channel that sends one (the email attachment, the
SFTP drop): a header row, then one row per PO line, in the columns the supplier chose
(`csv_columns` for email, `columns` for SFTP).

A cancellation lists what is cancelled, each row with `kind` = cancel: the PO's lines when
the document still lists them, else the cancelled lines from its changes, else one row naming
the PO. Without prices (blind ship) the price columns are left out rather than blanked,
since a blank price can be read as "free". Columns are checked when a channel is made
(`check_columns`), so `tandem config check` lists a typo with the names to choose from.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from tandem.adapters.suppliers.money import money
from tandem.connector.channels import PermanentError, PurchaseOrderDocument


@dataclass(frozen=True)
class Row:
    supplier_sku: str | None = None
    sku: str | None = None
    name: str | None = None
    quantity: int | None = None
    unit_cost: Decimal | None = None

    @property
    def total(self) -> Decimal | None:
        if self.unit_cost is None or self.quantity is None:
            return None
        return self.unit_cost * self.quantity


def _money(value: Decimal | None) -> str | None:
    return None if value is None else money(value)


Cell = Callable[[PurchaseOrderDocument, Row], object]

COLUMNS: dict[str, Cell] = {
    "po_number": lambda po, row: po.number,
    "revision": lambda po, row: po.revision,
    "kind": lambda po, row: po.kind,
    "supplier_sku": lambda po, row: row.supplier_sku,
    "sku": lambda po, row: row.sku,
    "name": lambda po, row: row.name,
    "quantity": lambda po, row: row.quantity,
    "unit_cost": lambda po, row: _money(row.unit_cost),
    "line_total": lambda po, row: _money(row.total),
    "currency": lambda po, row: po.currency,
    "ship_to_name": lambda po, row: po.ship_to.name,
    "ship_to_company": lambda po, row: po.ship_to.company,
    "ship_to_address1": lambda po, row: po.ship_to.address1,
    "ship_to_address2": lambda po, row: po.ship_to.address2,
    "ship_to_city": lambda po, row: po.ship_to.city,
    "ship_to_zip": lambda po, row: po.ship_to.zip,
    "ship_to_province": lambda po, row: po.ship_to.province,
    "ship_to_country": lambda po, row: po.ship_to.country_code or po.ship_to.country,
    "ship_to_phone": lambda po, row: po.ship_to.phone,
}
PRICE_COLUMNS = frozenset({"unit_cost", "line_total"})


def check_columns(columns: Sequence[str], where: str) -> list[str]:
    """The columns as given, or PermanentError naming every unknown one and the choices."""
    unknown = [c for c in columns if c not in COLUMNS]
    choices = f"(choose from {', '.join(COLUMNS)})"
    if unknown:
        names = ", ".join(repr(c) for c in unknown)
        plural = "s" if len(unknown) > 1 else ""
        raise PermanentError(f"{where}: unknown CSV column{plural} {names} {choices}")
    if not columns:
        raise PermanentError(f"{where}: no columns given {choices}")
    return list(columns)


def rows(document: PurchaseOrderDocument) -> list[Row]:
    lines = [
        Row(line.supplier_sku, line.sku, line.name, line.quantity, line.unit_cost)
        for line in document.lines
    ]
    if lines or document.kind != "cancel":
        return lines
    cancelled = [
        Row(c.supplier_sku, None, c.name, c.old_quantity)
        for c in document.changes
        if c.supplier_sku is not None
    ]
    return cancelled or [Row()]


def render_csv(
    document: PurchaseOrderDocument, columns: Sequence[str], delimiter: str = ","
) -> bytes:
    """UTF-8 CSV with a header row and CRLF line ends (RFC 4180)."""
    shown = [c for c in columns if not (document.blind_ship and c in PRICE_COLUMNS)]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(shown)
    for row in rows(document):
        values = (COLUMNS[c](document, row) for c in shown)
        writer.writerow("" if value is None else inert(value) for value in values)
    return out.getvalue().encode("utf-8")


# A number or phone number (-2, +33 1 23 45 67 89) a spreadsheet reads as it is.
_PLAIN_SIGNED = re.compile(r"[+-][\d\s().]*")


def inert(value: object) -> object:
    """The cell as a spreadsheet shows it and never runs: text a customer or supplier typed
    that starts like a formula (=, @, a tab or carriage return, or + and - before anything
    but a number) is led by an apostrophe, which spreadsheets read as "this is text"."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=@\t\r" or (value[0] in "+-" and not _PLAIN_SIGNED.fullmatch(value)):
        return "'" + value
    return value
