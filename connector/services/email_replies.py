"""A supplier's email reply, processed once: matched to its PO, checked to come from the
supplier, read, and applied through `supplier_answers` like any other answer.

Matching (DESIGN §8): a Message-ID in In-Reply-To or References that is a PO email's (the
one recorded when it was sent, or one of Tandem's own `<PO-00012.rev2.change@…>`), else the one PO
number in the subject. The sender must speak for that PO's supplier: an address or domain in
its `replies.senders`, else an address its POs are sent to or that address's domain (never a
public mail provider's). A reply that cannot be matched, comes from anyone else, or cannot be
read with confidence changes nothing and opens an `answer_unread` exception that quotes it
and names the message.

Each message is recorded in `inbound_items` under its Message-ID with its outcome: processed,
exception, or failed (an unexpected error: counted, and processed again at the next poll; the
answers' own keys keep what was applied before from being applied twice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, select, update

from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.configuration.transports import EmailTransport
from tandem.connector.domain import ExceptionKind
from tandem.connector.services.reply_reading import PoLine, Reply, quote, read_reply
from tandem.connector.services.supplier_answers import (
    Acknowledge,
    Action,
    AnswerError,
    Confirm,
    SupplierAnswer,
    apply_answer,
)
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import NewException, raise_exceptions, resolve_keys

Status = Literal["processed", "exception", "seen"]
DONE = ("processed", "exception")
FAILURES_BEFORE_EXCEPTION = 3  # failed polls of one message before a person hears of it
# A domain shared by strangers: a supplier writing from one of these is known by its address.
PUBLIC_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "mail.com",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "qq.com",
        "163.com",
        "126.com",
        "zoho.com",
    ]
)
_OURS = re.compile(r"^<(?P<number>.+)\.rev(?P<revision>\d+)\.(?P<kind>order|change|cancel)@")


@dataclass(frozen=True)
class Outcome:
    status: Status  # seen: recorded by an earlier poll, nothing done now
    summary: str
    po_number: str | None = None


@dataclass(frozen=True)
class Match:
    po_id: int
    number: str
    supplier_id: str
    answers: tuple[str, int] | None = None  # (kind, revision) of the PO message it answers


def process_reply(
    db: Database, config: TandemConfig, reply: Reply, source: str, now: datetime
) -> Outcome:
    """Process `reply` unless it was before. Errors other than an answer that cannot apply
    propagate: the caller records them with `record_failure` and leaves the message."""
    with db.read() as conn:
        seen = _status(conn, source, reply.identity)
        if seen is not None and seen[0] in DONE:
            return Outcome("seen", seen[1] or seen[0])
        match = match_po(conn, config, reply)
    if isinstance(match, str):
        return _unread(db, reply, source, None, None, match, now)
    supplier = config.supplier(match.supplier_id)
    if supplier is None:
        return _unread(db, reply, source, match, None, "its supplier is not configured", now)
    if not speaks_for(reply.sender, supplier):
        why = f"{reply.sender or 'an unknown sender'} does not speak for {supplier.name}"
        return _unread(db, reply, source, match, supplier, why, now)
    with db.read() as conn:
        lines = _lines(conn, match.po_id)
    reading = read_reply(reply, match.number, lines, supplier.replies)
    if reading.unread is not None:
        return _unread(db, reply, source, match, supplier, reading.unread, now)
    said: list[str] = []
    for index, action in enumerate(reading.actions):
        answer = SupplierAnswer(
            supplier.id,
            match.number,
            "email",
            f"email:{reply.identity}:{index}",
            _as(action, match),
        )
        try:
            said.append(apply_answer(db, config, answer, now).summary)
        except AnswerError as exc:
            done = f" (recorded before it: {'; '.join(said)})" if said else ""
            return _unread(db, reply, source, match, supplier, f"{exc}{done}", now)
    summary = "; ".join(said)
    with db.write() as conn:
        _record(conn, source, reply.identity, "processed", summary, now)
    return Outcome("processed", summary, match.number)


def record_failure(db: Database, source: str, reply: Reply, error: str, now: datetime) -> int:
    """A message that could not be processed this time: counted, kept for the next poll; from
    the `FAILURES_BEFORE_EXCEPTION`th time on, an exception says so. How many times it
    failed so far."""
    items = t.inbound_items.c
    with db.write() as conn:
        _record(conn, source, reply.identity, "failed", error[:2000], now, done=False)
        attempts = int(
            conn.execute(
                select(items.attempts).where(items.source == source, items.key == reply.identity)
            ).scalar_one()
        )
        if attempts >= FAILURES_BEFORE_EXCEPTION:
            named = f"Message-ID {reply.message_id}" if reply.message_id else "no Message-ID"
            message = (
                f"Reply from {reply.sender or 'an unknown sender'} ({named}, subject"
                f" {quote(reply.subject, 200)!r}) could not be processed {attempts} times:"
                f" {error}. It stays in the mailbox and is tried again at every poll."
            )
            raise_exceptions(
                conn,
                [
                    NewException(
                        ExceptionKind.ANSWER_UNREAD,
                        _failed_key(source, reply.identity),
                        message,
                        details={"message_id": reply.message_id, "error": error},
                    )
                ],
                now,
            )
    return attempts


def was_done(db: Database, source: str, identity: str) -> bool:
    """Processed (or made an exception) by an earlier poll: only to be moved away."""
    with db.read() as conn:
        seen = _status(conn, source, identity)
    return seen is not None and seen[0] in DONE


def match_po(conn: Connection, config: TandemConfig, reply: Reply) -> Match | str:
    """The PO the reply answers, or why none can be told."""
    po = t.purchase_orders
    for ref in reply.refers_to:
        row = conn.execute(
            select(po.c.id, po.c.number, po.c.supplier_id).where(po.c.supplier_reference == ref)
        ).first()
        ours = _OURS.match(ref)
        if row is None and ours is not None:
            row = conn.execute(
                select(po.c.id, po.c.number, po.c.supplier_id).where(po.c.number == ours["number"])
            ).first()
        if row is not None:
            answers = (ours["kind"], int(ours["revision"])) if ours else None
            return Match(row.id, row.number, row.supplier_id, answers)
    pattern = rf"(?<![\w-]){re.escape(config.po_number_prefix)}\d{{{config.po_number_digits},}}\b"
    numbers = list(dict.fromkeys(m.upper() for m in re.findall(pattern, reply.subject, re.I)))
    if len(numbers) > 1:
        return f"its subject names several POs ({', '.join(numbers)})"
    if not numbers:
        return "it answers no PO email of Tandem's and its subject names no PO number"
    row = conn.execute(
        select(po.c.id, po.c.number, po.c.supplier_id).where(po.c.number == numbers[0])
    ).first()
    if row is None:
        return f"its subject names {numbers[0]}, which is not a PO Tandem knows"
    return Match(row.id, row.number, row.supplier_id)


def speaks_for(sender: str, supplier: SupplierConfig) -> bool:
    """Whether mail from `sender` may answer for `supplier` (see the module docstring)."""
    address = sender.strip().lower()
    domain = address.rpartition("@")[2]
    if not address or not domain:
        return False
    allowed = [s.strip().lower() for s in supplier.replies.senders if s.strip()]
    if not allowed and isinstance(supplier.transport, EmailTransport):
        to = [a.strip().lower() for a in supplier.transport.to]
        allowed = to + [a.rpartition("@")[2] for a in to if a.rpartition("@")[2] not in PUBLIC_MAIL]
    for entry in allowed:
        if "@" in entry:
            if address == entry:
                return True
        elif domain == entry or domain.endswith(f".{entry}"):
            return True
    return False


def _as(action: Action, match: Match) -> Action:
    """ "Confirmed" in answer to a change or cancellation acknowledges that revision."""
    if isinstance(action, Confirm) and match.answers and match.answers[0] != "order":
        return Acknowledge(match.answers[1])
    return action


def _lines(conn: Connection, po_id: int) -> list[PoLine]:
    pl = t.po_lines
    rows = conn.execute(select(pl.c.sku, pl.c.supplier_sku).where(pl.c.po_id == po_id)).all()
    return [PoLine(r.sku, r.supplier_sku) for r in rows]


def _unread(
    db: Database,
    reply: Reply,
    source: str,
    match: Match | None,
    supplier: SupplierConfig | None,
    reason: str,
    now: datetime,
) -> Outcome:
    """Nothing applied: an exception that says why, names the message and quotes it."""
    about = f" about {match.number}" if match else ""
    named = f"Message-ID {reply.message_id}" if reply.message_id else "no Message-ID"
    said = quote(reply.text, 300) or "(no text)"
    message = (
        f"Reply{about} from {reply.sender or 'an unknown sender'} not applied: {reason}."
        f" Subject {quote(reply.subject, 200)!r}, {named}. It says: “{said}”"
    )
    details = {
        "message_id": reply.message_id,
        "sender": reply.sender,
        "subject": quote(reply.subject, 500),
        "quote": quote(reply.text),
        "reason": reason,
    }
    with db.write() as conn:
        raise_exceptions(
            conn,
            [
                NewException(
                    ExceptionKind.ANSWER_UNREAD,
                    f"answer_unread:{source}:{reply.identity}"[:400],
                    message,
                    po_id=match.po_id if match else None,
                    supplier_id=supplier.id if supplier else (match.supplier_id if match else None),
                    details=details,
                )
            ],
            now,
        )
        _record(conn, source, reply.identity, "exception", reason[:2000], now)
    return Outcome("exception", reason, match.number if match else None)


def _failed_key(source: str, key: str) -> str:
    return f"answer_failed:{source}:{key}"[:400]


def _status(conn: Connection, source: str, key: str) -> tuple[str, str | None] | None:
    i = t.inbound_items.c
    row = conn.execute(select(i.status, i.detail).where(i.source == source, i.key == key)).first()
    return None if row is None else (str(row.status), row.detail)


def _record(
    conn: Connection,
    source: str,
    key: str,
    status: str,
    detail: str,
    now: datetime,
    *,
    done: bool = True,
) -> None:
    items = t.inbound_items
    if done:  # an exception that said it kept failing has its answer now
        resolve_keys(conn, [_failed_key(source, key)], "tandem", "processed at a later poll", now)
    values = {"status": status, "detail": detail, "processed_at": now if done else None}
    changed = conn.execute(
        update(items)
        .where(items.c.source == source, items.c.key == key)
        .values(attempts=items.c.attempts + 1, **values)
    ).rowcount
    if not changed:
        conn.execute(
            items.insert().values(source=source, key=key, attempts=1, received_at=now, **values)
        )
