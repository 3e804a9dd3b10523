"""Statements about many keys at once: `column IN (...)` sized for each database.

SQLite binds at most a few hundred parameters per statement on older versions, so keys go in
chunks of `CHUNK`. PostgreSQL takes the keys as one array (`column = ANY(:keys)`): one
statement however many keys, and a short statement text that the driver parses once, instead
of hundreds of placeholders to render and parse on every run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

T = TypeVar("T")
CHUNK = 900  # below SQLite's bound-parameter limit on every version


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batches(conn: Connection, items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items` in as few parts as one statement each can take (see `among`)."""
    if conn.dialect.name == "postgresql":
        if items:
            yield items
        return
    yield from chunks(items)


def among(conn: Connection, column: ColumnElement[Any], keys: Sequence[Any]) -> ColumnElement[bool]:
    """`column` is one of `keys`, as this database takes a list of keys best."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(keys), type_=ARRAY(column.type)))
    return column.in_(keys)
