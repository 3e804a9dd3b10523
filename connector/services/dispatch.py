"""Dispatch: deliver released POs and their change requests to suppliers, each exactly once.

Workers claim due `po.send` / `po.change` outbox items under a lease (SKIP LOCKED on
PostgreSQL, so several share the work), build the document, call the supplier's channel and
record the outcome in the same transaction that completes the item.

- Sent: the PO becomes `sent`, the supplier's reference and the exact message go on its
  timeline.
- Transient failure: retried with backoff until the supplier's `attempt_budget` is spent.
- Permanent failure (or budget spent): the item stops and an exception quotes the supplier.
  Settings the channel cannot be built from (an unknown CSV column, a template that does not
  compile) stop the item the same way, before anything is sent.
- In doubt (the process died after the channel started transmitting and before the outcome
  was recorded): the channel is asked whether the earlier attempt arrived (REST lookup, SFTP
  file check, the email's Message-ID in the Sent folder over IMAP), and the item stays in
  doubt until it answers. Where it cannot tell (plain SMTP), the supplier's `in_doubt`
  policy decides: `hold` stops the item for a person, who answers with `tandem po arrived`
  or `tandem po resend`; `resend` sends again with the same Message-ID.

The transmitting mark (`connector.transmission`): the channel tells dispatch the moment it
starts transmitting, after rendering and connecting, and dispatch commits that moment before
a byte goes out. A worker that dies before it leaves an item that was never performed: the
next claim hands it back, and it goes out once, never in doubt. A worker that finds, when it
is about to transmit, that it lost the item to another worker sends nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from tandem.connector import outbox, transmission
from tandem.connector.channels import (
    Channel,
    ChannelError,
    ChannelFactory,
    LookupUnsupported,
    PermanentError,
    PurchaseOrderDocument,
    SendResult,
    TransientError,
)
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.domain import ExceptionKind
from tandem.connector.errors import TandemError
from tandem.connector.services.po_document import build_document
from tandem.connector.services.sent import record_sent, timeline
from tandem.connector.store import Database
from tandem.connector.store.events import Event, record
from tandem.connector.store.exceptions import NewException, raise_exceptions, send_exception_key

KINDS = outbox.IN_REVISION_ORDER
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Outcome:
    """What came of one PO message, for logs and metrics."""

    result: str  # sent, retried, failed, held or manual
    po: str
    revision: int
    supplier_id: str
    detail: str = ""  # why it failed, in the supplier's words where there are any


@dataclass
class DispatchReport:
    sent: list[str] = field(default_factory=list)  # "PO-00012 rev 1"
    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def note(self, result: str, item: outbox.OutboxItem, label: str, detail: str = "") -> None:
        getattr(self, result).append(f"{label}: {detail}" if detail else label)
        number = item.payload.get("number")
        supplier = item.supplier_id or "unknown"
        self.outcomes.append(
            Outcome(result, str(number), outbox.revision_of(item), supplier, detail)
        )


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    base = min(3600.0, 30.0 * 2 ** (attempts - 1))
    return timedelta(seconds=random.uniform(base / 2, base))  # jitter, not crypto


async def dispatch(
    db: Database,
    config: TandemConfig,
    *,
    worker: str,
    channels: ChannelFactory,
    limit: int = 10_000,
    batch: int = 1,
    now: Callable[[], datetime] = utcnow,
    stop: Callable[[], bool] = lambda: False,
) -> DispatchReport:
    """Deliver due PO messages until none is due (or `limit` were handled, or `stop()`).

    Items are claimed `batch` at a time (one by default: a worker that dies then leaves at
    most the item it was sending in doubt). Before each item after the first the lease is
    renewed, so slow sends never let it run out unnoticed; an item another worker took
    meanwhile is skipped, never sent twice. Items claimed but not started when `stop()`
    turns true stay leased to `worker`; the caller hands them back (`outbox.release_leases`)."""
    report = DispatchReport()
    cache: dict[str, Channel | TandemError | None] = {}
    handled = 0
    while handled < limit and not stop():
        with db.write() as conn:
            items = outbox.claim(conn, worker, now(), LEASE, limit=batch, kinds=KINDS)
        if not items:
            break
        for index, item in enumerate(items):
            if stop():
                break
            if index:
                with db.write() as conn:
                    still_mine = outbox.renew(conn, item.id, worker, now(), LEASE)
                if not still_mine:
                    continue
            handled += 1
            with structlog.contextvars.bound_contextvars(
                po=item.payload.get("number"), supplier=item.supplier_id
            ):
                await _deliver(db, config, worker, item, channels, cache, report, now)
    return report


async def _deliver(
    db: Database,
    config: TandemConfig,
    worker: str,
    item: outbox.OutboxItem,
    channels: ChannelFactory,
    cache: dict[str, Channel | TandemError | None],
    report: DispatchReport,
    now: Callable[[], datetime],
) -> None:
    supplier = config.supplier(item.supplier_id or "")
    label = f"{item.payload.get('number')} rev {outbox.revision_of(item)}"
    with db.read() as conn:
        document = build_document(
            conn,
            config,
            int(item.payload["po_id"]),
            revision=outbox.revision_of(item),
            idempotency_key=item.idempotency_key,
            content=item.payload.get("content"),
        )
    if supplier is None:
        _stop(
            db,
            worker,
            item,
            document,
            f"supplier {item.supplier_id} is no longer configured",
            now(),
            never_reached=item.first_attempt,
        )
        report.note("failed", item, label, f"supplier {item.supplier_id} is not configured")
        return
    if supplier.id not in cache:
        cache[supplier.id] = _channel(channels, supplier, config)
    channel = cache[supplier.id]
    if isinstance(channel, TandemError):
        # Nothing was attempted: the supplier cannot have it from this attempt.
        reason = f"its settings cannot be used ({channel}); `tandem config check` shows why"
        _stop(db, worker, item, document, reason, now(), never_reached=item.first_attempt)
        report.note("failed", item, label, str(channel))
        return
    if channel is None:  # manual: a person passes the PO on
        with db.write() as conn:
            if outbox.complete(conn, item.id, worker, now()):
                timeline(
                    conn,
                    document,
                    f"{label} is ready to pass on to {supplier.name} by hand",
                    None,
                    now(),
                )
        report.note("manual", item, label)
        return
    mark = _Marker(db, worker, item, now)
    try:
        with transmission.marking(mark):
            result = await _send_once(channel, document, item, supplier, mark)
    except transmission.LeaseLost:
        return  # another worker holds the item now and performs it; nothing was sent
    except _Held as held:
        _stop(db, worker, item, document, str(held), now(), ExceptionKind.SEND_IN_DOUBT)
        report.note("held", item, label, str(held))
        return
    except (TransientError, _LookupFailed) as failure:
        # A lookup that could not be made answers nothing: the item stays in doubt.
        in_doubt = isinstance(failure, _LookupFailed)
        exc = failure.error if isinstance(failure, _LookupFailed) else failure
        if item.attempts < supplier.attempt_budget:
            at = now() + backoff(item.attempts, exc.retry_after)
            with db.write() as conn:
                outbox.retry(conn, item.id, worker, str(exc), at, in_doubt=in_doubt)
            report.note("retried", item, label, str(exc))
            return
        reason = f"{exc} (gave up after {item.attempts} attempts)"
        if in_doubt:
            reason = (
                f"{document.number} revision {document.revision} may or may not have reached"
                f" {supplier.name}, and asking the supplier kept failing: {reason}."
                f" {_ANSWERS.format(number=document.number)}"
            )
        kind = ExceptionKind.SEND_IN_DOUBT if in_doubt else ExceptionKind.SEND_FAILED
        _stop(db, worker, item, document, reason, now(), kind)
        report.note("failed", item, label, str(exc))
        return
    except (PermanentError, ChannelError) as exc:
        # Refused at the only attempt ever made: the supplier never had it.
        _stop(db, worker, item, document, str(exc), now(), never_reached=item.first_attempt)
        report.note("failed", item, label, str(exc))
        return
    with db.write() as conn:
        if not outbox.complete(conn, item.id, worker, now()):
            return  # the lease was lost; the new holder finds the PO at the supplier
        record_sent(conn, config, document, result, supplier, now())
    report.note("sent", item, label)


def _channel(
    channels: ChannelFactory, supplier: SupplierConfig, config: TandemConfig
) -> Channel | TandemError | None:
    """The supplier's channel, or the error its settings give when it is built (kept, so
    every item of that supplier is stopped with it and the channel is not built again)."""
    try:
        return channels(supplier, config)
    except TandemError as exc:
        return exc


@dataclass
class _Marker:
    """What `transmission.transmitting()` does in dispatch: commit the item's mark."""

    db: Database
    worker: str
    item: outbox.OutboxItem
    now: Callable[[], datetime]

    async def __call__(self) -> None:
        with self.db.write() as conn:
            held = outbox.mark_transmitting(conn, self.item.id, self.worker, self.now(), LEASE)
        if not held:
            raise transmission.LeaseLost(f"outbox item {self.item.id} is held by another worker")


