"""A supplier's shipments file for many POs: read, checked against its POs, previewed, then
applied shipment by shipment.

Columns (header row, any order, case-insensitive): `po_number` and `tracking_number` always;
`sku` (ours or the supplier's) and `quantity` for a partial shipment — without a SKU, the
row ships everything still open on the PO; `carrier` and `tracking_url` when known. Rows of
one PO with the same tracking number(s) are one parcel; several numbers in one cell
(separated by spaces, commas or semicolons) are one shipment of several parcels.

Every row is checked before anything is applied; a shipment with a bad row is left out and
its rows are named. Each shipment's key is the file's digest and its first row, so applying
the same file again records nothing more.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from tandem.connector.portal.forms import SPLIT, TRACKING
from tandem.connector.services.shipments import SHIPPABLE, ShippedLine, shipped_so_far
from tandem.connector.services.supplier_answers import Ship
from tandem.connector.store import schema as t

MAX_ROWS = 2000
REQUIRED = ("po_number", "tracking_number")
KNOWN = (*REQUIRED, "sku", "quantity", "carrier", "tracking_url")


@dataclass
class Row:
    line: int  # in the file, the header being line 1
    po_number: str
    tracking: tuple[str, ...]
    sku: str
    quantity: str
    carrier: str
    url: str


@dataclass
class PlannedShipment:
    po_number: str
    po_id: int
    rows: list[int]
    ship: Ship
    key: str

    @property
    def what(self) -> str:
        if not self.ship.lines:
            return "everything still open"
        return ", ".join(f"{line.quantity} × {line.sku}" for line in self.ship.lines)


@dataclass
class Preview:
    digest: str
    shipments: list[PlannedShipment] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def digest_of(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def read_rows(content: str) -> tuple[list[Row], list[str]]:
    """The file's rows, and what is wrong with the file or a row's form."""
    sample = content[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(content), dialect)
    try:
        header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    except StopIteration:
        return [], ["The file is empty."]
    except csv.Error as exc:
        return [], [f"line 1: {exc}"]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [f"line 1: no column {', '.join(missing)} (columns: {', '.join(KNOWN)})"]
    where = {name: header.index(name) for name in KNOWN if name in header}
    rows: list[Row] = []
    errors: list[str] = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                errors.append(f"line {number}: more than {MAX_ROWS} rows; send the rest apart")
                break

            def cell(name: str, cells: list[str] = cells) -> str:
                i = where.get(name)
                return cells[i].strip()[:500] if i is not None and i < len(cells) else ""

            tracking = tuple(dict.fromkeys(n for n in SPLIT.split(cell("tracking_number")) if n))
            problem = _row_problem(cell("po_number"), tracking, cell("tracking_url"))
            if problem:
                errors.append(f"line {number}: {problem}")
                continue
            rows.append(
                Row(
                    number,
                    cell("po_number").upper(),
                    tracking,
                    cell("sku"),
                    cell("quantity"),
                    cell("carrier")[:100],
                    cell("tracking_url"),
                )
            )
    except csv.Error as exc:
        errors.append(f"line {reader.line_num}: {exc}")
    return rows, errors


def _row_problem(po_number: str, tracking: tuple[str, ...], url: str) -> str | None:
    if not po_number:
        return "no po_number"
    if not tracking:
        return "no tracking_number"
    bad = next((n for n in tracking if not TRACKING.match(n)), None)
    if bad:
        return f"{bad[:40]!r} does not look like a tracking number"
    if url and not url.startswith(("https://", "http://")):
        return f"tracking_url {url[:60]!r} is not a web address"
    return None


def preview(conn: Connection, supplier_id: str, content: str) -> Preview:
    """What applying the file would record for the supplier, and what is wrong in it."""
    found = Preview(digest_of(content))
    rows, found.errors = read_rows(content)
    groups: dict[tuple[str, tuple[str, ...]], list[Row]] = defaultdict(list)
    for row in rows:
        groups[(row.po_number, row.tracking)].append(row)
    po = t.purchase_orders
    numbers = sorted({row.po_number for row in rows})
    heads = {
        r.number: r
        for r in conn.execute(
            select(po.c.id, po.c.number, po.c.status).where(
                po.c.number.in_(numbers), po.c.supplier_id == supplier_id
            )
        )
    }
    open_units: dict[str, _Open] = {}
    for number, head in heads.items():
        shipped = shipped_so_far(conn, head.id)
        units = _Open({}, {})
        for line in conn.execute(select(t.po_lines).where(t.po_lines.c.po_id == head.id)):
            units.left[line.id] = line.quantity - shipped.get(line.id, 0)
            units.line[line.sku] = units.line[line.supplier_sku] = line.id
        open_units[number] = units
    for (number, tracking), members in groups.items():
        found_head = heads.get(number)
        if found_head is None or found_head.status not in SHIPPABLE:
            why = "is not one of your POs" if found_head is None else f"is {found_head.status}"
            found.errors += [f"line {r.line}: {number} {why}" for r in members]
            continue
        problems, lines = _lines(number, members, open_units[number])
        if problems:
            found.errors += problems
            continue
        carrier = next((r.carrier for r in members if r.carrier), None)
        urls = tuple(dict.fromkeys(r.url for r in members if r.url))
        first = members[0].line
        found.shipments.append(
            PlannedShipment(
                number,
                found_head.id,
                [r.line for r in members],
                Ship(tracking, tuple(lines), carrier, urls),
                f"portal-csv:{supplier_id}:{found.digest[:24]}:{first}",
            )
        )
    found.errors.sort(key=_line_of)
    return found


def _line_of(error: str) -> int:
    head = error.split(":", 1)[0]
    return int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 0


@dataclass
class _Open:
    line: dict[str, int]  # our SKU and the supplier's -> PO line id
    left: dict[int, int]  # PO line id -> units still to ship


def _lines(number: str, members: list[Row], units: _Open) -> tuple[list[str], list[ShippedLine]]:
    problems: list[str] = []
    lines: list[ShippedLine] = []
    for row in members:
        if not row.sku:
            if len(members) > 1:
                problems.append(f"line {row.line}: name the sku (other rows share the parcel)")
            continue
        line_id = units.line.get(row.sku)
        if line_id is None:
            problems.append(f"line {row.line}: {row.sku} is not on {number}")
        elif not row.quantity.isdigit() or int(row.quantity) <= 0:
            problems.append(f"line {row.line}: quantity {row.quantity!r} is not a whole number")
        elif int(row.quantity) > units.left[line_id]:
            problems.append(
                f"line {row.line}: {row.quantity} × {row.sku}, but only"
                f" {units.left[line_id]} still to ship on {number}"
            )
        else:
            units.left[line_id] -= int(row.quantity)
            lines.append(ShippedLine(row.sku, int(row.quantity)))
    return problems, lines
