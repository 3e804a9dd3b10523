"""The exceptions queue: what Tandem will not decide alone, explained, and how it was resolved.

Each exception has a `dedupe_key`; at most one exception per key is open at a time, so raising
the same problem again (a replan, a retry) never piles up duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from tandem.connector.domain import PLANNING_EXCEPTIONS, SEND_FAILURES, ExceptionKind
from tandem.connector.errors import ConflictError
from tandem.connector.store import schema as t
from tandem.connector.store.bulk import insert_rows, update_rows
from tandem.connector.store.keys import among, batches


def send_exception_key(kind: ExceptionKind, outbox_key: str) -> str:
    """The dedupe key of the exception a stopped send of outbox item `outbox_key` opens."""
    return f"{kind.value}:{outbox_key}"


@dataclass(frozen=True)
class NewException:
    kind: ExceptionKind
    dedupe_key: str
    message: str
    order_id: int | None = None
    order_line_id: int | None = None
    po_id: int | None = None
    supplier_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def raise_exceptions(conn: Connection, items: Sequence[NewException], now: datetime) -> int:
    """Open each exception unless one with its key is open; refresh the message if so.
    Returns how many were opened."""
    if not items:
        return 0
    open_rows: dict[str, tuple[int | None, str]] = {}  # key -> (id, message)
    for part in batches(conn, [i.dedupe_key for i in items]):
        for row in conn.execute(
            select(t.exceptions.c.id, t.exceptions.c.dedupe_key, t.exceptions.c.message).where(
                t.exceptions.c.status == "open", among(conn, t.exceptions.c.dedupe_key, part)
            )
        ):
            open_rows[row.dedupe_key] = (row.id, row.message)
    new: list[dict[str, Any]] = []
    refreshed: dict[int, dict[str, Any]] = {}  # id -> new message (the last one said)
    for item in items:
        found = open_rows.get(item.dedupe_key)
        if found is None:
            new.append(
                {
                    "kind": item.kind.value,
                    "status": "open",
                    "dedupe_key": item.dedupe_key,
                    "order_id": item.order_id,
                    "order_line_id": item.order_line_id,
                    "po_id": item.po_id,
                    "supplier_id": item.supplier_id,
                    "message": item.message,
                    "details": item.details,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            open_rows[item.dedupe_key] = (None, item.message)
        elif found[0] is not None and found[1] != item.message:
            refreshed[found[0]] = {"id": found[0], "message": item.message, "updated_at": now}
    update_rows(conn, t.exceptions, list(refreshed.values()))
    insert_rows(conn, t.exceptions, new)
    return len(new)


def resolve_planning_exceptions(
    conn: Connection, line_ids: Iterable[int], keep: set[str], now: datetime
) -> int:
    """Close the planner's open exceptions on these lines whose key is not in `keep`."""
    closed = 0
    kinds = [k.value for k in PLANNING_EXCEPTIONS]
    for part in batches(conn, sorted(set(line_ids))):
        rows = conn.execute(
            select(t.exceptions.c.id, t.exceptions.c.dedupe_key).where(
                t.exceptions.c.status == "open",
                t.exceptions.c.kind.in_(kinds),
                among(conn, t.exceptions.c.order_line_id, part),
            )
        ).all()
        done = [r.id for r in rows if r.dedupe_key not in keep]
        if done:
            note = "planned again: the line is served or needs nothing now"
            closed += _close(conn, t.exceptions.c.id.in_(done), "tandem", note, now)
    return closed


def resolve_sends(
    conn: Connection, outbox_keys: Iterable[str], who: str, note: str, now: datetime
) -> int:
    """Close what stopped sends asked (failed, or held in doubt), for exactly these outbox
    items: the ones a person or Tandem has just answered, and no other revision's."""
    keys = [send_exception_key(kind, key) for key in outbox_keys for kind in SEND_FAILURES]
    return sum(
        _close(conn, among(conn, t.exceptions.c.dedupe_key, part), who, note, now)
        for part in batches(conn, keys)
    )


def resolve_keys(
    conn: Connection, dedupe_keys: Sequence[str], who: str, note: str, now: datetime
) -> int:
    """Close the open exceptions with these keys (a failing check that passes again)."""
    return sum(
        _close(conn, among(conn, t.exceptions.c.dedupe_key, part), who, note, now)
        for part in batches(conn, list(dedupe_keys))
    )


class AnswerNeeded(ConflictError):
    """A send held in doubt is answered (it arrived, or send it again), never only closed:
    closing it alone would leave its PO waiting for an answer that never comes."""

    def __init__(self, exception_id: int, po_number: str, answers: str) -> None:
        super().__init__(
            f"exception {exception_id} asks whether {po_number} reached the supplier: answer"
            f" with {answers.format(po=po_number)}; either closes it."
        )


def resolve_by_hand(
    conn: Connection, exception_id: int, who: str, note: str, now: datetime, *, answers: str
) -> bool:
    """A person closes an open exception; False when none is open with that id. A send held
    in doubt is refused with `AnswerNeeded`, saying how to answer it: `answers`, in the
    words of the caller's interface, with `{po}` for the PO number."""
    e, po = t.exceptions, t.purchase_orders
    row = conn.execute(
        select(e.c.kind, po.c.number)
        .join(po, po.c.id == e.c.po_id, isouter=True)
        .where(e.c.id == exception_id, e.c.status == "open")
    ).first()
    if row is None:
        return False
    if row.kind == ExceptionKind.SEND_IN_DOUBT.value:
        raise AnswerNeeded(exception_id, row.number, answers)
    return resolve(conn, exception_id, who, note, now)


def resolve(conn: Connection, exception_id: int, who: str, note: str, now: datetime) -> bool:
    """Close one open exception; False when none is open with that id."""
    return _close(conn, t.exceptions.c.id == exception_id, who, note, now) == 1


def _close(conn: Connection, which: Any, who: str, note: str, now: datetime) -> int:
    """Resolve the open exceptions `which` selects, saying who did and how; how many."""
    e = t.exceptions
    result = conn.execute(
        update(e)
        .where(e.c.status == "open", which)
        .values(
            status="resolved", resolved_at=now, resolved_by=who, resolution=note, updated_at=now
        )
    )
    return result.rowcount
