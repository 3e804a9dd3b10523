"""Quotes of a person's data in free text, and erasing them.

Besides the places that hold a customer's data by design (an order's customer and address, a
drop-ship PO's ship-to), free text may quote it: an event or exception message, a supplier's
answer or error quoting the address it was sent, an outbox item's payload or last error, a
stored webhook request. `Quotes` finds a person's values in such text and JSON and replaces
each with ERASED.

Values come in two strengths. Strong ones (name, email, phone, street, the customer's id)
identify the person wherever they appear, so they are erased in every row. Weak ones (city,
postal code, company) are common words and numbers — a postal code may read like a PO number
— so they are erased only in rows about the person: rows of their orders and drop-ship POs,
and rows that quote one of their strong values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Table,
    Text,
    and_,
    cast,
    null,
    or_,
    select,
    update,
)

from tandem.connector.store import schema as t
from tandem.connector.store.keys import chunks

ERASED = "[erased]"
MIN_LENGTH = 3  # shorter values ("Al", "12") would erase parts of unrelated words
MAX_LENGTH = 200
BATCH = 500


@dataclass(frozen=True)
class FreeText:
    """A table's free-text columns, and the columns that tie a row to an order or a PO."""

    table: Table
    columns: tuple[str, ...]
    order_column: str | None = None
    po_column: str | None = None


FREE_TEXT = (
    FreeText(t.events, ("message", "data"), "order_id", "po_id"),
    FreeText(t.exceptions, ("message", "details", "resolution"), "order_id", "po_id"),
    FreeText(t.outbox, ("payload", "last_error"), None, "po_id"),
    FreeText(t.supplier_answers, ("summary",), None, "po_id"),
    FreeText(t.po_changes, ("reason",), None, "po_id"),
    FreeText(t.shipments, ("tracking_urls",), None, "po_id"),
    FreeText(t.purchase_orders, ("release_reason",), None, "id"),
    FreeText(t.inbound_items, ("detail",)),
    FreeText(t.webhook_deliveries, ("payload", "last_error")),
)