class _Held(Exception):
    pass


class _LookupFailed(Exception):
    """Asking the supplier whether an earlier attempt arrived failed for now."""

    def __init__(self, error: TransientError) -> None:
        super().__init__(str(error))
        self.error = error


# What a person can answer about a revision that may or may not have arrived.
_ANSWERS = (
    "Ask the supplier: if it arrived, `tandem po arrived {number}` records it as sent; if"
    " not, `tandem po resend {number}` sends it again (same Message-ID)."
)


async def _send_once(
    channel: Channel,
    document: PurchaseOrderDocument,
    item: outbox.OutboxItem,
    supplier: SupplierConfig,
    mark: _Marker,
) -> SendResult:
    if item.in_doubt:
        try:
            found = await channel.lookup(document)
        except TransientError as exc:
            raise _LookupFailed(exc) from None
        except LookupUnsupported:
            if supplier.in_doubt == "hold":
                raise _Held(
                    f"{document.number} revision {document.revision} may or may not have reached"
                    f" {supplier.name}: Tandem stopped while sending it and the channel cannot"
                    f" check. {_ANSWERS.format(number=document.number)}"
                ) from None
        else:
            if found is not None:
                found.details["resolved_by_lookup"] = True
                return found
    if not getattr(channel, "marks_transmission", False):
        await mark()  # the channel does not say when it starts: mark it now, to be safe
    return await channel.send(document)


