"""Monotonic counters (PO numbers). A number is issued only by a committed transaction, and a
released PO is never deleted, so no number is ever given twice."""

from __future__ import annotations

from sqlalchemy import Connection

from tandem.connector.store import schema as t


def take(conn: Connection, name: str, count: int = 1) -> list[int]:
    """The next `count` values of counter `name`, in order."""
    if count <= 0:
        return []
    c = t.counters.c
    result = conn.execute(
        t.counters.update().where(c.name == name).values(value=c.value + count).returning(c.value)
    ).scalar()
    if result is None:
        conn.execute(t.counters.insert().values(name=name, value=count))
        last = count
    else:
        last = int(result)
    return list(range(last - count + 1, last + 1))
