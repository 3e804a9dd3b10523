"""Loading the fences' facts: what the store said about orders, and which POs are ours.

`this_database_id` reads the `store_identity` table directly; `connector.store.identity`
(which records it on the first run) is the place that writes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select

from tandem.connector.domain import ExceptionKind, PriorHandling
from tandem.connector.fences import Fence, FenceRules, OrderRecord, line_fence, order_reasons
from tandem.connector.store import schema as t
from tandem.connector.store.keys import among, batches


def this_database_id(conn: Connection) -> str | None:
    """The id this database writes onto the shop beside its PO numbers; None before the
    database has recorded which shop it serves."""
    ident = t.store_identity
    value = conn.execute(
        select(ident.c.database_id).order_by(ident.c.first_run_at).limit(1)
    ).scalar()
    return str(value) if value else None


def our_po_numbers(conn: Connection, order_ids: Collection[int]) -> dict[int, set[str]]:
    """The numbers of this database's POs that serve or served each order."""
    link, po = t.po_orders, t.purchase_orders
    found: dict[int, set[str]] = defaultdict(set)
    ids = sorted(set(order_ids))
    for part in batches(conn, ids):
        for order_id, number in conn.execute(
            select(link.c.order_id, po.c.number)
            .join(po, po.c.id == link.c.po_id)
            .where(among(conn, link.c.order_id, part), po.c.number.is_not(None))
        ):
            found[order_id].add(number)
    return found


def prior_handling(value: Any) -> PriorHandling:
    """The stored column as the domain's model; what cannot be read is read as nothing (it was
    validated when it was stored)."""
    if not value:
        return PriorHandling()
    try:
        return PriorHandling.model_validate(value)
    except ValidationError:
        return PriorHandling()


def accepted_fences(conn: Connection, line_ids: Collection[int]) -> set[int]:
    """Lines whose `handled_elsewhere` exception a person closed without ordering them: they
    said the store is right, so the line waits quietly instead of asking again."""
    e = t.exceptions
    ids = sorted(set(line_ids))
    found: set[int] = set()
    for part in batches(conn, ids):
        found.update(
            conn.execute(
                select(e.c.order_line_id).where(
                    among(conn, e.c.order_line_id, part),
                    e.c.kind == ExceptionKind.HANDLED_ELSEWHERE.value,
                    e.c.status == "resolved",
                    e.c.resolved_by != "tandem",
                )
            ).scalars()
        )
    return found


def line_fences(
    conn: Connection, rows: Sequence[Any], held: Mapping[int, Sequence[Any]], rules: FenceRules
) -> dict[int, Fence]:
    """Fences of the loaded `rows` (order line joined with its order) that hold nothing and
    were not released by a person: only those are about to be ordered afresh."""
    candidates = [
        r
        for r in rows
        if r.fence_lifted_at is None and not any(h.units > 0 for h in held.get(r.id, ()))
    ]
    if not candidates:
        return {}
    ours = our_po_numbers(conn, [r.order_id for r in candidates])
    reasons: dict[int, tuple[list[str], bool]] = {}
    fences: dict[int, Fence] = {}
    for r in candidates:
        if r.order_id not in reasons:
            prior = prior_handling(r.prior_handling)
            record = OrderRecord(r.name, r.tags or [], prior, ours.get(r.order_id, set()))
            reasons[r.order_id] = (order_reasons(record, rules), prior.closed)
        said, closed = reasons[r.order_id]
        message = line_fence(said, r.name, r.sku, r.quantity, r.fulfilled_quantity, closed=closed)
        if message is not None:
            fences[r.id] = Fence(message)
    for line_id in accepted_fences(conn, list(fences)):
        fences[line_id] = Fence(fences[line_id].message, accepted=True)
    return fences
