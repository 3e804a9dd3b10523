"""Finding offers by SKU (store or supplier) or by words of the product name."""

from __future__ import annotations

from sqlalchemy import Connection, and_, case, func, or_, select

from tandem.connector.domain import Offer
from tandem.connector.store import schema as t
from tandem.connector.store.planning_input import offer_from_row


def search_offers(
    conn: Connection, query: str, supplier_id: str | None = None, limit: int = 50
) -> list[Offer]:
    """Exact SKU matches first, then SKUs starting with the query, then SKUs or names
    containing every word of it; all ignoring case."""
    o = t.offers
    query = query.strip()
    words = query.lower().split()
    if not words:
        return []
    # Compared lower-cased on both sides: LIKE ignores ASCII case on SQLite but not on
    # PostgreSQL, and the ranking must not depend on the database.
    folded = query.lower()
    sku, supplier_sku = func.lower(o.c.sku), func.lower(o.c.supplier_sku)
    exact = or_(sku == folded, supplier_sku == folded)
    prefix = or_(
        sku.startswith(folded, autoescape=True),
        supplier_sku.startswith(folded, autoescape=True),
    )
    contains = [
        or_(
            func.lower(o.c.name).contains(word, autoescape=True),
            sku.contains(word, autoescape=True),
            supplier_sku.contains(word, autoescape=True),
        )
        for word in words
    ]
    rank = case((exact, 0), (prefix, 1), else_=2)
    stmt = (
        select(o)
        .where(or_(exact, prefix, and_(*contains)))
        .order_by(rank, o.c.sku, o.c.supplier_id)
        .limit(limit)
    )
    if supplier_id is not None:
        stmt = stmt.where(o.c.supplier_id == supplier_id)
    return [offer_from_row(r) for r in conn.execute(stmt)]
