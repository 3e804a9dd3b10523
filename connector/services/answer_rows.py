"""A supplier's answer file (CSV: acknowledgements, shipments, refusals) read into answers.

Each row names a PO and says what happened to it, in the supplier's columns and words. Rows
that belong together become one answer: every acknowledgement of a PO is one confirmation
(with the ship date of each line named), the rows of a PO with the same tracking numbers are
one parcel of several lines, the refusals of a PO one refusal (of the lines named, or the whole
PO when a row names none).

Cells are text, never formulas: a cell that starts with `=` stays a string, and one that does
not look like what its column holds (a tracking number, a date, a quantity) makes its row bad.
A bad row is reported with its line and a bounded quote; the good rows around it still count.
A file that cannot be read at all (not UTF-8, no PO column, too many rows) is an
UnreadableFile.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from tandem.connector.configuration.answers import (
    ANSWER_COLUMNS,
    DEFAULT_ANSWER_STATUSES,
    AnswerStatus,
)
from tandem.connector.errors import TandemError
from tandem.connector.services.shipments import ShippedLine
from tandem.connector.services.supplier_answers import Action, Confirm, Refuse, Ship

QUOTE_CHARS = 200
MAX_CELL = 500
_TRACKING = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{2,59}")
_SEPARATORS = re.compile(r"[\s;|]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
csv.field_size_limit(MAX_CELL * 20)  # a runaway quoted cell is an error, not a memory hog


class UnreadableFile(TandemError):
    """Nothing in the file can be read; the message says why."""


@dataclass(frozen=True)
class BadRow:
    lines: tuple[int, ...]
    reason: str
    quote: str


@dataclass(frozen=True)
class FileAnswer:
    """One answer read from the file: the lines it came from and what it says."""

    lines: tuple[int, ...]
    po_number: str
    action: Action
    quote: str  # its first row, bounded
    every_line_ships: date | None = None  # a confirmation's date for the lines not named


@dataclass
class AnswerFile:
    answers: list[FileAnswer] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    rows: int = 0


@dataclass
class _Row:
    line: int
    quote: str
    po: str
    status: AnswerStatus
    sku: str
    quantity: int | None
    tracking: tuple[str, ...]
    carrier: str
    urls: tuple[str, ...]
    ship_date: date | None
    reason: str


def quote_row(cells: list[str], delimiter: str) -> str:
    text = _CONTROL.sub(" ", delimiter.join(cells))
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def read_answer_file(
    content: bytes,
    columns: Mapping[str, str],
    *,
    delimiter: str = ",",
    statuses: Mapping[str, AnswerStatus] = DEFAULT_ANSWER_STATUSES,
    max_rows: int = 100_000,
) -> AnswerFile:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        raise UnreadableFile(f"line {line} is not UTF-8 text (byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise UnreadableFile("empty: no header row")
        where = _header_positions(header, columns)
        result = AnswerFile()
        rows: list[_Row] = []
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            result.rows += 1
            if result.rows > max_rows:
                raise UnreadableFile(f"more than {max_rows} rows (max_rows); split the file")
            quote = quote_row(cells, delimiter)
            if len(cells) != len(header):
                reason = f"{len(cells)} cells where the header has {len(header)}"
                result.bad.append(BadRow((line,), reason, quote))
                continue
            try:
                rows.append(_read_row(cells, where, line, quote, statuses))
            except ValueError as exc:
                result.bad.append(BadRow((line,), str(exc), quote))
    except csv.Error as exc:
        raise UnreadableFile(f"line {reader.line_num}: not CSV ({exc})") from None
    _group(rows, result)
    return result


def _header_positions(header: list[str], columns: Mapping[str, str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    where: dict[str, int] = {}
    for ours in ANSWER_COLUMNS:
        theirs = columns.get(ours, ours).strip().lower()
        if theirs in names:
            where[ours] = names.index(theirs)
    if "po_number" not in where:
        wanted = columns.get("po_number", "po_number")
        raise UnreadableFile(
            f"no {wanted!r} column in the header ({quote_row(header, ',')});"
            " set transport.answers.columns"
        )
    if "status" not in where and "tracking_number" not in where:
        raise UnreadableFile("neither a status nor a tracking_number column in the header")
    return where


def _read_row(
    cells: list[str],
    where: Mapping[str, int],
    line: int,
    quote: str,
    statuses: Mapping[str, AnswerStatus],
) -> _Row:
    def cell(name: str) -> str:
        value = cells[where[name]].strip() if name in where else ""
        if len(value) > MAX_CELL:
            raise ValueError(f"{name} is longer than {MAX_CELL} characters")
        return value

    po = cell("po_number")
    if not po:
        raise ValueError("no PO number")
    tracking = tuple(t for t in _SEPARATORS.split(cell("tracking_number")) if t)
    for number in tracking:
        if not _TRACKING.fullmatch(number):
            raise ValueError(f"{number!r} does not look like a tracking number")
    word = cell("status").lower()
    status = statuses.get(word) or statuses.get(word.replace(" ", "_"))
    if status is None and not word and tracking:
        status = "shipped"
    if status is None:
        raise ValueError(f"status {word!r} is not one Tandem knows" if word else "no status")
    if status == "shipped" and not tracking:
        raise ValueError("shipped without a tracking number")
    urls = tuple(u for u in _SEPARATORS.split(cell("tracking_url")) if u)
    for url in urls:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"tracking_url {url!r} is not a web address")
    return _Row(
        line=line,
        quote=quote,
        po=po,
        status=status,
        sku=cell("sku"),
        quantity=_quantity(cell("quantity")),
        tracking=tracking,
        carrier=cell("carrier"),
        urls=urls,
        ship_date=_date(cell("ship_date")),
        reason=cell("reason"),
    )


def _quantity(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) <= 1_000_000:
        raise ValueError(f"quantity {value!r} is not a whole number from 1 to 1000000")
    return int(value)


def _date(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"ship_date {value!r} is not a date (YYYY-MM-DD)") from None


def _group(rows: list[_Row], result: AnswerFile) -> None:
    """Rows that belong together, as answers in the order their first row came."""
    groups: dict[tuple[str, ...], list[_Row]] = {}
    for row in rows:
        key = (row.status, row.po, *(row.tracking if row.status == "shipped" else ()))
        groups.setdefault(key, []).append(row)
    for group in groups.values():
        first = group[0]
        lines = tuple(r.line for r in group)
        if first.status == "acknowledged":
            dates: dict[str, date] = {}
            undated: list[date] = []
            for r in group:
                if r.ship_date is not None:
                    if r.sku:
                        dates[r.sku] = r.ship_date
                    else:
                        undated.append(r.ship_date)
            action: Action = Confirm(dates)
            result.answers.append(
                FileAnswer(lines, first.po, action, first.quote, max(undated, default=None))
            )
        elif first.status == "refused":
            skus = tuple(dict.fromkeys(r.sku for r in group))
            reason = "; ".join(dict.fromkeys(r.reason for r in group if r.reason))
            action = Refuse(() if "" in skus else skus, reason)
            result.answers.append(FileAnswer(lines, first.po, action, first.quote))
        else:
            _parcel(group, result)


def _parcel(group: list[_Row], result: AnswerFile) -> None:
    named = [r for r in group if r.sku]
    for row in named:
        if row.quantity is None:
            result.bad.append(BadRow((row.line,), f"no quantity for {row.sku}", row.quote))
    if named and len(named) < len(group):
        for row in group:
            if not row.sku:
                reason = "no sku, where other rows of this parcel name theirs"
                result.bad.append(BadRow((row.line,), reason, row.quote))
    shipped: dict[str, int] = {}
    for row in named:
        if row.quantity is not None:
            shipped[row.sku] = shipped.get(row.sku, 0) + row.quantity
    lines = tuple(r.line for r in (named or group) if r.quantity is not None or not r.sku)
    if named and not shipped:
        return  # every row of the parcel was bad
    first = group[0]
    action = Ship(
        first.tracking,
        tuple(ShippedLine(sku, quantity) for sku, quantity in shipped.items()),
        carrier=next((r.carrier for r in group if r.carrier), None),
        tracking_urls=tuple(dict.fromkeys(u for r in group for u in r.urls)),
    )
    result.answers.append(FileAnswer(lines, first.po, action, first.quote))
