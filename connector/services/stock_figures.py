"""What a stock push writes to a shop, whatever its platform: the units the active suppliers
have per SKU (minus the configured buffer), and the SKUs a back-to-back supplier serves (kept
sellable at zero stock when `store.stock_push.continue_selling_back_to_back`).
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from tandem.connector.domain import Mode
from tandem.connector.store import schema as t


def supplier_stock(conn: Connection, buffer: int) -> dict[str, int]:
    """SKU -> units the active suppliers have (all of them together), minus the buffer."""
    o, s = t.offers, t.suppliers
    rows = conn.execute(
        select(o.c.sku, func.sum(o.c.stock * o.c.pack_size))
        .join(s, s.c.id == o.c.supplier_id)
        .where(s.c.active.is_(True), o.c.stock.is_not(None))
        .group_by(o.c.sku)
    )
    return {sku: max(0, int(units or 0) - buffer) for sku, units in rows}


def back_to_back_skus(conn: Connection) -> set[str]:
    o, s = t.offers, t.suppliers
    rows = conn.execute(
        select(o.c.sku)
        .join(s, s.c.id == o.c.supplier_id)
        .where(s.c.active.is_(True), s.c.mode == Mode.BACK_TO_BACK.value)
        .distinct()
    )
    return {sku for (sku,) in rows}
