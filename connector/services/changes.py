"""Lower quantities on released POs: amend what the supplier has not seen, ask for the rest.

The planner lowers a released PO's lines when orders are edited or cancelled. What happens
then depends on whether the supplier can have the PO yet:

- Its first sending has not been attempted, or the supplier refused it outright: the PO is
  still Tandem's alone. That sending is amended to carry the new lines (a resend sends them),
  or, when no line is left, withdrawn and the PO cancelled. The supplier hears of neither.
- Otherwise: a new PO revision lists the changes line by line, an outbox item sends it
  (`po.change`, after every earlier revision), and an exception asks a person to check the
  supplier confirms, because only the supplier can say the goods are not coming.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from tandem.connector.domain import ExceptionKind, POStatus
from tandem.connector.services import po_revisions
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record
from tandem.connector.store.exceptions import NewException, raise_exceptions
from tandem.connector.store.purchase_orders import LineChange


@dataclass(frozen=True)
class ChangeReason:
    po_id: int
    order_id: int
    text: str


def request_changes(
    conn: Connection, changes: Sequence[LineChange], reasons: Sequence[ChangeReason], now: datetime
) -> list[str]:
    """Amend or record the changes per PO; returns what became of each PO changed
    ("PO-00012 rev 2", "PO-00013 amended before it was sent", ...)."""
    by_po: dict[int, list[LineChange]] = defaultdict(list)
    for change in changes:
        by_po[change.po_id].append(change)
    why: dict[int, list[ChangeReason]] = defaultdict(list)
    for reason in reasons:
        if reason not in why[reason.po_id]:
            why[reason.po_id].append(reason)
    done = []
    for po_id, items in sorted(by_po.items()):
        done.append(_change(conn, po_id, items, why[po_id], now))
    return done


@dataclass(frozen=True)
class _Change:
    po_id: int
    number: str
    supplier_id: str
    revision: int  # the PO's revision before this change
    items: list[LineChange]
    reasons: list[ChangeReason]
    whole: bool  # no line is left: the PO is cancelled

    @property
    def reason_text(self) -> str:
        return "; ".join(r.text for r in self.reasons) or "order lines need less"

    @property
    def summary(self) -> str:
        return ", ".join(
            f"{c.supplier_sku} {c.old} → {c.new}" if c.new else f"{c.supplier_sku} cancelled"
            for c in self.items
        )

    def order_events(self, message: str) -> list[Event]:
        return [
            Event(
                "po_change_requested",
                message,
                order_id=order_id,
                po_id=self.po_id,
                supplier_id=self.supplier_id,
            )
            for order_id in sorted({r.order_id for r in self.reasons})
        ]


def _change(
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
    remaining = conn.execute(
        select(pl.c.quantity).where(pl.c.po_id == po_id, pl.c.quantity > 0)
    ).first()
    change = _Change(
        po_id, head.number, head.supplier_id, head.revision, items, reasons, remaining is None
    )
    unsent = po_revisions.unsent_first_sending(conn, po_id) if change.revision <= 1 else None
    if unsent is not None:
        settled = (
            _withdraw(conn, change, unsent, now)
            if change.whole
            else _amend(conn, change, unsent, now)
        )
        if settled is not None:
            return settled
    return _request(conn, change, now)


def _amend(conn: Connection, change: _Change, unsent: Any, now: datetime) -> str | None:
    content = po_revisions.contents(conn, [change.po_id])[change.po_id]
    if not po_revisions.amend_unsent(conn, change.po_id, content, unsent):
        return None  # a worker took the sending this moment: ask the supplier instead
    record(
        conn,
        [
            Event(
                "po_amended",
                f"Amended before it was sent: {change.summary} ({change.reason_text})",
                po_id=change.po_id,
                supplier_id=change.supplier_id,
            ),
            *change.order_events(f"{change.number} amended before it was sent: {change.summary}"),
        ],
        now,
    )
    return f"{change.number} amended before it was sent"


def _withdraw(conn: Connection, change: _Change, unsent: Any, now: datetime) -> str | None:
    reason = (
        f"{change.number} cancelled before it reached {change.supplier_id}, so nothing was"
        f" sent: {change.reason_text}"
    )
    if not po_revisions.withdraw_unsent(conn, change.po_id, unsent, reason, "tandem", now):
        return None
    po = t.purchase_orders
    conn.execute(
        po.update()
        .where(po.c.id == change.po_id)
        .values(status=POStatus.CANCELLED.value, cancelled_at=now, updated_at=now)
    )
    message = f"{change.number} cancelled before it was sent; {change.supplier_id} was not told"
    record(
        conn,
        [
            Event(
                "po.cancelled",
                f"{message} ({change.reason_text})",
                po_id=change.po_id,
                supplier_id=change.supplier_id,
            ),
            *change.order_events(message),
        ],
        now,
    )
    return f"{change.number} withdrawn before it was sent"


def _request(conn: Connection, change: _Change, now: datetime) -> str:
    po_id, revision = change.po_id, change.revision + 1
    rows: list[dict[str, Any]] = [
        {
            "po_line_id": c.po_line_id,
            "kind": "cancel_line" if c.new == 0 else "reduce",
            "sku": c.sku,
            "supplier_sku": c.supplier_sku,
            "old_quantity": c.old,
            "new_quantity": c.new,
            "reason": change.reason_text,
        }
        for c in change.items
    ]
    if change.whole:
        rows.append(
            {
                "po_line_id": None,
                "kind": "cancel_po",
                "sku": None,
                "supplier_sku": None,
                "old_quantity": None,
                "new_quantity": None,
                "reason": change.reason_text,
            }
        )
    # The orders whose lines just left the PO are still named on the message about them.
    names = conn.execute(
        select(t.orders.c.name).where(
            t.orders.c.id.in_(sorted({r.order_id for r in change.reasons}))
        )
    ).scalars()
    content = po_revisions.with_orders(
        po_revisions.contents(conn, [po_id], cancelled=change.whole)[po_id], names
    )
    po = t.purchase_orders
    values: dict[str, object] = {"revision": revision, "updated_at": now}
    if change.whole:
        values.update(status=POStatus.CANCELLED.value, cancelled_at=now)
        po_revisions.withdraw_stopped(
            conn,
            po_id,
            f"superseded: {change.number} cancelled ({change.reason_text}); the cancellation"
            " tells the supplier",
            "tandem",
            now,
        )
    conn.execute(po.update().where(po.c.id == po_id).values(**values))
    po_revisions.add_revision(
        conn, po_id, change.number, change.supplier_id, revision, rows, content, now
    )
    what = "cancellation" if change.whole else "change"
    message = (
        f"{change.number} was already released to {change.supplier_id}; {change.reason_text}."
        f" A {what} request (revision {revision}: {change.summary}) is queued for the supplier;"
        " check that they confirm it."
    )
    reasons = change.reasons
    raise_exceptions(
        conn,
        [
            NewException(
                ExceptionKind.PO_CHANGE_REQUESTED,
                f"po:{po_id}:change:rev{revision}",
                message,
                po_id=po_id,
                supplier_id=change.supplier_id,
                order_id=reasons[0].order_id if len({r.order_id for r in reasons}) == 1 else None,
                details={"revision": revision, "changes": change.summary},
            )
        ],
        now,
    )
    record(
        conn,
        [
            Event(
                "po_change_requested",
                f"Revision {revision}: {change.summary} ({change.reason_text})",
                po_id=po_id,
                supplier_id=change.supplier_id,
            ),
            *change.order_events(f"{change.number} {what} requested: {change.summary}"),
        ],
        now,
    )
    return f"{change.number} rev {revision}"
