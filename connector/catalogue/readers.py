"""Reading a supplier catalogue file (CSV, XLSX, JSON) into a table of text.

Every cell stays a string (`"00123"` keeps its zeros; `"12.50"` is parsed exactly later), and
each row carries its place in the file as the user would look for it: CSV "line N" (the header
is line 1), spreadsheet "row N" of the sheet, JSON "item N" (JSON Lines: "line N"). The mapped
columns are renamed to our field names; a file that cannot be read at all raises `InputError`,
while a row that cannot be read as a row (a CSV line with more fields than the header, a JSON
line that is not an object) is set aside in `Table.rejected` and the others are read.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import polars as pl

from tandem.connector.catalogue.limits import (
    check_line_lengths,
    check_lines_on_disk,
    check_row_count,
    check_size,
    check_unpacked,
    read_bounded,
)
from tandem.connector.configuration.model import CatalogueColumns, CatalogueConfig
from tandem.connector.errors import InputError
from tandem.connector.jsonsafe import MAX_DEPTH, JsonDepthError, depth, loads_bounded, nesting
from tandem.connector.text import clean_text

# An array file nests its items one level deeper than JSON Lines; past this it is refused as a
# whole (far below what the parser's recursion takes), an item past MAX_DEPTH alone.
FILE_DEPTH = 200

POSITION = "__position"
FIELDS = tuple(CatalogueColumns.model_fields)
# Without these the rows mean nothing; the others fall back to defaults when unmapped.
REQUIRED = ("supplier_sku", "cost")

Format = Literal["csv", "xlsx", "json"]
_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xlsb": "xlsx",
    ".xls": "xlsx",
    ".ods": "xlsx",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}


@dataclass(frozen=True)
class RowProblem:
    """A row that was not imported: where it is in the file ("line 7") and why."""

    position: str
    reason: str

    def __str__(self) -> str:
        return f"{self.position}: {self.reason}"


@dataclass
class Table:
    """The mapped columns of a file, as text, plus `POSITION` (the number in `unit`s)."""

    frame: pl.DataFrame
    unit: str  # "line", "row" or "item"
    headers: dict[str, str]  # our field -> the file's column name, for messages
    rejected: list[RowProblem] = field(default_factory=list)  # rows unreadable as such


def read_catalogue_bytes(path: Path, options: CatalogueConfig) -> bytes:
    """The file's bytes, within the supplier's bounds: its size, and for a CSV the length of
    each line, checked on disk before anything is held in memory."""
    if file_format(path, options) == "csv":
        check_lines_on_disk(path, csv_separator(path, options), options.max_field_bytes)
    return read_bytes(path, options.max_file_bytes)


def csv_separator(path: Path, options: CatalogueConfig) -> str:
    if path.suffix.lower() == ".tsv" and "delimiter" not in options.model_fields_set:
        return "\t"  # what the extension promises, unless the configuration says otherwise
    return options.delimiter


def read_table(path: Path, options: CatalogueConfig, data: bytes | None = None) -> Table:
    """Read `path` (or its already-read bytes `data`) with the supplier's options."""
    if data is None:
        data = read_catalogue_bytes(path, options)
    check_size(path, data, options.max_file_bytes)
    kind = file_format(path, options)
    if kind == "csv":
        table = _read_csv(path, data, options)
    elif kind == "xlsx":
        table = _read_sheet(path, data, options)
    else:
        table = _read_json(path, data, options)
    if kind != "csv" or b"\x00" in data:  # a CSV file without a NUL byte has none in a cell
        table = _without_nul(table)
    return _without_long_values(table, options.max_field_bytes)


def read_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """The file's bytes; refused past `max_bytes` (catalogue.max_file_bytes) when given."""
    if max_bytes is not None:
        return read_bounded(path, max_bytes)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None


def file_format(path: Path, options: CatalogueConfig) -> Format:
    if options.format is not None:
        return options.format
    kind = _EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            str(path),
            [
                f"cannot tell the format from the extension {path.suffix or '(none)'!r};"
                " set catalogue.format to csv, xlsx or json"
            ],
        )
    return kind


def mapped_columns(columns: CatalogueColumns, headers: list[str], path: Path) -> dict[str, str]:
    """Our field -> the file's header for each mapped field. A column named in the
    configuration must exist; optional fields left at their default name are used when present.
    Headers match exactly, else ignoring case and surrounding spaces."""
    by_folded = {h.strip().casefold(): h for h in reversed(headers)}
    found: dict[str, str] = {}
    missing: list[str] = []
    for name in FIELDS:
        wanted = getattr(columns, name)
        if wanted is None:
            continue
        header = wanted if wanted in headers else by_folded.get(wanted.strip().casefold())
        if header is not None:
            found[name] = header
        elif name in REQUIRED or name in columns.model_fields_set:
            missing.append(wanted)
    if missing:
        listed = ", ".join(repr(h) for h in headers) or "none"
        raise InputError(
            str(path),
            [f"no column {' or '.join(repr(m) for m in missing)} (the file has {listed})"],
        )
    return found


