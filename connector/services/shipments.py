"""Shipments: a supplier sent (part of) a PO, with tracking numbers.

For drop-ship POs the shipment becomes a fulfillment on each order served (through the
outbox); for back-to-back POs it records goods in transit to the warehouse. Quantities are in
supplier units, like PO lines; a line cannot ship more than was ordered and not yet shipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import POStatus
from tandem.connector.errors import ConflictError, InputError
from tandem.connector.services.store_updates import queue_fulfillments, queue_status_updates
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record
from tandem.connector.store.views import find_po

SHIPPABLE = {
    POStatus.RELEASED.value,
    POStatus.SENT.value,
    POStatus.ACKNOWLEDGED.value,
    POStatus.SHIPPED.value,
}


@dataclass(frozen=True)
class ShippedLine:
    sku: str
    quantity: int


@dataclass
class Shipment:
    id: int
    po_number: str
    lines: list[ShippedLine]
    complete: bool  # every line of the PO has shipped in full


def shipped_so_far(conn: Connection, po_id: int) -> dict[int, int]:
    """PO line id -> supplier units shipped by earlier shipments."""
    shipped: dict[int, int] = defaultdict(int)
    for (lines,) in conn.execute(select(t.shipments.c.lines).where(t.shipments.c.po_id == po_id)):
        for line in lines:
            shipped[int(line["po_line_id"])] += int(line["quantity"])
    return shipped


def record_shipment(
    db: Database,
    config: TandemConfig,
    po_reference: str,
    tracking_numbers: Sequence[str],
    now: datetime,
    *,
    carrier: str | None = None,
    tracking_urls: Sequence[str] = (),
    lines: Sequence[ShippedLine] = (),
) -> Shipment:
    """Record a shipment of `lines` (all that is still unshipped when empty)."""
    with db.write() as conn:
        db.lock(conn, "planner")
        return ship(
            conn,
            config,
            po_reference,
            tracking_numbers,
            now,
            carrier=carrier,
            tracking_urls=tracking_urls,
            lines=lines,
        )


def ship(
    conn: Connection,
    config: TandemConfig,
    po_reference: str,
    tracking_numbers: Sequence[str],
    now: datetime,
    *,
    carrier: str | None = None,
    tracking_urls: Sequence[str] = (),
    lines: Sequence[ShippedLine] = (),
    by: str = "",
) -> Shipment:
    """`record_shipment` in the caller's transaction (which holds the planner's lock); `by`
    ends the timeline's words ("by Acme via portal")."""
    numbers = [n.strip() for n in tracking_numbers if n.strip()]
    if not numbers:
        raise InputError("--tracking", ["give at least one tracking number"])
    po_id = find_po(conn, po_reference)
    po = conn.execute(select(t.purchase_orders).where(t.purchase_orders.c.id == po_id)).one()
    if po.status not in SHIPPABLE:
        raise ConflictError(f"{po_reference} is {po.status}; only a sent PO can ship")
    po_lines = conn.execute(
        select(t.po_lines).where(t.po_lines.c.po_id == po_id).order_by(t.po_lines.c.id)
    ).all()
    shipped = shipped_so_far(conn, po_id)
    open_units = {line.id: line.quantity - shipped.get(line.id, 0) for line in po_lines}
    chosen = _choose(po_reference, po_lines, open_units, lines)
    if not chosen:
        raise ConflictError(f"{po_reference} has nothing left to ship")
    inserted = conn.execute(
        t.shipments.insert().values(
            po_id=po_id,
            tracking_numbers=numbers,
            carrier=carrier,
            tracking_urls=list(tracking_urls),
            lines=[{"po_line_id": i, "quantity": q} for i, q in chosen.items()],
            shipped_at=now,
            created_at=now,
        )
    ).inserted_primary_key
    assert inserted is not None
    shipment_id = int(inserted[0])
    complete = all(open_units[i] - chosen.get(i, 0) <= 0 for i in open_units)
    if complete:
        conn.execute(
            update(t.purchase_orders)
            .where(t.purchase_orders.c.id == po_id)
            .values(status=POStatus.SHIPPED.value, updated_at=now)
        )
    by_id = {line.id: line for line in po_lines}
    summary = ", ".join(f"{q} × {by_id[i].supplier_sku}" for i, q in chosen.items())
    record(
        conn,
        [
            Event(
                "po.shipped",
                f"{po_reference} shipped{'' if complete else ' in part'}: {summary};"
                f" tracking {', '.join(numbers)}{f' ({carrier})' if carrier else ''}"
                f"{f' {by}' if by else ''}",
                po_id=po_id,
                supplier_id=po.supplier_id,
                data={"shipment_id": shipment_id, "tracking": numbers},
            )
        ],
        now,
    )
    if po.mode == "drop_ship":
        queue_fulfillments(conn, config, shipment_id, po_id, now)
    queue_status_updates(conn, config, [po_id], now)
    return Shipment(
        shipment_id,
        po_reference,
        [ShippedLine(by_id[i].sku, q) for i, q in chosen.items()],
        complete,
    )


def _choose(
    reference: str,
    po_lines: Sequence[Any],
    open_units: dict[int, int],
    wanted: Sequence[ShippedLine],
) -> dict[int, int]:
    """PO line id -> units shipped now. No lines named: everything still open."""
    if not wanted:
        return {i: q for i, q in open_units.items() if q > 0}
    problems: list[str] = []
    chosen: dict[int, int] = {}
    for item in wanted:
        line = next(
            (line for line in po_lines if item.sku in (line.sku, line.supplier_sku)),
            None,
        )
        if line is None:
            problems.append(f"SKU {item.sku} is not on {reference}")
            continue
        line_id = int(line.id)
        total = chosen.get(line_id, 0) + item.quantity
        if item.quantity <= 0:
            problems.append(f"SKU {item.sku}: quantity must be positive (got {item.quantity})")
        elif total > open_units[line_id]:
            problems.append(
                f"SKU {item.sku}: {total} to ship but only {open_units[line_id]} not shipped yet"
            )
        else:
            chosen[line_id] = total
    if problems:
        raise InputError(reference, problems)
    return chosen
