"""PO revisions: what each one tells the supplier, fixed when it is made, and the outbox
items that carry them.

Revision 1 is the order as released; every change request or cancellation adds one. What a
revision says — its lines and the orders it serves — goes into the payload of the outbox item
that sends it, in the transaction that decides it, so the supplier receives what was decided
then, however the PO moves on before the message leaves. The outbox sends one PO's
revisions strictly in order (see tandem.connector.outbox).

While the supplier cannot have the PO — its first sending not attempted yet, or refused
outright at the only attempt — an edit amends that sending and a cancellation withdraws it;
the supplier hears of neither.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update

from tandem.connector import outbox
from tandem.connector.domain import ExceptionKind
from tandem.connector.outbox import CHANGE, SEND, Effect, revision_of
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import resolve, resolve_sends, send_exception_key
from tandem.connector.store.keys import among, batches


def outbox_key(po_id: int, revision: int) -> str:
    """The dedupe key of the outbox item sending a PO's revision."""
    kind = SEND if revision <= 1 else CHANGE
    return f"{kind}:{po_id}:rev{max(1, revision)}"


def contents(
    conn: Connection, po_ids: Collection[int], *, cancelled: bool = False
) -> dict[int, dict[str, Any]]:
    """Each PO as it stands now, as a revision's content: lines with a quantity and the
    names of the orders served. A cancellation keeps the orders and lists no lines."""
    pl, a, ol, o = t.po_lines, t.allocations, t.order_lines, t.orders
    found: dict[int, dict[str, Any]] = {po_id: {"lines": [], "orders": []} for po_id in po_ids}
    for part in batches(conn, sorted(found)):
        if not cancelled:
            for r in conn.execute(
                select(pl)
                .where(among(conn, pl.c.po_id, part), pl.c.quantity > 0)
                .order_by(pl.c.po_id, pl.c.id)
            ):
                found[r.po_id]["lines"].append(
                    {
                        "sku": r.sku,
                        "supplier_sku": r.supplier_sku,
                        "name": r.name,
                        "quantity": r.quantity,
                        "unit_cost": str(r.unit_cost),
                        "pack_size": r.pack_size,
                    }
                )
        served: dict[int, list[tuple[str, str]]] = {}
        for po_id, name, shop in conn.execute(
            select(pl.c.po_id, o.c.name, o.c.shop)
            .join(a, a.c.po_line_id == pl.c.id)
            .join(ol, ol.c.id == a.c.order_line_id)
            .join(o, o.c.id == ol.c.order_id)
            .where(among(conn, pl.c.po_id, part))
            .distinct()
            .order_by(pl.c.po_id, o.c.name, o.c.shop)
        ):
            served.setdefault(po_id, []).append((name, shop))
        for po_id, orders in served.items():
            # A PO for the orders of several shops (a supplier consolidating across shops)
            # names each order's shop: order numbers repeat between shops.
            several = len({shop for _, shop in orders}) > 1
            found[po_id]["orders"] = [f"{n} ({s})" if several else n for n, s in orders]
    return found