def _without_nul(table: Table) -> Table:
    """NUL characters dropped from every cell: PostgreSQL refuses them in text."""
    table.frame = table.frame.with_columns(
        pl.col(c).str.replace_all("\x00", "", literal=True)
        for c in table.frame.columns
        if c != POSITION
    )
    return table


def _without_long_values(table: Table, max_bytes: int) -> Table:
    """Rows with a value longer than `max_bytes` set aside by position, the others kept."""
    fields = [c for c in table.frame.columns if c != POSITION]
    if not fields:
        return table
    long = pl.any_horizontal(
        (pl.col(c).str.len_bytes() > max_bytes).fill_null(False) for c in fields
    )
    flagged = table.frame.filter(long)
    if flagged.height == 0:
        return table
    for row in flagged.iter_rows(named=True):
        name = next(c for c in fields if row[c] is not None and len(row[c].encode()) > max_bytes)
        size = len(row[name].encode())
        table.rejected.append(
            RowProblem(
                f"{table.unit} {row[POSITION]}",
                f"{table.headers.get(name, name)} is {size:,} bytes,"
                f" more than catalogue.max_field_bytes ({max_bytes:,})",
            )
        )
    table.frame = table.frame.filter(~long)
    return table


def _select(frame: pl.DataFrame, headers: dict[str, str]) -> pl.DataFrame:
    return frame.select(
        pl.col(POSITION).cast(pl.Int64),
        *(pl.col(header).alias(name) for name, header in headers.items()),
    )


# --- CSV -------------------------------------------------------------------------------------


def _read_csv(path: Path, data: bytes, options: CatalogueConfig) -> Table:
    source, encoding = _csv_source(path, data, options.encoding)
    separator = csv_separator(path, options)
    check_line_lengths(path, source, separator, options.max_field_bytes)
    try:
        frame = _parse_csv(
            path, source, separator, encoding, truncate=False, max_rows=options.max_rows
        )
    except _RaggedLines:
        return _read_ragged_csv(path, source, separator, encoding, options)
    check_row_count(path, frame.height, options.max_rows)
    headers = mapped_columns(options.columns, frame.columns, path)
    # Empty lines above the header and quoted values spanning lines (in the header too) move
    # every later row down; count them so positions are the lines an editor shows.
    first = 2 + _blank_lines_on_top(source) + sum(c.count("\n") for c in frame.columns)
    broken = [c for c in frame.columns if frame[c].str.contains("\n", literal=True).any()]
    position = pl.int_range(pl.len(), dtype=pl.Int64) + first
    if broken:
        breaks = pl.sum_horizontal(
            pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in broken
        )
        position = position + breaks.cum_sum().shift(1, fill_value=0)
    frame = frame.with_columns(position.cast(pl.Int64).alias(POSITION))
    return Table(_select(frame, headers), "line", headers)


class _RaggedLines(Exception):
    """A line has more fields than the header: polars cannot say which."""


def _parse_csv(
    path: Path, source: bytes, separator: str, encoding: str, *, truncate: bool, max_rows: int
) -> pl.DataFrame:
    """Every cell as text, up to one row past `max_rows` (for the caller to refuse). With
    `truncate`, fields beyond the header's are dropped; without, a line holding them raises
    `_RaggedLines`."""
    try:
        return pl.read_csv(
            source,
            separator=separator,
            infer_schema=False,
            encoding=encoding,
            raise_if_empty=True,
            truncate_ragged_lines=truncate,
            n_rows=max_rows + 1,
        )
    except pl.exceptions.NoDataError:
        raise InputError(str(path), ["the file is empty (no header line)"]) from None
    except pl.exceptions.PolarsError as exc:
        if not truncate and "more fields" in str(exc):
            raise _RaggedLines from None
        raise InputError(str(path), [_csv_error(path, source, exc)]) from None