def _stop(
    db: Database,
    worker: str,
    item: outbox.OutboxItem,
    document: PurchaseOrderDocument,
    reason: str,
    now: datetime,
    kind: ExceptionKind = ExceptionKind.SEND_FAILED,
    *,
    never_reached: bool = False,
) -> None:
    in_doubt = kind == ExceptionKind.SEND_IN_DOUBT
    with db.write() as conn:
        # In doubt, the item is held: later revisions of the PO wait for a person's answer.
        stopped = outbox.hold if in_doubt else outbox.dead_letter
        if not stopped(conn, item.id, worker, reason, now):
            return
        po_id = document.po_id
        message = (
            reason
            if in_doubt
            else f"{document.number} revision {document.revision} could not be sent to"
            f" {document.supplier_name}: {reason}. Fix the cause, then `tandem po resend"
            f" {document.number}`."
        )
        raise_exceptions(
            conn,
            [
                NewException(
                    kind,
                    send_exception_key(kind, item.dedupe_key),
                    message,
                    po_id=po_id,
                    supplier_id=document.supplier_id,
                    details={
                        "outbox": item.dedupe_key,
                        "attempts": item.attempts,
                        "never_reached": never_reached,
                    },
                )
            ],
            now,
        )
        record(
            conn,
            [
                Event(
                    "po.send_in_doubt" if in_doubt else "po.send_failed",
                    message,
                    po_id=po_id,
                    supplier_id=document.supplier_id,
                )
            ],
            now,
        )
