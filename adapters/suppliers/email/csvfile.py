"""The PO as a CSV attachment: one row per PO line, the columns a supplier chose.

Columns are checked when the channel is made, so `tandem config check` reports a typo in
`csv_columns` with the list of valid names, and dispatch stops that supplier's POs with it
instead of sending a file without the column. Without prices (blind ship) the
price columns are left out, not blanked: a blank price can be read as "free".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from adapters.suppliers.email.errors import EmailSetupError
from adapters.suppliers.email.render import money
from connector.channels import DocumentLine, PurchaseOrderDocument

Cell = Callable[[PurchaseOrderDocument, DocumentLine], object]

COLUMNS: dict[str, Cell] = {
    "po_number": lambda po, line: po.number,
    "revision": lambda po, line: po.revision,
    "supplier_sku": lambda po, line: line.supplier_sku,
    "sku": lambda po, line: line.sku,
    "name": lambda po, line: line.name,
    "quantity": lambda po, line: line.quantity,
    "unit_cost": lambda po, line: money(line.unit_cost),
    "line_total": lambda po, line: money(line.total),
    "currency": lambda po, line: po.currency,
    "ship_to_name": lambda po, line: po.ship_to.name,
    "ship_to_address1": lambda po, line: po.ship_to.address1,
    "ship_to_city": lambda po, line: po.ship_to.city,
    "ship_to_zip": lambda po, line: po.ship_to.zip,
    "ship_to_country": lambda po, line: po.ship_to.country_code or po.ship_to.country,
}
PRICE_COLUMNS = frozenset({"unit_cost", "line_total"})


def check_columns(columns: Sequence[str], where: str) -> list[str]:
    """The columns as given, or `EmailSetupError` naming every unknown one."""
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        names = ", ".join(repr(c) for c in unknown)
        raise EmailSetupError(
            f"{where}: unknown CSV column{'s' if len(unknown) > 1 else ''} {names} "
            f"(choose from {', '.join(COLUMNS)})"
        )
    if not columns:
        raise EmailSetupError(f"{where}: csv_columns is empty (choose from {', '.join(COLUMNS)})")
    return list(columns)


def shown_columns(columns: Sequence[str], *, blind: bool) -> list[str]:
    return [c for c in columns if not (blind and c in PRICE_COLUMNS)]


def render_csv(document: PurchaseOrderDocument, columns: Sequence[str], *, blind: bool) -> bytes:
    """UTF-8 CSV with a header row and CRLF line ends (RFC 4180)."""
    shown = shown_columns(columns, blind=blind)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(shown)
    for line in document.lines:
        row = (COLUMNS[c](document, line) for c in shown)
        writer.writerow("" if value is None else value for value in row)
    return out.getvalue().encode("utf-8")