def _read_ragged_csv(
    path: Path, source: bytes, separator: str, encoding: str, options: CatalogueConfig
) -> Table:
    """A CSV file where some lines have more fields than the header. Those whose extra fields
    hold anything are rejected by line number; trailing empty fields are let through. Python's
    csv module finds them and the line each record starts on, as it splits records the same way
    as polars (quotes, quoted line breaks, blank lines)."""
    frame = _parse_csv(path, source, separator, encoding, truncate=True, max_rows=options.max_rows)
    check_row_count(path, frame.height, options.max_rows)
    headers = mapped_columns(options.columns, frame.columns, path)
    records = _csv_records(source, separator, len(frame.columns))
    if records is None or len(records.starts) != frame.height:
        raise InputError(str(path), [_RAGGED])
    width = len(frame.columns)
    rejected = [
        RowProblem(
            f"line {records.starts[index]}",
            f"{fields} fields where the header has {width}"
            f" (is a {separator!r} inside a value not quoted?)",
        )
        for index, fields in records.long.items()
    ]
    frame = (
        frame.with_columns(pl.Series(POSITION, records.starts, dtype=pl.Int64))
        .with_row_index("__record")
        .filter(~pl.col("__record").is_in(list(records.long)))
        .drop("__record")
    )
    return Table(_select(frame, headers), "line", headers, rejected)


_RAGGED = "a line has more fields than the header; is the delimiter right?"


@dataclass
class _Records:
    starts: list[int]  # the line each record after the header starts on
    long: dict[int, int]  # record index -> its field count, where the extra fields hold text


def _csv_records(source: bytes, separator: str, width: int) -> _Records | None:
    """Where each record after the header starts, and which have more than `width` fields
    with something in the extra ones; None when Python's csv module cannot split the file."""
    text = source.decode("utf-8", errors="replace").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    records = _Records([], {})
    header_seen = False
    previous = 0
    try:
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not header_seen:
                header_seen = bool(record)  # polars skips blank lines above the header
                continue
            if len(record) > width and any(v.strip() for v in record[width:]):
                records.long[len(records.starts)] = len(record)
            records.starts.append(start)
    except csv.Error:
        return None
    return records


def _blank_lines_on_top(source: bytes) -> int:
    """Empty lines before the header, which polars skips without counting them."""
    at = 3 if source.startswith(codecs.BOM_UTF8) else 0
    count = 0
    while True:
        if source.startswith(b"\n", at):
            at += 1
        elif source.startswith(b"\r\n", at):
            at += 2
        else:
            return count
        count += 1


def _csv_source(path: Path, data: bytes, encoding: str) -> tuple[bytes, str]:
    """The bytes polars reads and its encoding: UTF-8 directly (strict or lossy), any other
    codec Python knows decoded here first."""
    label = encoding.strip().lower().replace("_", "-")
    if label in {"utf8-lossy", "utf-8-lossy"}:
        return data, "utf8-lossy"
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        raise InputError(str(path), [f"unknown encoding {encoding!r}"]) from None
    if codec == "utf-8":
        return data, "utf8"
    if codec in {"latin-1", "iso8859-1", "ascii", "cp1252"}:
        # What is labelled Latin-1 is nearly always Windows-1252 (the euro sign is 0x80), as
        # browsers assume; bytes Windows-1252 leaves undefined fall back to Latin-1.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    else:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise InputError(
                str(path), [f"line {line}: not {encoding} text ({exc.reason})"]
            ) from None
    return text.lstrip("\ufeff").encode("utf-8"), "utf8"


def _csv_error(path: Path, data: bytes, exc: Exception) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        line = data.count(b"\n", 0, bad.start) + 1
        return (
            f"line {line}: not UTF-8 text; set catalogue.encoding (for example latin-1)"
            " if the file uses another encoding"
        )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "more fields" in first:
        return _RAGGED
    return f"cannot read as CSV: {first}"


# --- Spreadsheets (calamine reads xlsx, xlsm, xlsb, xls and ods) -------------------------------


def _read_sheet(path: Path, data: bytes, options: CatalogueConfig) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    check_unpacked(path, data, options.max_unpacked_bytes)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = _sheet(path, book, options.sheet)
        cells: list[list[Any]] = sheet.to_python(skip_empty_area=False)
    except InputError:
        raise
    except (CalamineError, ValueError, OSError) as exc:
        raise InputError(str(path), [f"cannot read as a spreadsheet: {exc}"]) from None
    top = next((i for i, row in enumerate(cells) if any(_cell(v) for v in row)), None)
    if top is None:
        raise InputError(str(path), ["the sheet is empty (no header row)"])
    check_row_count(path, len(cells) - top - 1, options.max_rows)
    names = [_cell(v) or f"column {i + 1}" for i, v in enumerate(cells[top])]
    headers = mapped_columns(options.columns, names, path)
    wanted = [names.index(h) for h in headers.values()]
    positions: list[int] = []
    values: list[list[str | None]] = [[] for _ in wanted]
    for number, row in enumerate(cells[top + 1 :], start=top + 2):
        picked = [_cell(row[i]) if i < len(row) else None for i in wanted]
        positions.append(number)
        for column, value in zip(values, picked, strict=True):
            column.append(value)
    frame = pl.DataFrame(
        {POSITION: positions} | {name: values[i] for i, name in enumerate(headers)},
        schema={POSITION: pl.Int64} | dict.fromkeys(headers, pl.String),
    )
    return Table(frame, "row", headers)


