"""Ingest: store orders as the store reports them, before anything else happens (invariant 1).

Idempotent: the same order twice changes nothing; an older version of an order than the one
stored is ignored (webhooks and polls arrive out of order). A changed order marks its lines
for planning; a line missing from a newer version counts as removed (quantity 0).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from tandem.connector.domain import Order, OrderLine, PriorHandling
from tandem.connector.store import schema as t
from tandem.connector.store.bulk import insert_rows

CHUNK = 500


@dataclass
class IngestReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    order_ids: list[int] = field(default_factory=list)  # orders created or changed

    def add(self, other: IngestReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale
        self.order_ids.extend(other.order_ids)


def content_hash(order: Order) -> str:
    data = order.model_dump(mode="json", exclude={"updated_at"})
    # What the store says of earlier handling counts only when it says something, so orders
    # stored before Tandem read it keep their hash (and are not all "updated" at once).
    if order.prior_handling == PriorHandling():
        del data["prior_handling"]
    for line in data["lines"]:
        if not line["fulfilled_quantity"]:
            del line["fulfilled_quantity"]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _chunks(items: Sequence[Order], size: int = CHUNK) -> Iterator[Sequence[Order]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _order_row(order: Order, digest: str, eligible_at: datetime | None) -> dict[str, Any]:
    address = order.shipping_address
    return {
        "name": order.name,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "financial_status": order.financial_status,
        "cancelled_at": order.cancelled_at,
        "eligible_at": eligible_at,
        "currency": order.currency,
        "tags": list(order.tags),
        "customer": order.customer.model_dump(mode="json"),
        "shipping_address": address.model_dump(mode="json") if address else None,
        "address_key": address.key() if address else None,
        "content_hash": digest,
        "prior_handling": (
            None
            if order.prior_handling == PriorHandling()
            else order.prior_handling.model_dump(mode="json")
        ),
    }


def _line_row(line: OrderLine, position: int) -> dict[str, Any]:
    return {
        "external_id": line.id,
        "position": position,
        "sku": line.sku,
        "title": line.title[:500],
        "quantity": line.quantity,
        "price": line.price,
        "properties": dict(line.properties),
        "product_tags": list(line.product_tags),
        "product_mode": line.product_mode,
        "variant_id": line.variant_id,
        "product_id": line.product_id,
        "fulfilled_quantity": line.fulfilled_quantity,
        "removed": False,
        "needs_planning": True,
    }


def _is_eligible(order: Order, statuses: Collection[str]) -> bool:
    return (order.financial_status or "").lower() in statuses


def ingest_orders(
    conn: Connection,
    shop: str,
    orders: Sequence[Order],
    planned_statuses: Collection[str],
    now: datetime,
) -> IngestReport:
    report = IngestReport()
    for chunk in _chunks(orders):
        report.add(_ingest_chunk(conn, shop, chunk, planned_statuses, now))
    return report


def _ingest_chunk(
    conn: Connection,
    shop: str,
    orders: Sequence[Order],
    statuses: Collection[str],
    now: datetime,
) -> IngestReport:
    report = IngestReport()
    known = {
        row.external_id: row
        for row in conn.execute(
            select(
                t.orders.c.id,
                t.orders.c.external_id,
                t.orders.c.updated_at,
                t.orders.c.content_hash,
                t.orders.c.eligible_at,
                t.orders.c.cancelled_at,
            ).where(
                t.orders.c.shop == shop,
                t.orders.c.external_id.in_([o.id for o in orders]),
            )
        )
    }
    new: list[Order] = []
    changed: list[tuple[Order, Any]] = []
    for order in orders:
        row = known.get(order.id)
        if row is None:
            new.append(order)
        elif order.updated_at < row.updated_at:
            report.stale += 1
        elif content_hash(order) == row.content_hash:
            report.unchanged += 1
        else:
            changed.append((order, row))
    if new:
        report.order_ids.extend(_insert(conn, shop, new, statuses, now))
        report.created += len(new)
    for order, row in changed:
        _update(conn, order, row, statuses, now)
        report.order_ids.append(row.id)
        report.updated += 1
    return report


def _insert(
    conn: Connection, shop: str, orders: Sequence[Order], statuses: Collection[str], now: datetime
) -> list[int]:
    rows = []
    for order in orders:
        eligible = now if _is_eligible(order, statuses) else None
        row = _order_row(order, content_hash(order), eligible)
        rows.append({**row, "shop": shop, "external_id": order.id, "ingested_at": now})
    stored = insert_rows(conn, t.orders, rows, returning=("id", "external_id"))
    id_of = {r.external_id: r.id for r in stored}
    ids = [id_of[order.id] for order in orders]
    line_rows = [
        {**_line_row(line, position), "order_id": order_id}
        for order_id, order in zip(ids, orders, strict=True)
        for position, line in enumerate(order.lines)
    ]
    insert_rows(conn, t.order_lines, line_rows)
    insert_rows(
        conn,
        t.events,
        [
            {
                "at": now,
                "kind": "order_received",
                "order_id": order_id,
                "message": f"Order {order.name} received: {_describe_lines(order.lines)}",
                "data": {"status": order.financial_status},
            }
            for order_id, order in zip(ids, orders, strict=True)
        ],
    )
    return ids


def _describe_lines(lines: Sequence[OrderLine]) -> str:
    if not lines:
        return "no lines"
    return ", ".join(f"{line.quantity} × {line.sku or line.title or '?'}" for line in lines)


def _update(
    conn: Connection, order: Order, row: Any, statuses: Collection[str], now: datetime
) -> None:
    eligible = row.eligible_at or (now if _is_eligible(order, statuses) else None)
    conn.execute(
        t.orders.update()
        .where(t.orders.c.id == row.id)
        .values(**_order_row(order, content_hash(order), eligible))
    )
    existing = {
        r.external_id: r
        for r in conn.execute(
            select(
                t.order_lines.c.id,
                t.order_lines.c.external_id,
                t.order_lines.c.quantity,
                t.order_lines.c.sku,
                t.order_lines.c.removed,
            ).where(t.order_lines.c.order_id == row.id)
        )
    }
    changes: list[str] = []
    if order.cancelled_at and not row.cancelled_at:
        changes.append("cancelled")
    inserts = []
    for position, line in enumerate(order.lines):
        old = existing.pop(line.id, None)
        values = _line_row(line, position)
        if old is None:
            inserts.append({**values, "order_id": row.id})
            changes.append(f"line {line.sku or line.title} added ({line.quantity})")
            continue
        if old.quantity != line.quantity and not old.removed:
            changes.append(f"{line.sku or line.title} quantity {old.quantity} → {line.quantity}")
        conn.execute(t.order_lines.update().where(t.order_lines.c.id == old.id).values(**values))
    if inserts:
        conn.execute(t.order_lines.insert(), inserts)
    gone = [r for r in existing.values() if not r.removed]
    if gone:
        conn.execute(
            t.order_lines.update()
            .where(t.order_lines.c.id.in_([r.id for r in gone]))
            .values(removed=True, quantity=0, needs_planning=True)
        )
        changes.extend(f"line {r.sku or r.external_id} removed" for r in gone)
    # Tags, status or address may have changed the mode of every line: plan them all again.
    conn.execute(
        t.order_lines.update().where(t.order_lines.c.order_id == row.id).values(needs_planning=True)
    )
    conn.execute(
        t.events.insert().values(
            at=now,
            kind="order_updated",
            order_id=row.id,
            message=f"Order {order.name} updated" + (f": {'; '.join(changes)}" if changes else ""),
            data={"status": order.financial_status},
        )
    )
