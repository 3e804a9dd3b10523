"""What a supplier's refusal does: the refused goods leave the PO and their orders are
planned again, away from the supplier that said no.

A supplier refuses some lines of a PO (REST `rejected_skus`), or the whole PO (it rejects or
cancels it). Either way the supplier will not send those goods, so:

- the lines leave the PO (a refused line drops to 0; a refused or cancelled PO ends as
  `rejected` / `cancelled`, as does a PO whose every line was refused), and nothing more
  about them is sent to the supplier: a PO that ends withdraws what was still to go;
- the orders it served hear of it (a status write-back to the store);
- the order lines they served let go and are marked for planning, so the next planner run
  finds them another source;
- the supplier's offers for those goods are taken as out of stock until its next catalogue
  import, so that run does not order them from the same supplier again;
- an exception names the PO, the SKUs and the orders, in the supplier's words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update

from tandem.connector import outbox
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.domain import ExceptionKind, POStatus
from tandem.connector.services import po_revisions
from tandem.connector.services.store_updates import link_orders, queue_status_updates
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record
from tandem.connector.store.exceptions import NewException, raise_exceptions

UNTIL = "Tandem takes it as out of stock there until the supplier's next catalogue import"


def refuse_lines(
    conn: Connection,
    config: TandemConfig,
    po_id: int,
    number: str,
    supplier: SupplierConfig,
    skus: Collection[str],
    said: str | None,
    now: datetime,
) -> list[str]:
    """The supplier will not supply these SKUs (store or supplier SKU) of the PO; returns
    what changed, in words. Lines already refused are left alone, so a repeated answer
    changes nothing."""
    pl = t.po_lines
    lines = conn.execute(
        select(pl).where(
            pl.c.po_id == po_id,
            pl.c.quantity > 0,
            or_(pl.c.supplier_sku.in_(list(skus)), pl.c.sku.in_(list(skus))),
        )
    ).all()
    if not lines:
        return []
    orders = _served(conn, [r.id for r in lines])
    link_orders(conn, [po_id], now)  # so the orders still hear of the PO once let go
    _let_go(conn, supplier, [r.id for r in lines], [r.supplier_sku for r in lines])
    conn.execute(update(pl).where(pl.c.id.in_([r.id for r in lines])).values(quantity=0))
    words = f": {said}" if said else ""
    changed, exceptions, events = [], [], []
    for line in lines:
        names = orders.get(line.id, [])
        what = f"{supplier.name} refused {line.sku} ({line.supplier_sku}) on {number}"
        message = f"{what}{words}. {_replanned(names)}; {UNTIL}."
        changed.append(message)
        exceptions.append(
            NewException(
                ExceptionKind.PO_REJECTED,
                f"po_rejected:{po_id}:{line.supplier_sku}",
                message,
                po_id=po_id,
                supplier_id=supplier.id,
                details={"sku": line.sku, "supplier_sku": line.supplier_sku, "orders": names},
            )
        )
        events.append(Event("po.line_refused", message, po_id=po_id, supplier_id=supplier.id))
    left = conn.execute(select(pl.c.id).where(pl.c.po_id == po_id, pl.c.quantity > 0)).first()
    if left is None:  # nothing is left to come: the supplier refused the PO line by line
        _end(conn, config, po_id, POStatus.REJECTED, f"{supplier.name} refused every line", now)
    else:
        queue_status_updates(conn, config, [po_id], now)
    raise_exceptions(conn, exceptions, now)
    record(conn, events, now)
    return changed


def end_po(
    conn: Connection,
    config: TandemConfig,
    po_id: int,
    number: str,
    supplier: SupplierConfig,
    status: POStatus,
    said: str | None,
    now: datetime,
) -> str:
    """The supplier rejected or cancelled the whole PO: it ends so, and its orders are
    planned again. Returns what happened, in words."""
    pl = t.po_lines
    lines = conn.execute(select(pl).where(pl.c.po_id == po_id, pl.c.quantity > 0)).all()
    orders = sorted(
        {name for names in _served(conn, [r.id for r in lines]).values() for name in names}
    )
    link_orders(conn, [po_id], now)  # so the orders still hear of the PO once let go
    _let_go(conn, supplier, [r.id for r in lines], [r.supplier_sku for r in lines])
    what = "refused" if status is POStatus.REJECTED else "cancelled"
    skus = ", ".join(r.supplier_sku for r in lines)
    message = (
        f"{supplier.name} {what} {number}" + (f": {said}" if said else "") + "."
        f" {_replanned(orders)}; for {skus} {UNTIL}."
    )
    _end(conn, config, po_id, status, message, now)
    raise_exceptions(
        conn,
        [
            NewException(
                ExceptionKind.PO_REJECTED,
                f"po_rejected:{po_id}",
                message,
                po_id=po_id,
                supplier_id=supplier.id,
                details={"orders": orders, "supplier_skus": [r.supplier_sku for r in lines]},
            )
        ],
        now,
    )
    record(
        conn, [Event(f"po.{what}_by_supplier", message, po_id=po_id, supplier_id=supplier.id)], now
    )
    return message


def _end(
    conn: Connection,
    config: TandemConfig,
    po_id: int,
    status: POStatus,
    why: str,
    now: datetime,
) -> None:
    """The PO ends as `status` (its lines already let go): the orders it served hear of it,
    and whatever was still to go to the supplier about it is withdrawn as moot."""
    po = t.purchase_orders
    values: dict[str, Any] = {"status": status.value, "updated_at": now}
    if status is POStatus.CANCELLED:
        values["cancelled_at"] = now
    conn.execute(update(po).where(po.c.id == po_id).values(**values))
    queue_status_updates(conn, config, [po_id], now)
    po_revisions.withdraw_stopped(conn, po_id, f"superseded: {why}", "tandem", now)
    for item in po_revisions.revision_items(conn, po_id):
        outbox.withdraw(conn, item.dedupe_key, f"superseded: {why}", now)  # unattempted


def _replanned(orders: list[str]) -> str:
    if not orders:
        return "No order is waiting for it"
    if len(orders) == 1:
        return f"order {orders[0]} is planned again"
    return f"orders {', '.join(orders)} are planned again"


def _served(conn: Connection, po_line_ids: list[int]) -> dict[int, list[str]]:
    """PO line id -> names of the orders it serves."""
    a, ol, o = t.allocations, t.order_lines, t.orders
    found: dict[int, set[str]] = defaultdict(set)
    if po_line_ids:
        for line_id, name in conn.execute(
            select(a.c.po_line_id, o.c.name)
            .join(ol, ol.c.id == a.c.order_line_id)
            .join(o, o.c.id == ol.c.order_id)
            .where(a.c.po_line_id.in_(po_line_ids))
        ):
            found[line_id].add(name)
    return {line_id: sorted(names) for line_id, names in found.items()}


def _let_go(
    conn: Connection, supplier: SupplierConfig, po_line_ids: list[int], supplier_skus: list[str]
) -> None:
    """The order lines served by these PO lines are planned again, elsewhere."""
    a, ol, of = t.allocations, t.order_lines, t.offers
    if not po_line_ids:
        return
    served = select(a.c.order_line_id).where(a.c.po_line_id.in_(po_line_ids))
    conn.execute(update(ol).where(ol.c.id.in_(served)).values(needs_planning=True))
    conn.execute(delete(a).where(a.c.po_line_id.in_(po_line_ids)))
    conn.execute(
        update(of)
        .where(of.c.supplier_id == supplier.id, of.c.supplier_sku.in_(supplier_skus))
        .values(stock=0)
    )
