"""What a merchant does to a PO by hand: send it again, say it arrived, or cancel it.

Resending requeues what did not go out — the revisions held in doubt or failed since the
last one that reached the supplier, else the latest revision — with their original
idempotency keys, so a supplier that did receive one sees a duplicate it can recognise (same
Message-ID, same Idempotency-Key). Saying a revision arrived answers a send held in doubt
(or one passed on another way): it is recorded as sent, as if dispatch had. Cancelling a
draft frees its lines for the planner; cancelling a PO the supplier has queues a cancellation
message, and the orders it served are planned again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from tandem.connector import outbox
from tandem.connector.channels import SendResult
from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import POStatus
from tandem.connector.errors import ConflictError
from tandem.connector.outbox import revision_of
from tandem.connector.services import po_revisions
from tandem.connector.services.po_document import build_document
from tandem.connector.services.sent import record_sent
from tandem.connector.services.store_updates import queue_status_updates
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record
from tandem.connector.store.exceptions import resolve_sends
from tandem.connector.store.views import find_po

SENDABLE = {
    POStatus.RELEASED.value,
    POStatus.SENT.value,
    POStatus.ACKNOWLEDGED.value,
    POStatus.CANCELLED.value,
}
STOPPED = (outbox.HELD, outbox.DEAD)  # waiting for a person's answer


@dataclass
class ActionResult:
    number: str
    message: str


# Runs first in the action's own transaction; raising stops the action (the dashboard
# closes the exception that asked for it, so both happen or neither does).
First = Callable[[Connection], None]


def resend(
    db: Database, reference: str, now: datetime, who: str = "cli", first: First | None = None
) -> ActionResult:
    with db.write() as conn:
        if first is not None:
            first(conn)
        po_id = find_po(conn, reference)
        head = conn.execute(select(t.purchase_orders).where(t.purchase_orders.c.id == po_id)).one()
        if head.number is None or head.status not in SENDABLE:
            raise ConflictError(f"{reference} is {head.status}; only a released PO can be sent")
        items = po_revisions.revision_items(conn, po_id)
        reached = max((revision_of(i) for i in items if i.status == outbox.DONE), default=0)
        again = [i for i in items if i.status in STOPPED and revision_of(i) > reached]
        live = [i for i in items if i.status != outbox.WITHDRAWN]
        if not again and live:
            if live[-1].status in (outbox.PENDING, outbox.IN_PROGRESS):
                raise ConflictError(f"{head.number} is already waiting to be sent")
            again = live[-1:]
        if not again and items:
            raise ConflictError(
                f"{head.number} was cancelled before it reached the supplier; nothing to send"
            )
        for item in again:
            outbox.requeue(conn, item.dedupe_key, now)
        revisions = [revision_of(i) for i in again] or [max(1, head.revision)]
        if not again:  # queued before revisions had outbox items of their own
            content = po_revisions.contents(conn, [po_id])[po_id]
            effect = po_revisions.revision_effect(
                po_id, head.number, head.supplier_id, revisions[0], content
            )
            outbox.enqueue(conn, [effect], now)
        resolve_sends(conn, [i.dedupe_key for i in again], who, "resend requested", now)
        message = (
            f"{head.number} revision {', '.join(map(str, revisions))} queued to be sent"
            f" again by {who}"
        )
        record(conn, [Event("po.resend", message, po_id=po_id, supplier_id=head.supplier_id)], now)
    return ActionResult(head.number, message)


def arrived(
    db: Database,
    config: TandemConfig,
    reference: str,
    now: datetime,
    who: str = "cli",
    supplier_reference: str | None = None,
    first: First | None = None,
) -> ActionResult:
    """The supplier has the PO's earliest revision that stopped (held in doubt, or failed
    and passed on another way): record it as sent. `supplier_reference` is the supplier's
    own id for the order, where it gave one."""
    with db.write() as conn:
        if first is not None:
            first(conn)
        po_id = find_po(conn, reference)
        head = conn.execute(select(t.purchase_orders).where(t.purchase_orders.c.id == po_id)).one()
        name = head.number or reference
        stopped = [i for i in po_revisions.revision_items(conn, po_id) if i.status in STOPPED]
        if not stopped:
            raise ConflictError(
                f"{name} has no revision waiting for an answer: only a send held in doubt or"
                " one that failed can be recorded as arrived"
            )
        supplier = config.supplier(head.supplier_id)
        if supplier is None:
            raise ConflictError(f"supplier {head.supplier_id} of {name} is no longer configured")
        item = stopped[0]
        revision = revision_of(item)
        note = f"arrived at {supplier.name}, said {who}"
        outbox.complete_held(conn, item.dedupe_key, note, now)
        document = build_document(
            conn,
            config,
            po_id,
            revision=revision,
            idempotency_key=item.idempotency_key,
            content=item.payload.get("content"),
        )
        result = SendResult(supplier_reference, "", {"confirmed_by": who})
        record_sent(conn, config, document, result, supplier, now, confirmed_by=who)
        resolve_sends(conn, [item.dedupe_key], who, note, now)
    return ActionResult(
        name, f"{name} revision {revision} recorded as received by {supplier.name} (said by {who})"
    )


def cancel(
    db: Database,
    config: TandemConfig,
    reference: str,
    now: datetime,
    who: str = "cli",
    first: First | None = None,
) -> ActionResult:
    with db.write() as conn:
        db.lock(conn, "planner")
        if first is not None:
            first(conn)
        return cancel_po(conn, config, find_po(conn, reference), now, who)


def cancel_po(
    conn: Connection, config: TandemConfig, po_id: int, now: datetime, who: str
) -> ActionResult:
    """Cancel one PO in the caller's transaction, which holds the planner's lock."""
    po, pl, a, ol = t.purchase_orders, t.po_lines, t.allocations, t.order_lines
    head = conn.execute(select(po).where(po.c.id == po_id)).one()
    name = head.number or f"draft-{po_id}"
    if head.status in (
        POStatus.CANCELLED.value,
        POStatus.RECEIVED.value,
        POStatus.SHIPPED.value,
    ):
        raise ConflictError(f"{name} is {head.status}; it cannot be cancelled")
    line_ids = select(pl.c.id).where(pl.c.po_id == po_id)
    served = select(a.c.order_line_id).where(a.c.po_line_id.in_(line_ids))
    # The orders it served are planned again (another supplier may have the goods).
    conn.execute(update(ol).where(ol.c.id.in_(served)).values(needs_planning=True))
    content = po_revisions.contents(conn, [po_id], cancelled=True)[po_id]
    sent = head.number is not None and not _withdrawn(conn, config, head, who, now)
    revision = head.revision + 1 if sent else head.revision
    conn.execute(
        update(po)
        .where(po.c.id == po_id)
        .values(
            status=POStatus.CANCELLED.value, cancelled_at=now, updated_at=now, revision=revision
        )
    )
    queue_status_updates(conn, config, [po_id], now)
    conn.execute(a.delete().where(a.c.po_line_id.in_(line_ids)))
    if sent:
        po_revisions.withdraw_stopped(
            conn,
            po_id,
            f"superseded: {name} cancelled by {who}; the cancellation tells the supplier",
            who,
            now,
        )
        po_revisions.add_revision(
            conn,
            po_id,
            head.number,
            head.supplier_id,
            revision,
            [{"po_line_id": None, "kind": "cancel_po", "reason": f"cancelled by {who}"}],
            content,
            now,
        )
    message = f"{name} cancelled by {who}" + (
        "; a cancellation is queued for the supplier" if sent else ""
    )
    record(conn, [Event("po.cancelled", message, po_id=po_id, supplier_id=head.supplier_id)], now)
    return ActionResult(name, message)


def _withdrawn(conn: Connection, config: TandemConfig, head: Any, who: str, now: datetime) -> bool:
    """Withdraw the first sending of a PO the supplier cannot have (see po_revisions); True
    when it was, so no cancellation needs to go out."""
    unsent = po_revisions.unsent_first_sending(conn, head.id) if head.revision <= 1 else None
    if unsent is None:
        return False
    supplier = config.supplier(head.supplier_id)
    reason = (
        f"{head.number} cancelled by {who}; it never reached"
        f" {supplier.name if supplier else head.supplier_id}, so nothing was sent"
    )
    return po_revisions.withdraw_unsent(conn, head.id, unsent, reason, who, now)
