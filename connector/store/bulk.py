"""Many rows in few statements: inserts and updates by key for the planner's and ingest's batches.

On PostgreSQL the rows travel as one JSON document that `json_to_recordset` spreads into typed
rows, so thousands of rows cost one statement, not one each (executemany), and the driver adapts
one string instead of every value. SQLite runs in the process, so its executemany is cheap,
but not SQLAlchemy's work for each row around it: there the rows go to the driver's
executemany as plain tuples. Either way values go through the columns' own types (money, UTC
times, JSON) exactly as a plain insert would take them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Row,
    Table,
    text,
)

# Rows per statement on PostgreSQL: big enough to amortise the round trip, small enough to
# keep each statement's arrays in a few megabytes.
BATCH = 5000


def _columns(table: Table, rows: Sequence[Mapping[str, Any]]) -> list[Column[Any]]:
    names = list(rows[0])
    if any(len(row) != len(names) for row in rows):
        raise ValueError(f"{table.name}: every row must name the same columns")
    return [table.c[name] for name in names]


def _with_defaults(table: Table, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the columns' plain Python defaults filled in (what `insert()` would add)."""
    given = set(rows[0])
    extra = {
        c.name: c.default.arg  # type: ignore[attr-defined]
        for c in table.columns
        if c.name not in given and c.default is not None and c.default.is_scalar
    }
    return [{**row, **extra} for row in rows] if extra else [dict(row) for row in rows]


def _driver_rows(
    conn: Connection, columns: Sequence[Column[Any]], rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    """The rows as the driver takes them: each value through its column's bind processor
    (the one a plain insert uses), a batch's repeated time converted once."""
    dialect = conn.dialect
    steps: list[tuple[str, Callable[[Any], Any] | None]] = []
    for c in columns:
        process = c.type.dialect_impl(dialect).bind_processor(dialect)
        remembered = _remembering(process) if process and not isinstance(c.type, JSON) else None
        steps.append((c.name, remembered or process))
    return [
        tuple(process(row[name]) if process else row[name] for name, process in steps)
        for row in rows
    ]


def _json_default(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _json_text(none_as_null: bool) -> Callable[[Any], str | None]:
    def process(value: Any) -> str | None:
        return None if value is None and none_as_null else json.dumps(value)

    return process


def _remembering(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`process`, answering at once for the value it was given last: a batch's rows mostly
    share one time (`now`), which costs a conversion per row otherwise."""
    last: list[Any] = [object(), None]

    def remembered(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return remembered


def _binder(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What binding a value to `column` makes of it, ready for JSON: JSON as its text (JSON's
    None is the JSON null, as SQLAlchemy stores it, unless the type says none_as_null), times
    and dates in ISO form."""
    if isinstance(column.type, JSON):
        return _json_text(column.type.none_as_null)
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if not isinstance(getattr(column.type, "impl", column.type), DateTime | Date):
        return process

    def iso(value: Any) -> Any:
        bound = process(value) if process else value
        return bound.isoformat() if isinstance(bound, datetime | date) else bound

    return _remembering(iso)


@dataclass(frozen=True)
class _Recordset:
    source: str  # json_to_recordset(...) AS v(...)
    values: dict[str, str]  # column -> the expression of its new value
    params: dict[str, str]


def _recordset(
    conn: Connection, columns: Sequence[Column[Any]], rows: Sequence[Mapping[str, Any]]
) -> _Recordset:
    """The rows as one JSON document of values bound as each column's type binds them; a JSON
    column's value travels as the text its type makes, so it is stored exactly as an insert
    through the table would store it."""
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    steps = [(c.name, _binder(c, dialect)) for c in columns]
    bound = [
        {name: process(row[name]) if process else row[name] for name, process in steps}
        for row in rows
    ]
    document = json.dumps(bound, default=_json_default, separators=(",", ":"))
    shape, values = [], {}
    for c in columns:
        as_json = isinstance(c.type, JSON)
        shape.append(f"{quote(c.name)} {'text' if as_json else c.type.compile(dialect)}")
        values[c.name] = f"CAST(v.{quote(c.name)} AS json)" if as_json else f"v.{quote(c.name)}"
    source = f"json_to_recordset(CAST(:rows AS json)) AS v({', '.join(shape)})"
    return _Recordset(source, values, {"rows": document})


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str] = (),
) -> list[Row[Any]]:
    """Insert `rows` (dicts naming the same columns); with `returning`, those columns of the
    new rows, in no particular order (match them on a unique column)."""
    if not rows:
        return []
    full = _with_defaults(table, rows)
    back = [table.c[name] for name in returning]
    columns = _columns(table, full)
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    if conn.dialect.name != "postgresql":
        if back:
            return list(conn.execute(table.insert().returning(*back), full))
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})",
            _driver_rows(conn, columns, full),
        )
        return []
    tail = f" RETURNING {', '.join(quote(c.name) for c in back)}" if back else ""
    found: list[Row[Any]] = []
    for start in range(0, len(full), BATCH):
        rs = _recordset(conn, columns, full[start : start + BATCH])
        statement = text(
            f"INSERT INTO {quote(table.name)} ({names})"
            f" SELECT {', '.join(rs.values.values())} FROM {rs.source}{tail}"
        )
        if back:
            found.extend(conn.execute(statement.columns(*back), rs.params))
        else:
            conn.execute(statement, rs.params)
    return found


def update_rows(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], key: str = "id"
) -> None:
    """Set each row's columns on the row of `table` whose `key` column equals the row's `key`
    (dicts naming the same columns, `key` among them; one row per key)."""
    if not rows:
        return
    columns = _columns(table, rows)
    values = [c for c in columns if c.name != key]
    quote = conn.dialect.identifier_preparer.quote
    name = quote(table.name)
    if conn.dialect.name != "postgresql":
        sets = ", ".join(f"{quote(c.name)} = ?" for c in values)
        conn.exec_driver_sql(
            f"UPDATE {name} SET {sets} WHERE {quote(key)} = ?",
            _driver_rows(conn, [*values, table.c[key]], rows),
        )
        return
    for start in range(0, len(rows), BATCH):
        rs = _recordset(conn, columns, rows[start : start + BATCH])
        sets = ", ".join(f"{quote(c.name)} = {rs.values[c.name]}" for c in values)
        where = f"{name}.{quote(key)} = {rs.values[key]}"
        conn.execute(text(f"UPDATE {name} SET {sets} FROM {rs.source} WHERE {where}"), rs.params)
