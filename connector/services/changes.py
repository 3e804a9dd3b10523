"""Changes to POs the supplier already has: record them, queue the message, tell a person.

Every edit or cancellation that lowers a released PO line becomes a new PO revision with its
changes listed line by line, an outbox item that sends them (`po.change`), and an exception,
because only the supplier can confirm the goods are not coming.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from connector.domain import ExceptionKind, POStatus
from connector.outbox import Effect, enqueue
from connector.store import schema as t
from connector.store.events import Event, record
from connector.store.exceptions import NewException, raise_exceptions
from connector.store.purchase_orders import LineChange


@dataclass(frozen=True)
class ChangeReason:
    po_id: int
    order_id: int
    text: str


def request_changes(
    conn: Connection, changes: Sequence[LineChange], reasons: Sequence[ChangeReason], now: datetime
) -> list[str]:
    """Record the changes per PO; returns "PO-00012 rev 2" for each PO changed."""
    by_po: dict[int, list[LineChange]] = defaultdict(list)
    for change in changes:
        by_po[change.po_id].append(change)
    why: dict[int, list[ChangeReason]] = defaultdict(list)
    for reason in reasons:
        if reason not in why[reason.po_id]:
            why[reason.po_id].append(reason)
    done = []
    for po_id, items in sorted(by_po.items()):
        done.append(_request(conn, po_id, items, why[po_id], now))
    return done


def _request(
    conn: Connection,
    po_id: int,
    items: list[LineChange],
    reasons: list[ChangeReason],
    now: datetime,
) -> str:
    po, pl = t.purchase_orders, t.po_lines
    head = conn.execute(
        select(po.c.number, po.c.revision, po.c.supplier_id).where(po.c.id == po_id)
    ).one()
    revision = head.revision + 1
    remaining = conn.execute(
        select(pl.c.quantity).where(pl.c.po_id == po_id, pl.c.quantity > 0)
    ).first()
    whole = remaining is None
    reason_text = "; ".join(r.text for r in reasons) or "order lines need less"
    rows = [
        {
            "po_id": po_id,
            "revision": revision,
            "po_line_id": c.po_line_id,
            "kind": "cancel_line" if c.new == 0 else "reduce",
            "sku": c.sku,
            "supplier_sku": c.supplier_sku,
            "old_quantity": c.old,
            "new_quantity": c.new,
            "reason": reason_text,
            "created_at": now,
        }
        for c in items
    ]
    if whole:
        rows.append(
            {
                "po_id": po_id,
                "revision": revision,
                "po_line_id": None,
                "kind": "cancel_po",
                "sku": None,
                "supplier_sku": None,
                "old_quantity": None,
                "new_quantity": None,
                "reason": reason_text,
                "created_at": now,
            }
        )
    conn.execute(t.po_changes.insert(), rows)
    values: dict[str, object] = {"revision": revision, "updated_at": now}
    if whole:
        values.update(status=POStatus.CANCELLED.value, cancelled_at=now)
    conn.execute(po.update().where(po.c.id == po_id).values(**values))
    summary = ", ".join(
        f"{c.supplier_sku} {c.old} → {c.new}" if c.new else f"{c.supplier_sku} cancelled"
        for c in items
    )
    what = "cancellation" if whole else "change"
    enqueue(
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
    message = (
        f"{head.number} was already released to {head.supplier_id}; {reason_text}."
        f" A {what} request (revision {revision}: {summary}) is queued for the supplier;"
        " check that they confirm it."
    )
    raise_exceptions(
        conn,
        [
            NewException(
                ExceptionKind.PO_CHANGE_REQUESTED,
                f"po:{po_id}:change:rev{revision}",
                message,
                po_id=po_id,
                supplier_id=head.supplier_id,
                order_id=reasons[0].order_id if len({r.order_id for r in reasons}) == 1 else None,
                details={"revision": revision, "changes": summary},
            )
        ],
        now,
    )
    record(
        conn,
        [
            Event(
                "po_change_requested",
                f"Revision {revision}: {summary} ({reason_text})",
                po_id=po_id,
                supplier_id=head.supplier_id,
            )
        ]
        + [
            Event(
                "po_change_requested",
                f"{head.number} {what} requested: {summary}",
                order_id=order_id,
                po_id=po_id,
                supplier_id=head.supplier_id,
            )
            for order_id in sorted({r.order_id for r in reasons})
        ],
        now,
    )
    return f"{head.number} rev {revision}"
