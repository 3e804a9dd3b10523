"""Receiving back-to-back goods: the oldest waiting orders are served first.

Received units go to the PO line's allocations in order of the orders' age; what no allocation
waits for is surplus and becomes free warehouse stock (which a shortfall plan links to waiting
lines). Both sides get a note: the PO says which orders got what, each order says what arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import OPEN_PO_STATUSES, Mode, POStatus
from tandem.connector.errors import ConflictError, InputError, NotFound
from tandem.connector.services.store_updates import queue_status_updates
from tandem.connector.services.suppliers import replan_waiting
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record


@dataclass
class Receipt:
    po_number: str
    po_id: int
    sku: str
    units: int
    served: list[tuple[str, int]] = field(default_factory=list)  # (order name, units)
    surplus: int = 0
    po_status: str = ""


def receive(
    db: Database,
    po_number: str,
    sku: str,
    quantity: int,
    now: datetime,
    who: str = "cli",
    config: TandemConfig | None = None,
) -> Receipt:
    """Record `quantity` supplier units of `sku` (store or supplier SKU) arriving on a PO.
    With `config`, the orders served hear of the PO's new status (store write-back)."""
    if quantity <= 0:
        raise InputError("--quantity", [f"must be a positive whole number (got {quantity})"])
    with db.write() as conn:
        db.lock(conn, "planner")
        receipt = _receive(conn, po_number, sku, quantity, now, who)
        if config is not None:
            queue_status_updates(conn, config, [receipt.po_id], now)
        return receipt


def _receive(
    conn: Connection, po_number: str, sku: str, quantity: int, now: datetime, who: str
) -> Receipt:
    po, pl, a, ol, o = (
        t.purchase_orders,
        t.po_lines,
        t.allocations,
        t.order_lines,
        t.orders,
    )
    head = conn.execute(
        select(po.c.id, po.c.status, po.c.mode, po.c.supplier_id).where(po.c.number == po_number)
    ).first()
    if head is None:
        raise NotFound(f"no PO numbered {po_number}")
    if head.mode != Mode.BACK_TO_BACK.value:
        raise ConflictError(
            f"{po_number} is a drop-ship PO: its goods go to the customer, not the warehouse;"
            " record a shipment instead"
        )
    # A back-to-back PO the supplier shipped in full is on its way to the warehouse.
    if POStatus(head.status) not in OPEN_PO_STATUSES | {POStatus.SHIPPED}:
        raise ConflictError(f"{po_number} is {head.status}; nothing can be received on it")
    lines = conn.execute(select(pl).where(pl.c.po_id == head.id)).all()
    line = next((r for r in lines if sku in (r.sku, r.supplier_sku)), None)
    if line is None:
        known = ", ".join(sorted(r.sku for r in lines))
        raise NotFound(f"{po_number} has no line for SKU {sku} (it has {known})")
    units = quantity * line.pack_size
    receipt = Receipt(po_number, head.id, line.sku, units)

    waiting = conn.execute(
        select(a.c.id, a.c.quantity, a.c.received, o.c.id.label("order_id"), o.c.name)
        .join(ol, ol.c.id == a.c.order_line_id)
        .join(o, o.c.id == ol.c.order_id)
        .where(a.c.po_line_id == line.id, a.c.received < a.c.quantity)
        .order_by(o.c.created_at, o.c.id, a.c.id)
    ).all()
    left = units
    events: list[Event] = []
    for alloc in waiting:
        give = min(left, alloc.quantity - alloc.received)
        if give <= 0:
            break
        conn.execute(a.update().where(a.c.id == alloc.id).values(received=alloc.received + give))
        left -= give
        receipt.served.append((alloc.name, give))
        events.append(
            Event(
                "goods_received",
                f"{give} × {line.sku} received on {po_number}: ready to ship",
                order_id=alloc.order_id,
                po_id=head.id,
                supplier_id=head.supplier_id,
            )
        )
    receipt.surplus = left
    conn.execute(
        pl.update().where(pl.c.id == line.id).values(received_units=line.received_units + units)
    )
    _add_stock(conn, line.sku, units, now)
    receipt.po_status = _update_status(conn, head.id, now)
    served = ", ".join(f"{name} {n}" for name, n in receipt.served) or "no waiting orders"
    extra = f"; {receipt.surplus} to stock" if receipt.surplus else ""
    events.append(
        Event(
            "goods_received",
            f"Received {units} × {line.sku} (by {who}): {served}{extra}",
            po_id=head.id,
            supplier_id=head.supplier_id,
            data={"units": units, "surplus": receipt.surplus},
        )
    )
    record(conn, events, now)
    if receipt.surplus:
        replan_waiting(conn, [line.sku])
    return receipt


def _add_stock(conn: Connection, sku: str, units: int, now: datetime) -> None:
    s = t.stock_levels
    current = conn.execute(select(s.c.on_hand).where(s.c.sku == sku)).scalar()
    if current is None:
        conn.execute(s.insert().values(sku=sku, on_hand=units, updated_at=now))
    else:
        conn.execute(
            s.update().where(s.c.sku == sku).values(on_hand=current + units, updated_at=now)
        )


def _update_status(conn: Connection, po_id: int, now: datetime) -> str:
    pl, po = t.po_lines, t.purchase_orders
    lines = conn.execute(
        select(pl.c.quantity, pl.c.pack_size, pl.c.received_units).where(pl.c.po_id == po_id)
    ).all()
    complete = all(r.received_units >= r.quantity * r.pack_size for r in lines)
    status = POStatus.RECEIVED if complete else POStatus.PARTIALLY_RECEIVED
    conn.execute(
        po.update()
        .where(po.c.id == po_id)
        .values(status=status.value, updated_at=now, closed_at=now if complete else None)
    )
    return status.value