def with_orders(content: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The content naming these orders too (orders whose lines just left the PO)."""
    return {**content, "orders": sorted({*content["orders"], *names})}


def unit_cost(line: dict[str, Any]) -> Decimal:
    return Decimal(line["unit_cost"])


def revision_effect(
    po_id: int, number: str, supplier_id: str, revision: int, content: dict[str, Any]
) -> Effect:
    """The outbox item that sends `revision` of a PO, carrying what it says."""
    return Effect(
        SEND if revision <= 1 else CHANGE,
        outbox_key(po_id, revision),
        {"po_id": po_id, "number": number, "revision": revision, "content": content},
        po_id=po_id,
        supplier_id=supplier_id,
    )


def add_revision(
    conn: Connection,
    po_id: int,
    number: str,
    supplier_id: str,
    revision: int,
    changes: Sequence[dict[str, Any]],
    content: dict[str, Any],
    now: datetime,
) -> None:
    """Record a change request (its `po_changes` rows) and queue the message that sends it."""
    conn.execute(
        t.po_changes.insert(),
        [{**c, "po_id": po_id, "revision": revision, "created_at": now} for c in changes],
    )
    outbox.enqueue(conn, [revision_effect(po_id, number, supplier_id, revision, content)], now)


def unsent_first_sending(conn: Connection, po_id: int) -> Any | None:
    """While the supplier cannot have the PO's first sending, a condition on the outbox that
    still holds for it: never attempted, or refused by the supplier at the only attempt ever
    made (its send_failed exception still open). None when the supplier may have it."""
    o = t.outbox.c
    key = outbox_key(po_id, 1)
    row = conn.execute(
        select(o.status, o.attempts, o.last_error).where(o.dedupe_key == key)
    ).first()
    if row is None:
        return None
    if outbox.was_never_attempted(row):
        return outbox.never_attempted()
    if row.status == outbox.DEAD and _refusal(conn, key) is not None:
        return o.status == outbox.DEAD
    return None


def _refusal(conn: Connection, key: str) -> int | None:
    """The open send_failed exception saying the supplier refused the item outright."""
    e = t.exceptions.c
    for exception_id, details in conn.execute(
        select(e.id, e.details).where(
            e.dedupe_key == send_exception_key(ExceptionKind.SEND_FAILED, key),
            e.status == "open",
        )
    ):
        if (details or {}).get("never_reached"):
            return int(exception_id)
    return None


def amend_unsent(conn: Connection, po_id: int, content: dict[str, Any], when: Any) -> bool:
    """Put new lines into the first sending while `when` (from `unsent_first_sending`) still
    holds, checked in the same statement: a worker that claimed it a moment ago keeps what it
    claimed, and the caller asks the supplier for a change instead."""
    o = t.outbox.c
    key = outbox_key(po_id, 1)
    row = conn.execute(select(o.id, o.payload).where(o.dedupe_key == key)).first()
    if row is None:
        return False
    result = conn.execute(
        update(t.outbox)
        .where(o.id == row.id, o.status != outbox.IN_PROGRESS, when)
        .values(payload={**row.payload, "content": content})
    )
    return result.rowcount == 1


def withdraw_unsent(
    conn: Connection, po_id: int, when: Any, reason: str, who: str, now: datetime
) -> bool:
    """Withdraw the first sending while `when` still holds; True when it was. A refusal the
    supplier gave it is closed with `reason`: nothing is left to send."""
    key = outbox_key(po_id, 1)
    refusal = _refusal(conn, key)
    if not outbox.withdraw(conn, key, reason, now, when=when):
        return False
    if refusal is not None:
        resolve(conn, refusal, who, reason, now)
    return True


def revision_items(conn: Connection, po_id: int) -> list[Any]:
    """The outbox items sending the PO's revisions, in revision order."""
    o = t.outbox.c
    rows = conn.execute(
        select(t.outbox).where(o.po_id == po_id, o.kind.in_(outbox.IN_REVISION_ORDER))
    ).all()
    return sorted(rows, key=lambda r: (revision_of(r), r.id))


def withdraw_stopped(conn: Connection, po_id: int, reason: str, who: str, now: datetime) -> int:
    """Before a cancellation goes out: withdraw the PO's sendings that stopped for a person
    (held in doubt, or failed), which the cancellation supersedes, and close what they asked.
    A held one would otherwise keep the cancellation waiting behind it."""
    o = t.outbox.c
    stopped = [i for i in revision_items(conn, po_id) if i.status in (outbox.HELD, outbox.DEAD)]
    for item in stopped:
        outbox.withdraw(conn, item.dedupe_key, reason, now, when=o.status == item.status)
    resolve_sends(conn, [i.dedupe_key for i in stopped], who, reason, now)
    return len(stopped)
