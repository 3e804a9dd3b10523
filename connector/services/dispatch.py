"""Dispatch: deliver released POs and their change requests to suppliers, each exactly once.

Workers claim due `po.send` / `po.change` outbox items under a lease (SKIP LOCKED on
PostgreSQL, so several share the work), build the document, call the supplier's channel and
record the outcome in the same transaction that completes the item.

- Sent: the PO becomes `sent`, the supplier's reference and the exact message go on its
  timeline.
- Transient failure: retried with backoff until the supplier's `attempt_budget` is spent.
- Permanent failure (or budget spent): the item stops and an exception quotes the supplier.
- In doubt (a lease ran out mid-send: the process died between sending and recording): the
  channel is asked whether the earlier attempt arrived (REST lookup, SFTP file check). Where
  it cannot tell (SMTP), the supplier's `in_doubt` policy decides: `hold` raises an exception
  for a person, `resend` sends again with the same Message-ID.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, update

from adapters.suppliers import make_channel
from adapters.suppliers.base import (
    Channel,
    ChannelError,
    LookupUnsupported,
    PermanentError,
    PurchaseOrderDocument,
    SendResult,
    TransientError,
)
from connector import outbox
from connector.clock import utcnow
from connector.configuration import TandemConfig
from connector.configuration.model import SupplierConfig
from connector.domain import ExceptionKind, POStatus
from connector.services.po_document import build_document
from connector.services.store_updates import queue_status_updates
from connector.store import Database
from connector.store import schema as t
from connector.store.events import Event, record
from connector.store.exceptions import NewException, raise_exceptions

KINDS = ("po.send", "po.change")
LEASE = timedelta(minutes=5)
SENT_KEPT = 200_000  # characters of the sent message kept on the timeline

ChannelFactory = Callable[[SupplierConfig, TandemConfig], Channel | None]


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
        number, revision = item.payload.get("number"), item.payload.get("revision")
        supplier = item.supplier_id or "unknown"
        self.outcomes.append(Outcome(result, str(number), int(revision or 1), supplier, detail))


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
    channels: ChannelFactory = make_channel,
    limit: int = 10_000,
    batch: int = 10,
    now: Callable[[], datetime] = utcnow,
    stop: Callable[[], bool] = lambda: False,
) -> DispatchReport:
    """Deliver due PO messages until none is due (or `limit` were handled, or `stop()`).
    Items claimed but not started when `stop()` turns true stay leased to `worker`; the
    caller hands them back (`outbox.release_leases`)."""
    report = DispatchReport()
    cache: dict[str, Channel | None] = {}
    handled = 0
    while handled < limit and not stop():
        with db.write() as conn:
            items = outbox.claim(conn, worker, now(), LEASE, limit=batch, kinds=KINDS)
        if not items:
            break
        for item in items:
            if stop():
                break
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
    cache: dict[str, Channel | None],
    report: DispatchReport,
    now: Callable[[], datetime],
) -> None:
    supplier = config.supplier(item.supplier_id or "")
    label = f"{item.payload.get('number')} rev {item.payload.get('revision')}"
    with db.read() as conn:
        document = build_document(
            conn,
            config,
            int(item.payload["po_id"]),
            revision=int(item.payload.get("revision") or 1),
            idempotency_key=item.idempotency_key,
        )
    if supplier is None:
        _stop(
            db,
            worker,
            item,
            document,
            f"supplier {item.supplier_id} is no longer configured",
            now(),
        )
        report.note("failed", item, label, f"supplier {item.supplier_id} is not configured")
        return
    if supplier.id not in cache:
        cache[supplier.id] = channels(supplier, config)
    channel = cache[supplier.id]
    if channel is None:  # manual: a person passes the PO on
        with db.write() as conn:
            if outbox.complete(conn, item.id, worker, now()):
                _timeline(
                    conn,
                    document,
                    f"{label} is ready to pass on to {supplier.name} by hand",
                    None,
                    now(),
                )
        report.note("manual", item, label)
        return
    try:
        result = await _send_once(channel, document, item, supplier)
    except _Held as held:
        _stop(db, worker, item, document, str(held), now(), ExceptionKind.SEND_IN_DOUBT)
        report.note("held", item, label, str(held))
        return
    except TransientError as exc:
        if item.attempts < supplier.attempt_budget:
            with db.write() as conn:
                outbox.retry(
                    conn, item.id, worker, str(exc), now() + backoff(item.attempts, exc.retry_after)
                )
            report.note("retried", item, label, str(exc))
            return
        _stop(db, worker, item, document, f"{exc} (gave up after {item.attempts} attempts)", now())
        report.note("failed", item, label, str(exc))
        return
    except (PermanentError, ChannelError) as exc:
        _stop(db, worker, item, document, str(exc), now())
        report.note("failed", item, label, str(exc))
        return
    with db.write() as conn:
        if not outbox.complete(conn, item.id, worker, now()):
            return  # the lease was lost; the new holder finds the PO at the supplier
        _record_sent(conn, config, document, result, supplier, now())
    report.note("sent", item, label)


class _Held(Exception):
    pass


async def _send_once(
    channel: Channel,
    document: PurchaseOrderDocument,
    item: outbox.OutboxItem,
    supplier: SupplierConfig,
) -> SendResult:
    if item.in_doubt:
        try:
            found = await channel.lookup(document)
        except LookupUnsupported:
            if supplier.in_doubt == "hold":
                raise _Held(
                    f"{document.number} revision {document.revision} may or may not have reached"
                    f" {supplier.name}: Tandem stopped while sending it and the channel cannot"
                    " check. Ask the supplier; `tandem po resend` sends it again (same"
                    " Message-ID), `tandem exceptions resolve` closes this if it arrived."
                ) from None
        else:
            if found is not None:
                found.details["resolved_by_lookup"] = True
                return found
    return await channel.send(document)


def _record_sent(
    conn: Connection,
    config: TandemConfig,
    document: PurchaseOrderDocument,
    result: SendResult,
    supplier: SupplierConfig,
    now: datetime,
) -> None:
    po = t.purchase_orders
    values: dict[str, Any] = {"updated_at": now}
    if result.reference and document.kind == "order":
        values["supplier_reference"] = result.reference[:200]
    conn.execute(update(po).where(po.c.number == document.number).values(**values))
    if document.kind == "order":
        conn.execute(
            update(po)
            .where(po.c.number == document.number, po.c.status == POStatus.RELEASED.value)
            .values(status=POStatus.SENT.value)
        )
    how = supplier.transport.type
    what = {"order": "sent", "change": "change sent", "cancel": "cancellation sent"}.get(
        document.kind, "sent"
    )
    ref = f" ({result.reference})" if result.reference else ""
    looked = (
        " — found at the supplier after an interrupted attempt"
        if result.details.get("resolved_by_lookup")
        else ""
    )
    message = f"{document.number} rev {document.revision} {what} to {supplier.name} by {how}"
    _timeline(conn, document, f"{message}{ref}{looked}", result, now)
    po_id = conn.execute(
        po.select().with_only_columns(po.c.id).where(po.c.number == document.number)
    ).scalar_one()
    queue_status_updates(conn, config, [po_id], now)


def _timeline(
    conn: Connection,
    document: PurchaseOrderDocument,
    message: str,
    result: SendResult | None,
    now: datetime,
) -> None:
    po_id = conn.execute(
        t.purchase_orders.select()
        .with_only_columns(t.purchase_orders.c.id)
        .where(t.purchase_orders.c.number == document.number)
    ).scalar_one()
    data: dict[str, Any] = {"revision": document.revision, "kind": document.kind}
    if result is not None:
        data.update(
            reference=result.reference, sent=result.sent[:SENT_KEPT], details=_plain(result.details)
        )
    record(
        conn,
        [
            Event(
                "po.sent" if result else "po.manual",
                message,
                po_id=po_id,
                supplier_id=document.supplier_id,
                data=data,
            )
        ],
        now,
    )


def _plain(value: Any) -> Any:
    """Details as JSON-safe values for the events table."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _stop(
    db: Database,
    worker: str,
    item: outbox.OutboxItem,
    document: PurchaseOrderDocument,
    reason: str,
    now: datetime,
    kind: ExceptionKind = ExceptionKind.SEND_FAILED,
) -> None:
    with db.write() as conn:
        if not outbox.dead_letter(conn, item.id, worker, reason, now):
            return
        po_id = conn.execute(
            t.purchase_orders.select()
            .with_only_columns(t.purchase_orders.c.id)
            .where(t.purchase_orders.c.number == document.number)
        ).scalar_one()
        what = "could not be sent" if kind == ExceptionKind.SEND_FAILED else "is in doubt"
        message = (
            reason
            if kind == ExceptionKind.SEND_IN_DOUBT
            else f"{document.number} revision {document.revision} {what} to"
            f" {document.supplier_name}: {reason}. Fix the cause, then `tandem po resend"
            f" {document.number}`."
        )
        raise_exceptions(
            conn,
            [
                NewException(
                    kind,
                    f"{kind.value}:{item.dedupe_key}",
                    message,
                    po_id=po_id,
                    supplier_id=document.supplier_id,
                    details={"outbox": item.dedupe_key, "attempts": item.attempts},
                )
            ],
            now,
        )
        record(
            conn,
            [Event("po.send_failed", message, po_id=po_id, supplier_id=document.supplier_id)],
            now,
        )
