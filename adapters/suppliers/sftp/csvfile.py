"""The PO as the CSV file dropped on a supplier's SFTP server: a header row, then one row per
PO line, in the columns the supplier chose (`transport.columns`).

A cancellation is a file of its own whose rows say `kind` = cancel: the PO's lines when the
document still lists them, else the cancelled lines from its changes, else one row naming the
PO. Without prices (blind ship) the price columns are left out rather than blanked, since a
blank price can be read as "free".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from connector.channels import PermanentError, PurchaseOrderDocument


@dataclass(frozen=True)
class Row:
    supplier_sku: str | None = None
    sku: str | None = None
    name: str | None = None
    quantity: int | None = None
    unit_cost: Decimal | None = None


def money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _total(row: Row) -> Decimal | None:
    if row.unit_cost is None or row.quantity is None:
        return None
    return row.unit_cost * row.quantity


Cell = Callable[[PurchaseOrderDocument, Row], object]

COLUMNS: dict[str, Cell] = {
    "po_number": lambda po, row: po.number,
    "revision": lambda po, row: po.revision,
    "kind": lambda po, row: po.kind,
    "supplier_sku": lambda po, row: row.supplier_sku,
    "sku": lambda po, row: row.sku,
    "name": lambda po, row: row.name,
    "quantity": lambda po, row: row.quantity,
    "unit_cost": lambda po, row: money(row.unit_cost),
    "line_total": lambda po, row: money(_total(row)),
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
    if unknown or not columns:
        what = f"unknown column {', '.join(map(repr, unknown))}" if unknown else "no columns"
        raise PermanentError(f"{where}: {what} (choose from {', '.join(COLUMNS)})")
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
        writer.writerow("" if value is None else value for value in values)
    return out.getvalue().encode("utf-8")
