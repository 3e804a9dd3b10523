"""Release due drafts: number them, fix their ship-to, queue them for sending.

A released PO gets `po_number_prefix` + the next counter value and an outbox item `po.send`
for revision 1 carrying its lines as released, in the same transaction (DESIGN.md §3, 5).
Drafts of inactive or unknown suppliers wait: the planner moves their lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import Address, Mode, POStatus
from tandem.connector.outbox import enqueue
from tandem.connector.release import release_reason
from tandem.connector.services.po_revisions import contents, revision_effect
from tandem.connector.services.store_updates import queue_status_updates
from tandem.connector.store import schema as t
from tandem.connector.store.bulk import update_rows
from tandem.connector.store.counters import take
from tandem.connector.store.events import Event, record
from tandem.connector.store.keys import among, batches


@dataclass(frozen=True)
class Released:
    po_id: int
    number: str
    supplier_id: str
    reason: str


def warehouse_ship_to(config: TandemConfig) -> dict[str, Any]:
    address = config.warehouse.address.model_dump(mode="json")
    if not address.get("company"):
        address["company"] = config.warehouse.name
    return address


def release_due(
    conn: Connection,
    config: TandemConfig,
    now: datetime,
    *,
    force: Collection[int] = (),
) -> list[Released]:
    """Release every draft whose policy fires now, and the drafts in `force` regardless."""
    po, pl = t.purchase_orders, t.po_lines
    rows = conn.execute(
        select(
            po.c.id,
            po.c.supplier_id,
            po.c.mode,
            po.c.opened_at,
            po.c.order_id,
            pl.c.quantity,
            pl.c.unit_cost,
        )
        .join(pl, pl.c.po_id == po.c.id)
        .where(po.c.status == POStatus.DRAFT.value)
        .order_by(po.c.opened_at, po.c.id)
    ).all()
    drafts: dict[int, Any] = {}
    values: dict[int, Decimal] = defaultdict(Decimal)
    for row in rows:
        drafts.setdefault(row.id, row)
        values[row.id] += row.quantity * row.unit_cost
    due: list[tuple[Any, str]] = []
    for draft in drafts.values():
        supplier = config.supplier(draft.supplier_id)
        if supplier is None or not supplier.active:
            continue
        if draft.id in force:
            due.append((draft, "released by hand"))
            continue
        reason = release_reason(
            supplier.release.policy(config.timezone), draft.opened_at, values[draft.id], now
        )
        if reason is not None:
            due.append((draft, reason))
    if not due:
        return []
    numbers = take(conn, "po_number", len(due))
    addresses = customer_addresses(conn, [d.order_id for d, _ in due if d.mode == Mode.DROP_SHIP])
    warehouse = warehouse_ship_to(config)
    released: list[Released] = []
    updates = []
    for (draft, reason), value in zip(due, numbers, strict=True):
        number = f"{config.po_number_prefix}{value:0{config.po_number_digits}d}"
        ship_to = addresses.get(draft.order_id) if draft.mode == Mode.DROP_SHIP else warehouse
        updates.append(
            {
                "id": draft.id,
                "number": number,
                "status": POStatus.RELEASED.value,
                "revision": 1,
                "released_at": now,
                "release_reason": reason[:200],
                "ship_to": ship_to,
                "updated_at": now,
            }
        )
        released.append(Released(draft.id, number, draft.supplier_id, reason))
    update_rows(conn, po, updates)
    content = contents(conn, [r.po_id for r in released])
    enqueue(
        conn,
        [revision_effect(r.po_id, r.number, r.supplier_id, 1, content[r.po_id]) for r in released],
        now,
    )
    record(conn, _release_events(conn, released), now)
    queue_status_updates(conn, config, [r.po_id for r in released], now)
    return released


def customer_addresses(conn: Connection, order_ids: list[int]) -> dict[int, Any]:
    o = t.orders
    found: dict[int, Any] = {}
    for part in batches(conn, sorted(set(order_ids))):
        for row in conn.execute(
            select(o.c.id, o.c.shipping_address).where(among(conn, o.c.id, part))
        ):
            found[row.id] = row.shipping_address
    return found


def _release_events(conn: Connection, released: list[Released]) -> list[Event]:
    by_id = {r.po_id: r for r in released}
    a, pl, ol = t.allocations, t.po_lines, t.order_lines
    per_order: dict[tuple[int, int], list[str]] = defaultdict(list)
    for part in batches(conn, sorted(by_id)):
        rows = conn.execute(
            select(pl.c.po_id, ol.c.order_id, pl.c.sku, a.c.quantity)
            .join(a, a.c.po_line_id == pl.c.id)
            .join(ol, ol.c.id == a.c.order_line_id)
            .where(among(conn, pl.c.po_id, part))
            .order_by(a.c.id)
        )
        for row in rows:
            per_order[(row.po_id, row.order_id)].append(f"{row.quantity} × {row.sku}")
    events = [
        Event(
            "po_released",
            f"Released as {r.number} to {r.supplier_id}: {r.reason}",
            po_id=r.po_id,
            supplier_id=r.supplier_id,
        )
        for r in released
    ]
    events.extend(
        Event(
            "po_released",
            f"On {by_id[po_id].number} to {by_id[po_id].supplier_id}: {', '.join(parts)}",
            order_id=order_id,
            po_id=po_id,
            supplier_id=by_id[po_id].supplier_id,
        )
        for (po_id, order_id), parts in per_order.items()
    )
    return events


def describe_address(data: dict[str, Any] | None) -> str:
    if not data:
        return ""
    return ", ".join(Address.model_validate(data).lines())