def _sheet(path: Path, book: Any, wanted: str | int | None) -> Any:
    names: list[str] = book.sheet_names
    if wanted is None:
        return book.get_sheet_by_index(0)
    if isinstance(wanted, int):
        # Counted as people count sheet tabs: 1 is the first.
        if not 1 <= wanted <= len(names):
            raise InputError(
                str(path), [f"no sheet {wanted}: the workbook has {len(names)} (1 is the first)"]
            )
        return book.get_sheet_by_index(wanted - 1)
    if wanted not in names:
        listed = ", ".join(repr(n) for n in names)
        raise InputError(str(path), [f"no sheet {wanted!r} (the workbook has {listed})"])
    return book.get_sheet_by_name(wanted)


def _cell(value: Any) -> str | None:
    """A spreadsheet cell as the text the user sees: 3.0 -> "3", 19.99 -> "19.99"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # Spreadsheets keep 15 significant digits and show no more, so a computed price
        # stored as 23.987999999999996 is the 23.988 the user sees; Decimal avoids "1e-07".
        return format(Decimal(f"{value:.15g}"), "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


# --- JSON ------------------------------------------------------------------------------------


def _read_json(path: Path, data: bytes, options: CatalogueConfig) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = data.count(b"\n", 0, exc.start) + 1
        raise InputError(str(path), [f"line {at}: not UTF-8 text"]) from None
    rejected: list[RowProblem] = []
    items: list[tuple[int, Any]] = []
    unit = "item"
    deep_items = False  # JSON Lines: each line is bounded as it is read
    if text.lstrip().startswith("["):
        try:
            # Numbers stay text, so costs keep every digit they were written with.
            loaded = loads_bounded(text, max_depth=FILE_DEPTH, parse_float=str, parse_int=str)
        except json.JSONDecodeError as exc:
            raise InputError(
                str(path), [f"line {exc.lineno}: not valid JSON ({exc.msg})"]
            ) from None
        except JsonDepthError as exc:
            raise InputError(
                str(path), [f"line {exc.line}: nested deeper than {exc.max_depth} levels"]
            ) from None
        items = list(enumerate(loaded, start=1))
        deep_items = nesting(text) > MAX_DEPTH + 1  # else no item can be: none is walked
    else:
        unit = "line"  # JSON Lines: one object per line
        # Split on "\n" only: `splitlines` also breaks at U+2028 and other characters JSON
        # strings may hold as they are, and editors do not count as new lines.
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                items.append((number, loads_bounded(line, parse_float=str, parse_int=str)))
            except json.JSONDecodeError as exc:
                rejected.append(RowProblem(f"line {number}", f"not valid JSON ({exc.msg})"))
            except JsonDepthError as exc:
                where = f"nested deeper than {exc.max_depth} levels (at column {exc.column})"
                rejected.append(RowProblem(f"line {number}", where))
    check_row_count(path, len(items) + len(rejected), options.max_rows)
    keys: dict[str, None] = {}
    objects: list[tuple[int, dict[str, Any]]] = []
    for number, item in items:
        if isinstance(item, dict) and deep_items and depth(item) > MAX_DEPTH:
            rejected.append(
                RowProblem(f"{unit} {number}", f"nested deeper than {MAX_DEPTH} levels")
            )
        elif isinstance(item, dict):
            objects.append((number, item))
            keys.update(dict.fromkeys(item))
        else:
            rejected.append(RowProblem(f"{unit} {number}", "not a JSON object"))
    if not objects and not rejected:
        raise InputError(str(path), ["no items (expected an array of objects or JSON Lines)"])
    headers = mapped_columns(options.columns, list(keys), path)
    frame = pl.DataFrame(
        {POSITION: [n for n, _ in objects]}
        | {name: [_json_text(o.get(key)) for _, o in objects] for name, key in headers.items()},
        schema={POSITION: pl.Int64} | dict.fromkeys(headers, pl.String),
    )
    return Table(frame, unit, headers, rejected)


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return clean_text(value)  # JSON may hold "\ud800", which no UTF-8 text can
    return clean_text(json.dumps(value, ensure_ascii=False))
