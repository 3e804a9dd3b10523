"""Purchase orders on disk: drafts per consolidation group, PO lines per offer, allocations.

A PO line's quantity follows from what its allocations hold: the units rounded up to whole
supplier units (pack size), at least the supplier's minimum. On a draft that is the whole story;
on a released PO a lower quantity is a change the supplier must hear about (see services.plan).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from tandem.connector.domain import Mode, Offer, POStatus
from tandem.connector.store import schema as t
from tandem.connector.store.bulk import insert_rows, update_rows
from tandem.connector.store.keys import among, batches


@dataclass(frozen=True)
class DraftSpec:
    supplier_id: str
    mode: Mode
    ship_to_key: str
    order_id: int | None
    currency: str
    ship_to: dict[str, Any] | None
    shop: str | None = None  # the shop whose orders it serves; None: any


def draft_ids(conn: Connection, specs: Mapping[str, DraftSpec], now: datetime) -> dict[str, int]:
    """The open draft of each group, created when there is none."""
    po = t.purchase_orders
    found: dict[str, int] = {}
    keys = sorted(specs)
    for part in batches(conn, keys):
        for row in conn.execute(
            select(po.c.id, po.c.group_key).where(
                po.c.status == POStatus.DRAFT.value, among(conn, po.c.group_key, part)
            )
        ):
            found[row.group_key] = row.id
    missing = [k for k in keys if k not in found]
    if missing:
        rows = [
            {
                "supplier_id": specs[k].supplier_id,
                "mode": specs[k].mode.value,
                "status": POStatus.DRAFT.value,
                "group_key": k,
                "ship_to_key": specs[k].ship_to_key,
                "order_id": specs[k].order_id,
                "currency": specs[k].currency,
                "ship_to": specs[k].ship_to,
                "shop": specs[k].shop,
                "revision": 0,
                "opened_at": now,
                "updated_at": now,
            }
            for k in missing
        ]
        # One open draft per group (a unique index): the group names the new row.
        made = insert_rows(conn, po, rows, returning=("id", "group_key"))
        found.update({r.group_key: r.id for r in made})
    return found


def po_line_ids(
    conn: Connection, wanted: Mapping[tuple[int, str], Offer]
) -> dict[tuple[int, str], int]:
    """(PO id, supplier SKU) -> PO line id, creating the lines that do not exist yet."""
    pl = t.po_lines
    found: dict[tuple[int, str], int] = {}
    po_ids = sorted({po_id for po_id, _ in wanted})
    for part in batches(conn, po_ids):
        for row in conn.execute(
            select(pl.c.id, pl.c.po_id, pl.c.supplier_sku).where(among(conn, pl.c.po_id, part))
        ):
            if (row.po_id, row.supplier_sku) in wanted:
                found[(row.po_id, row.supplier_sku)] = row.id
    missing = [k for k in wanted if k not in found]
    if missing:
        rows = [
            {
                "po_id": po_id,
                "sku": wanted[(po_id, sku)].sku,
                "supplier_sku": sku,
                "name": wanted[(po_id, sku)].name[:500],
                "unit_cost": wanted[(po_id, sku)].cost,
                "pack_size": wanted[(po_id, sku)].pack_size,
                "min_quantity": wanted[(po_id, sku)].min_quantity,
                "quantity": 0,
                "received_units": 0,
            }
            for po_id, sku in missing
        ]
        made = insert_rows(conn, pl, rows, returning=("id", "po_id", "supplier_sku"))
        found.update({(r.po_id, r.supplier_sku): r.id for r in made})
    return found


def add_allocations(
    conn: Connection, items: Iterable[tuple[int, int | None, int]], now: datetime
) -> None:
    """Add (order line, PO line or None for stock, units), merging with what the line holds."""
    a = t.allocations
    wanted: dict[tuple[int, int | None], int] = defaultdict(int)
    for line_id, po_line_id, units in items:
        wanted[(line_id, po_line_id)] += units
    if not wanted:
        return
    existing: dict[tuple[int, int | None], tuple[int, int]] = {}
    for part in batches(conn, sorted({line for line, _ in wanted})):
        for row in conn.execute(
            select(a.c.id, a.c.order_line_id, a.c.po_line_id, a.c.quantity).where(
                among(conn, a.c.order_line_id, part)
            )
        ):
            existing[(row.order_line_id, row.po_line_id)] = (row.id, row.quantity)
    inserts, updates = [], []
    for key, units in wanted.items():
        if key in existing:
            alloc_id, quantity = existing[key]
            updates.append({"id": alloc_id, "quantity": quantity + units})
        else:
            inserts.append(
                {
                    "order_line_id": key[0],
                    "po_line_id": key[1],
                    "quantity": units,
                    "received": 0,
                    "created_at": now,
                }
            )
    insert_rows(conn, a, inserts)
    update_rows(conn, a, updates)


def set_allocation(conn: Connection, allocation_id: int, units: int, received: int) -> None:
    """Shrink an allocation to `units` (gone at 0); what was received stays received, up to it."""
    a = t.allocations
    if units <= 0:
        conn.execute(delete(a).where(a.c.id == allocation_id))
    else:
        conn.execute(
            update(a)
            .where(a.c.id == allocation_id)
            .values(quantity=units, received=min(received, units))
        )


@dataclass(frozen=True)
class LineChange:
    po_id: int
    po_line_id: int
    status: str
    sku: str
    supplier_sku: str
    old: int
    new: int


def needed_quantity(units: int, pack_size: int, min_quantity: int) -> int:
    """Supplier units to order for `units` store units."""
    if units <= 0:
        return 0
    return max(min_quantity, -(-units // pack_size))


def recompute_lines(
    conn: Connection, po_line_ids: Iterable[int], now: datetime
) -> list[LineChange]:
    """Make each PO line's quantity follow its allocations. Drafts change freely (empty lines
    and drafts go away); released POs only shrink, never below what already arrived.
    Returns the changes to released POs."""
    pl, po, a = t.po_lines, t.purchase_orders, t.allocations
    ids = sorted(set(po_line_ids))
    rows: list[Any] = []
    for part in batches(conn, ids):
        held = (
            select(a.c.po_line_id, func.sum(a.c.quantity).label("units"))
            .where(among(conn, a.c.po_line_id, part))
            .group_by(a.c.po_line_id)
            .subquery()
        )
        rows.extend(
            conn.execute(
                select(
                    pl.c.id,
                    pl.c.po_id,
                    pl.c.sku,
                    pl.c.supplier_sku,
                    pl.c.quantity,
                    pl.c.pack_size,
                    pl.c.min_quantity,
                    pl.c.received_units,
                    po.c.status,
                    func.coalesce(held.c.units, 0).label("units"),
                )
                .join(po, po.c.id == pl.c.po_id)
                .outerjoin(held, held.c.po_line_id == pl.c.id)
                .where(among(conn, pl.c.id, part))
            )
        )
    updates: list[dict[str, int]] = []
    drop: list[int] = []
    released: list[LineChange] = []
    draft_pos: set[int] = set()
    for r in rows:
        new = needed_quantity(int(r.units), r.pack_size, r.min_quantity)
        if r.status == POStatus.DRAFT.value:
            draft_pos.add(r.po_id)
            if new == 0:
                drop.append(r.id)
            elif new != r.quantity:
                updates.append({"id": r.id, "quantity": new})
            continue
        arrived = -(-r.received_units // r.pack_size)
        new = max(new, arrived)
        if new < r.quantity and r.status not in (
            POStatus.CANCELLED.value,
            POStatus.REJECTED.value,
        ):
            updates.append({"id": r.id, "quantity": new})
            released.append(
                LineChange(r.po_id, r.id, r.status, r.sku, r.supplier_sku, r.quantity, new)
            )
    update_rows(conn, pl, updates)
    for part in batches(conn, drop):
        conn.execute(delete(pl).where(among(conn, pl.c.id, part)))
    _drop_empty_drafts(conn, draft_pos, now)
    return released


def _drop_empty_drafts(conn: Connection, po_ids: Iterable[int], now: datetime) -> None:
    pl, po = t.po_lines, t.purchase_orders
    for part in batches(conn, sorted(po_ids)):
        still_used = select(pl.c.po_id).where(among(conn, pl.c.po_id, part)).distinct()
        conn.execute(
            delete(po).where(
                among(conn, po.c.id, part),
                po.c.status == POStatus.DRAFT.value,
                po.c.id.not_in(still_used),
            )
        )
        conn.execute(
            update(po)
            .where(among(conn, po.c.id, part), po.c.status == POStatus.DRAFT.value)
            .values(updated_at=now)
        )
