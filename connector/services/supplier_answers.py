"""What a supplier answers about its PO, however it answers: the portal, an email reply, a file
on its SFTP server. Every answer goes through the services the status poller uses (refusals,
shipments, store updates), so the order, the PO, the store and the exceptions queue hear of it
the same way whichever door it came through.

Each answer carries a key that makes it one answer (a form's nonce, a reply's Message-ID and
what it said, a file's digest and row): applied once, then recognised, so a double click, a
replayed form or a file read again records nothing more. The timeline says who answered and
how ("by Acme via portal").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.domain import ExceptionKind, POStatus
from tandem.connector.errors import ConflictError, InputError, TandemError
from tandem.connector.services.refusals import end_po, refuse_lines
from tandem.connector.services.shipments import ShippedLine, ship
from tandem.connector.services.store_updates import queue_status_updates
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record
from tandem.connector.store.exceptions import NewException, raise_exceptions, resolve_keys
from tandem.connector.store.views import find_po

Via = Literal["portal", "email", "sftp", "api"]
ANSWERABLE = frozenset(
    {
        POStatus.RELEASED.value,
        POStatus.SENT.value,
        POStatus.ACKNOWLEDGED.value,
        POStatus.SHIPPED.value,
        POStatus.PARTIALLY_RECEIVED.value,
    }
)
CONFIRMABLE = frozenset({POStatus.RELEASED.value, POStatus.SENT.value})


@dataclass(frozen=True)
class Confirm:
    """The supplier accepts the PO; optionally the date each line (store or supplier SKU)
    will ship, which becomes the ETA on the orders."""

    ship_dates: Mapping[str, date] = field(default_factory=dict)


@dataclass(frozen=True)
class Refuse:
    """The supplier will not supply these lines (store or supplier SKUs), or, with none
    named, the whole PO."""

    skus: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Ship:
    """A parcel (or several) left: these lines (all still open when none are named)."""

    tracking_numbers: tuple[str, ...]
    lines: tuple[ShippedLine, ...] = ()
    carrier: str | None = None
    tracking_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Acknowledge:
    """The supplier has seen the latest change or cancellation of the PO."""

    revision: int | None = None


Action = Confirm | Refuse | Ship | Acknowledge


@dataclass(frozen=True)
class SupplierAnswer:
    supplier_id: str
    po_number: str
    via: Via
    key: str  # the answer's identity: one key, one answer
    action: Action


@dataclass(frozen=True)
class Applied:
    recorded: bool  # False: this answer was recorded before, nothing changed now
    summary: str


class AnswerError(TandemError):
    """The answer cannot apply (another supplier's PO, a line not on it, a closed PO); the
    message says which, for the supplier or the exceptions queue."""


def apply_answer(
    db: Database, config: TandemConfig, answer: SupplierAnswer, now: datetime
) -> Applied:
    """Apply the answer once, in one transaction with the record of it."""
    try:
        with db.write() as conn:
            db.lock(conn, "planner")  # refusals send orders back to the planner
            return _apply(conn, config, answer, now)
    except IntegrityError:  # the same answer, committed by another request meanwhile
        return Applied(False, _recorded_summary(db, answer.key))


def already_answered(conn: Connection, key: str) -> str | None:
    """The summary of the answer recorded under `key`, or None."""
    found = conn.execute(
        select(t.supplier_answers.c.summary).where(t.supplier_answers.c.key == key)
    ).scalar()
    return None if found is None else str(found)


def _recorded_summary(db: Database, key: str) -> str:
    with db.read() as conn:
        return already_answered(conn, key) or "already recorded"


def _apply(
    conn: Connection, config: TandemConfig, answer: SupplierAnswer, now: datetime
) -> Applied:
    seen = already_answered(conn, answer.key)
    if seen is not None:
        return Applied(False, seen)
    supplier = config.supplier(answer.supplier_id)
    if supplier is None:
        raise AnswerError(f"no supplier {answer.supplier_id!r} in the configuration")
    try:
        po_id = find_po(conn, answer.po_number)
    except TandemError:
        raise AnswerError(f"{answer.po_number} is not a PO Tandem knows") from None
    po = conn.execute(select(t.purchase_orders).where(t.purchase_orders.c.id == po_id)).one()
    if po.supplier_id != supplier.id:
        raise AnswerError(f"{answer.po_number} is not a PO of {supplier.name}")
    by = f"by {supplier.name} via {answer.via}"
    action = answer.action
    if isinstance(action, Confirm):
        summary = _confirm(conn, config, po, supplier, action, by, now)
    elif isinstance(action, Refuse):
        summary = _refuse(conn, config, po, supplier, action, by, now)
    elif isinstance(action, Ship):
        summary = _ship(conn, config, po, action, by, now)
    else:
        summary = _acknowledge(conn, po, supplier, action, by, now)
    conn.execute(
        t.supplier_answers.insert().values(
            key=answer.key,
            supplier_id=supplier.id,
            po_id=po_id,
            via=answer.via,
            action=type(action).__name__.lower(),
            summary=summary[:4000],
            received_at=now,
        )
    )
    return Applied(True, summary)


def _confirm(
    conn: Connection,
    config: TandemConfig,
    po: Any,
    supplier: SupplierConfig,
    action: Confirm,
    by: str,
    now: datetime,
) -> str:
    po_id, number, status = po.id, po.number, po.status
    if status not in CONFIRMABLE and status != POStatus.ACKNOWLEDGED.value:
        raise AnswerError(f"{number} is {status}: there is nothing to confirm")
    pl = t.po_lines
    lines = conn.execute(
        select(pl.c.id, pl.c.sku, pl.c.supplier_sku).where(pl.c.po_id == po_id)
    ).all()
    dated: dict[int, date] = {}
    unknown: list[str] = []
    for sku, day in action.ship_dates.items():
        line = next((r for r in lines if sku in (r.sku, r.supplier_sku)), None)
        if line is None:
            unknown.append(sku)
        else:
            dated[line.id] = day
    if unknown:
        raise AnswerError(
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not on {number}"
        )
    for line_id, day in dated.items():
        conn.execute(update(pl).where(pl.c.id == line_id).values(expected_ship_date=day))
    values: dict[str, object] = {"updated_at": now, "confirmed_at": now}
    if status in CONFIRMABLE:
        values["status"] = POStatus.ACKNOWLEDGED.value
    if dated:
        latest = max(dated.values())
        values["expected_at"] = datetime.combine(latest, time(), tzinfo=now.tzinfo)
    conn.execute(update(t.purchase_orders).where(t.purchase_orders.c.id == po_id).values(**values))
    when = f"; ships {_dates(dated.values())}" if dated else ""
    message = f"{number} confirmed {by}{when}"
    record(conn, [Event("po.acknowledged", message, po_id=po_id, supplier_id=supplier.id)], now)
    resolve_keys(conn, [unconfirmed_key(po_id)], "tandem", "confirmed by the supplier", now)
    queue_status_updates(conn, config, [po_id], now)  # the orders hear it, with the ETA
    return message


def _dates(days: Iterable[date]) -> str:
    found = sorted(set(days))
    return found[0].isoformat() if len(found) == 1 else f"{found[0]} to {found[-1]}"


def _refuse(
    conn: Connection,
    config: TandemConfig,
    po: Any,
    supplier: SupplierConfig,
    action: Refuse,
    by: str,
    now: datetime,
) -> str:
    po_id, number, status = po.id, po.number, po.status
    if status not in ANSWERABLE or status == POStatus.SHIPPED.value:
        raise AnswerError(f"{number} is {status}: it can no longer be refused")
    said = f"{action.reason} ({by})" if action.reason else by
    if not action.skus:
        return end_po(conn, config, po_id, number, supplier, POStatus.REJECTED, said, now)
    changed = refuse_lines(conn, config, po_id, number, supplier, action.skus, said, now)
    if not changed:
        raise AnswerError(f"{', '.join(action.skus)}: not open on {number}")
    return " ".join(changed)


def _ship(
    conn: Connection,
    config: TandemConfig,
    po: Any,
    action: Ship,
    by: str,
    now: datetime,
) -> str:
    number = po.number
    try:
        shipment = ship(
            conn,
            config,
            number,
            action.tracking_numbers,
            now,
            carrier=action.carrier,
            tracking_urls=action.tracking_urls,
            lines=action.lines,
            by=by,
        )
    except (InputError, ConflictError) as exc:
        raise AnswerError(str(exc)) from None
    what = ", ".join(f"{line.quantity} × {line.sku}" for line in shipment.lines)
    return f"{number} shipped {by}: {what}; tracking {', '.join(action.tracking_numbers)}"


def _acknowledge(
    conn: Connection,
    po: Any,
    supplier: SupplierConfig,
    action: Acknowledge,
    by: str,
    now: datetime,
) -> str:
    po_id, number, revision = po.id, po.number, po.revision
    if action.revision is not None and action.revision != revision:
        raise AnswerError(f"{number} is at revision {revision}, not {action.revision}")
    what = "cancellation" if po.status == POStatus.CANCELLED.value else f"revision {revision}"
    message = f"{number} {what} acknowledged {by}"
    record(
        conn, [Event("po.change_acknowledged", message, po_id=po_id, supplier_id=supplier.id)], now
    )
    return message


def unconfirmed_key(po_id: int) -> str:
    return f"po_not_confirmed:{po_id}"


def raise_unconfirmed(conn: Connection, config: TandemConfig, now: datetime) -> int:
    """An exception for each sent PO its supplier has not confirmed within its limit
    (`confirm_within`, else `portal.confirm_within`); how many were opened."""
    po = t.purchase_orders
    found: list[NewException] = []
    for supplier in config.suppliers:
        limit = supplier.confirm_within or config.portal.confirm_within
        if limit is None:
            continue
        rows = conn.execute(
            select(po.c.id, po.c.number, po.c.sent_at).where(
                po.c.supplier_id == supplier.id,
                po.c.status == POStatus.SENT.value,
                po.c.confirmed_at.is_(None),
                po.c.sent_at.is_not(None),
                po.c.sent_at <= now - limit,
            )
        ).all()
        for row in rows:
            hours = limit.total_seconds() / 3600
            after = f"{hours:g} h" if hours < 72 else f"{hours / 24:g} days"
            found.append(
                NewException(
                    ExceptionKind.NOT_CONFIRMED,
                    unconfirmed_key(row.id),
                    f"{row.number} not confirmed by {supplier.name} after {after}"
                    f" (sent {row.sent_at:%Y-%m-%d %H:%M} UTC)",
                    po_id=row.id,
                    supplier_id=supplier.id,
                )
            )
    return raise_exceptions(conn, found, now)


def answered(conn: Connection, po_id: int) -> Sequence[tuple[datetime, str, str]]:
    """(when, via, summary) of each answer recorded for a PO, oldest first."""
    a = t.supplier_answers
    rows = conn.execute(
        select(a.c.received_at, a.c.via, a.c.summary).where(a.c.po_id == po_id).order_by(a.c.id)
    ).all()
    return [(r.received_at, r.via, r.summary) for r in rows]
