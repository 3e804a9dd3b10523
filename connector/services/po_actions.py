"""What a merchant does to a PO by hand: send it again, or cancel it.

Resending requeues the outbox item of the PO's latest revision with its original idempotency
key, so a supplier that did receive it sees a duplicate it can recognise (same Message-ID,
same Idempotency-Key). Cancelling a draft frees its lines for the planner; cancelling a PO the
supplier has queues a cancellation message, and the orders it served are planned again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from connector import outbox
from connector.configuration import TandemConfig
from connector.domain import POStatus
from connector.errors import ConflictError
from connector.outbox import Effect
from connector.services.store_updates import queue_status_updates
from connector.store import Database
from connector.store import schema as t
from connector.store.events import Event, record
from connector.store.views import find_po

SENDABLE = {
    POStatus.RELEASED.value,
    POStatus.SENT.value,
    POStatus.ACKNOWLEDGED.value,
    POStatus.CANCELLED.value,
}


@dataclass
class ActionResult:
    number: str
    message: str


def _close_send_exceptions(
    conn: Connection, po_id: int, who: str, note: str, now: datetime
) -> None:
    conn.execute(
        update(t.exceptions)
        .where(
            t.exceptions.c.po_id == po_id,
            t.exceptions.c.status == "open",
            t.exceptions.c.kind.in_(["send_failed", "send_in_doubt"]),
        )
        .values(
            status="resolved", resolved_at=now, resolved_by=who, resolution=note, updated_at=now
        )
    )


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
        kind = "po.send" if head.revision <= 1 else "po.change"
        key = f"{kind}:{po_id}:rev{max(1, head.revision)}"
        if not outbox.requeue(conn, key, now):
            added = outbox.enqueue(
                conn,
                [
                    Effect(
                        kind,
                        key,
                        {"po_id": po_id, "number": head.number, "revision": max(1, head.revision)},
                        po_id=po_id,
                        supplier_id=head.supplier_id,
                    )
                ],
                now,
            )
            if not added:
                raise ConflictError(f"{head.number} is already waiting to be sent")
        _close_send_exceptions(conn, po_id, who, "resend requested", now)
        message = f"{head.number} revision {max(1, head.revision)} queued to be sent again by {who}"
        record(conn, [Event("po.resend", message, po_id=po_id, supplier_id=head.supplier_id)], now)
    return ActionResult(head.number, message)


def cancel(
    db: Database,
    config: TandemConfig,
    reference: str,
    now: datetime,
    who: str = "cli",
    first: First | None = None,
) -> ActionResult:
    po, pl, a, ol = t.purchase_orders, t.po_lines, t.allocations, t.order_lines
    with db.write() as conn:
        db.lock(conn, "planner")
        if first is not None:
            first(conn)
        po_id = find_po(conn, reference)
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
        sent = head.number is not None and not (
            head.status == POStatus.RELEASED.value and _withdraw_unsent(conn, po_id, now)
        )
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
            conn.execute(
                t.po_changes.insert().values(
                    po_id=po_id,
                    revision=revision,
                    po_line_id=None,
                    kind="cancel_po",
                    reason=f"cancelled by {who}",
                    created_at=now,
                )
            )
            outbox.enqueue(
                conn,
                [
                    Effect(
                        "po.change",
                        f"po.change:{po_id}:rev{revision}",
                        {"po_id": po_id, "number": head.number, "revision": revision},
                        po_id=po_id,
                        supplier_id=head.supplier_id,
                    )
                ],
                now,
            )
        message = f"{name} cancelled by {who}" + (
            "; a cancellation is queued for the supplier" if sent else ""
        )
        record(
            conn, [Event("po.cancelled", message, po_id=po_id, supplier_id=head.supplier_id)], now
        )
    return ActionResult(name, message)


def _withdraw_unsent(conn: Connection, po_id: int, now: datetime) -> bool:
    """Stop the first sending of a PO never sent (still `released`) unless an attempt is under
    way; True when withdrawn: the supplier never saw it, so no cancellation needs to go out."""
    withdrawn = conn.execute(
        update(t.outbox)
        .where(
            t.outbox.c.dedupe_key == f"po.send:{po_id}:rev1",
            t.outbox.c.status == outbox.PENDING,
        )
        .values(status=outbox.DEAD, completed_at=now, last_error="cancelled before sending")
    ).rowcount
    return bool(withdrawn)
