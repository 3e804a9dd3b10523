"""A supplier's answer file, applied once: its rows go through `apply_answer`, its bad rows
to the exceptions queue, and the file itself into `inbound_items` under its name and digest.

The file's identity is `<name>:<sha256>`: the same file read again (a second poll, a server
that would not let it be moved away) changes nothing, while a new file under an old name is
read. Each answer's key holds the digest and its first line, so even a file whose record was
lost applies nothing twice. A file that cannot be read at all is recorded as failed and
tried again at the next poll (a fixed `columns` setting then reads it); its exception is
raised once, not once per poll.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, select, update

from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.answers import SftpAnswers
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.domain import ExceptionKind
from tandem.connector.errors import TandemError
from tandem.connector.services.answer_rows import (
    BadRow,
    FileAnswer,
    UnreadableFile,
    read_answer_file,
)
from tandem.connector.services.supplier_answers import Confirm, SupplierAnswer, Via, apply_answer
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import NewException, raise_exceptions, resolve_keys

MAX_ROW_EXCEPTIONS = 20  # per file; the others are named in one more
DONE = ("processed", "exception")
FileStatus = Literal["processed", "exception", "failed", "seen"]


@dataclass
class FileOutcome:
    path: str
    status: FileStatus  # seen: read before, nothing done now
    applied: list[str] = field(default_factory=list)  # what changed, in words
    problems: list[str] = field(default_factory=list)  # "<path> line 3: why: quote"


def inbound_source(via: Via, supplier_id: str) -> str:
    return f"{via}:{supplier_id}"


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def file_seen(db: Database, source: str, name: str, content: bytes) -> bool:
    """This very file (name and content) was read before."""
    return _status(db, source, f"{name}:{digest(content)}") in DONE


def apply_answer_file(
    db: Database,
    config: TandemConfig,
    supplier: SupplierConfig,
    settings: SftpAnswers,
    path: str,
    content: bytes,
    now: datetime,
    via: Via = "sftp",
) -> FileOutcome:
    source = inbound_source(via, supplier.id)
    sha = digest(content)
    key = f"{path.rsplit('/', 1)[-1]}:{sha}"
    if _status(db, source, key) in DONE:
        return FileOutcome(path, "seen")
    try:
        read = read_answer_file(
            content,
            settings.columns,
            delimiter=settings.delimiter,
            statuses=settings.status_words(),
            max_rows=settings.max_rows,
        )
    except UnreadableFile as exc:
        return file_unread(db, supplier, path, key, str(exc), now, via)
    outcome = FileOutcome(path, "processed")
    bad = list(read.bad)
    for answer in read.answers:
        try:
            applied = apply_answer(db, config, _answer(db, supplier.id, via, sha, answer), now)
        except TandemError as exc:
            bad.append(BadRow(answer.lines, str(exc), answer.quote))
            continue
        if applied.recorded:
            outcome.applied.append(applied.summary)
    bad.sort(key=lambda b: b.lines)
    outcome.problems = [_problem(path, b) for b in bad]
    if bad:
        outcome.status = "exception"
    detail = f"{read.rows} row(s): {len(read.answers)} answer(s), {len(bad)} bad row(s)"
    with db.write() as conn:
        db.lock(conn, source)
        resolve_keys(conn, [_unread_key(source, path)], "tandem", "the file was read", now)
        raise_exceptions(conn, _row_exceptions(source, supplier, path, sha, bad), now)
        _record(conn, source, key, outcome.status, detail, now)
    return outcome


def file_unread(
    db: Database,
    supplier: SupplierConfig,
    path: str,
    key: str,
    reason: str,
    now: datetime,
    via: Via = "sftp",
) -> FileOutcome:
    """Record that the file at `path` could not be read (it stays, and is read again at the
    next poll), with one open exception saying why."""
    source = inbound_source(via, supplier.id)
    problem = f"{path}: {reason}"
    unread = NewException(
        ExceptionKind.ANSWER_UNREAD,
        _unread_key(source, path),
        f"{supplier.name}'s answer file {problem}; it stays and is read again",
        supplier_id=supplier.id,
        details={"file": path, "via": via},
    )
    with db.write() as conn:
        db.lock(conn, source)  # one poller records a file at a time
        raise_exceptions(conn, [unread], now)
        _record(conn, source, key, "failed", problem, now)
    return FileOutcome(path, "failed", problems=[problem])


def _answer(
    db: Database, supplier_id: str, via: Via, sha: str, found: FileAnswer
) -> SupplierAnswer:
    action = found.action
    if isinstance(action, Confirm) and found.every_line_ships is not None:
        # A date on a row naming no line: every line of the PO ships then, unless named.
        dates = dict.fromkeys(_skus(db, found.po_number), found.every_line_ships)
        action = replace(action, ship_dates={**dates, **action.ship_dates})
    key = f"{via}:{supplier_id}:{sha}:{found.lines[0]}"
    return SupplierAnswer(supplier_id, found.po_number, via, key, action)


def _skus(db: Database, number: str) -> list[str]:
    po, pl = t.purchase_orders, t.po_lines
    with db.read() as conn:
        return list(
            conn.execute(
                select(pl.c.sku).join(po, po.c.id == pl.c.po_id).where(po.c.number == number)
            ).scalars()
        )


def _unread_key(source: str, path: str) -> str:
    return f"answer_unread:{source}:{path}"


def _problem(path: str, bad: BadRow) -> str:
    lines = ", ".join(map(str, bad.lines[:10])) + (" …" if len(bad.lines) > 10 else "")
    word = "line" if len(bad.lines) == 1 else "lines"
    return f"{path} {word} {lines}: {bad.reason}: {bad.quote}"


def _row_exceptions(
    source: str, supplier: SupplierConfig, path: str, sha: str, bad: list[BadRow]
) -> list[NewException]:
    found = [
        NewException(
            ExceptionKind.ANSWER_UNREAD,
            f"answer_unread:{source}:{sha}:{b.lines[0]}",
            f"{supplier.name}'s answer file {_problem(path, b)}",
            supplier_id=supplier.id,
            details={"file": path, "lines": list(b.lines[:50]), "row": b.quote},
        )
        for b in bad[:MAX_ROW_EXCEPTIONS]
    ]
    rest = bad[MAX_ROW_EXCEPTIONS:]
    if rest:
        lines = ", ".join(str(b.lines[0]) for b in rest[:50]) + (" …" if len(rest) > 50 else "")
        found.append(
            NewException(
                ExceptionKind.ANSWER_UNREAD,
                f"answer_unread:{source}:{sha}:more",
                f"{supplier.name}'s answer file {path}: {len(rest)} more bad row(s), lines {lines}",
                supplier_id=supplier.id,
                details={"file": path},
            )
        )
    return found


def _status(db: Database, source: str, key: str) -> str | None:
    items = t.inbound_items
    with db.read() as conn:
        found = conn.execute(
            select(items.c.status).where(items.c.source == source, items.c.key == key)
        ).scalar()
    return None if found is None else str(found)


def _record(
    conn: Connection, source: str, key: str, status: str, detail: str, now: datetime
) -> None:
    items = t.inbound_items
    row = conn.execute(
        select(items.c.id, items.c.attempts).where(items.c.source == source, items.c.key == key)
    ).first()
    done = now if status in DONE else None
    if row is None:
        conn.execute(
            items.insert().values(
                source=source,
                key=key,
                status=status,
                detail=detail[:4000],
                attempts=1,
                received_at=now,
                processed_at=done,
            )
        )
        return
    conn.execute(
        update(items)
        .where(items.c.id == row.id)
        .values(status=status, detail=detail[:4000], attempts=row.attempts + 1, processed_at=done)
    )