def _trie_regex(node: dict[str, Any]) -> str:
    """A regex matching every term of a trie, the longest first (fast for many terms)."""
    branches = [re.escape(ch) + _trie_regex(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    joined = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:  # a term ends here; the longer ones are tried first
        return ("(?:" + joined + ")" if len(branches) == 1 else joined) + "?"
    return joined


def _pattern(terms: Collection[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    trie: dict[str, Any] = {}
    for term in terms:
        node = trie
        for ch in term.lower():
            node = node.setdefault(ch, {})
        node[""] = {}
    # Whole values only: "Ann" is not erased out of "Annual".
    return re.compile(rf"(?<!\w)(?:{_trie_regex(trie)})(?!\w)", re.IGNORECASE)


def usable(values: Iterable[Any]) -> set[str]:
    """The values worth looking for: text of a sensible length, stripped."""
    found = set()
    for value in values:
        if isinstance(value, str):
            text = " ".join(value.split())
            if MIN_LENGTH <= len(text) <= MAX_LENGTH and text != ERASED:
                found.add(text)
    return found


class Quotes:
    """A person's (or many people's) values to erase from free text."""

    def __init__(self, strong: Iterable[Any], weak: Iterable[Any] = ()) -> None:
        self.strong = usable(strong)
        self.weak = usable(weak) - self.strong
        self._strong = _pattern(self.strong)
        self._all = _pattern(self.strong | self.weak)

    def __bool__(self) -> bool:
        return bool(self.strong or self.weak)

    def erase(self, value: Any, *, weak: bool) -> Any:
        """`value` (text, or JSON made of dicts, lists and text) with every quote erased;
        weak values too when `weak`."""
        pattern = self._all if weak else self._strong
        if pattern is None:
            return value
        return _erase(value, pattern)

    def quoted(self, values: Iterable[Any]) -> bool:
        """Whether any of `values` (text or JSON) quotes a strong value."""
        pattern = self._strong
        return pattern is not None and any(_erase(v, pattern) != v for v in values)

    def like_terms(self) -> list[str]:
        """What to look for in the database's text: each strong value as written and as JSON
        stores it (non-ASCII letters escaped)."""
        terms = set()
        for value in self.strong:
            terms.add(value)
            terms.add(json.dumps(value)[1:-1])
        return sorted(terms)


def _erase(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_erase(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _erase(v, pattern) for k, v in value.items()}
    return value


Selection = tuple[Any, Callable[[Any], bool]]  # which rows, and which of them are about them


def erase_quotes(
    conn: Connection,
    quotes: Quotes,
    order_ids: Collection[int],
    po_ids: Collection[int],
    *,
    everywhere: bool = False,
) -> int:
    """Erase quotes in every free-text column: strong and weak values in rows about these
    orders and POs, strong values in any other row that holds one. With `everywhere` every
    row is read (for many people at once, where a search per value would not do). Returns
    how many rows changed."""
    changed = 0
    for place in FREE_TEXT:
        for where, about in _selections(conn, place, quotes, order_ids, po_ids, everywhere):
            for row in _rows(conn, place, where):
                # A row that quotes a strong value is about the person: weak ones go too.
                weak = about(row) or quotes.quoted(row[3:])
                values = {}
                for name, old in zip(place.columns, row[3:], strict=True):
                    new = quotes.erase(old, weak=weak)
                    if new != old:
                        values[name] = new
                if values:
                    conn.execute(
                        update(place.table).where(place.table.c.id == row[0]).values(**values)
                    )
                    changed += 1
    return changed


def quoting_rows(
    conn: Connection, quotes: Quotes, order_ids: Collection[int], po_ids: Collection[int]
) -> dict[str, list[dict[str, Any]]]:
    """The free-text rows about these orders and POs, and the other rows that quote a strong
    value, by table: what an export of the person's data shows of Tandem's records."""
    found: dict[str, list[dict[str, Any]]] = {}
    for place in FREE_TEXT:
        seen: set[int] = set()
        rows = found.setdefault(place.table.name, [])
        for where, about in _selections(conn, place, quotes, order_ids, po_ids, False):
            for row in _rows(conn, place, where):
                if row[0] in seen:
                    continue
                values = dict(zip(place.columns, row[3:], strict=True))
                if about(row) or quotes.quoted(row[3:]):
                    seen.add(row[0])
                    rows.append({"id": row[0], **values})
        rows.sort(key=lambda r: int(r["id"]))
    return {name: rows for name, rows in found.items() if rows}


def _selections(
    conn: Connection,
    place: FreeText,
    quotes: Quotes,
    order_ids: Collection[int],
    po_ids: Collection[int],
    everywhere: bool,
) -> Iterator[Selection]:
    if not quotes:
        return
    orders, pos = frozenset(order_ids), frozenset(po_ids)
    if everywhere:
        yield None, lambda row: row.link_order in orders or row.link_po in pos
        return
    for ids in _linked(conn, place, orders, pos):
        yield place.table.c.id.in_(ids), _always
    unlinked = _not_linked(place, orders, pos)
    for terms in chunks(quotes.like_terms(), 40):
        holds = or_(
            *(
                _as_text(place.table.c[name]).icontains(term, autoescape=True)
                for name in place.columns
                for term in terms
            )
        )
        yield (holds if unlinked is None else and_(holds, unlinked)), _never


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False


def _as_text(column: Column[Any]) -> Any:
    return cast(column, Text) if isinstance(column.type, JSON) else column


def _linked(
    conn: Connection, place: FreeText, orders: frozenset[int], pos: frozenset[int]
) -> list[Sequence[int]]:
    """The ids of the rows about these orders or POs, in chunks."""
    c = place.table.c
    wanted: set[int] = set()
    for column, ids in ((place.order_column, orders), (place.po_column, pos)):
        if column is None:
            continue
        for part in chunks(sorted(ids)):
            wanted.update(conn.execute(select(c.id).where(c[column].in_(part))).scalars())
    return list(chunks(sorted(wanted)))


def _not_linked(place: FreeText, orders: frozenset[int], pos: frozenset[int]) -> Any:
    """A condition for the rows about none of these orders or POs (None: every row)."""
    c = place.table.c
    conditions = [
        or_(c[column].is_(None), c[column].not_in(sorted(ids)))
        for column, ids in ((place.order_column, orders), (place.po_column, pos))
        if column is not None and ids
    ]
    return and_(*conditions) if conditions else None


def _rows(conn: Connection, place: FreeText, where: Any) -> Iterator[Any]:
    """The rows `where` selects (None: all) as (id, link_order, link_po, *columns), read in
    batches by id so a large table is never held at once."""
    table = place.table
    key = table.c.id
    links = [
        (table.c[name] if name else null()).label(label)
        for name, label in ((place.order_column, "link_order"), (place.po_column, "link_po"))
    ]
    columns = [table.c[name] for name in place.columns]
    after = None
    while True:
        query = select(key, *links, *columns).order_by(key).limit(BATCH)
        if where is not None:
            query = query.where(where)
        if after is not None:
            query = query.where(key > after)
        rows = conn.execute(query).all()
        if not rows:
            return
        after = rows[-1][0]
        yield from rows
