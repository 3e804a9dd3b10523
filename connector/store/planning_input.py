"""Loading the planner's snapshot: the lines to plan and everything their plan depends on."""

from __future__ import annotations

import json
from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    union_all,
)

from tandem.connector.domain import OPEN_PO_STATUSES, Mode, Offer, POStatus, QuantityBasis
from tandem.connector.fences import FenceRules
from tandem.connector.planning import Held, HoldKind, LineToPlan, OpenPOLine
from tandem.connector.routing import LineFacts
from tandem.connector.store import schema as t
from tandem.connector.store.keys import among, batches
from tandem.connector.store.prior import line_fences


def _facts(row: Any) -> LineFacts:
    customer = row.customer or {}
    return LineFacts(
        properties=row.properties or {},
        order_tags=row.tags or [],
        customer_tags=customer.get("tags") or [],
        product_tags=row.product_tags or [],
        product_mode=row.product_mode,
    )


# The lines' JSON columns, read as text and decoded once per distinct text (see `_decoder`).
_JSON_COLUMNS = ("properties", "product_tags", "tags", "customer", "prior_handling")


def _decoder() -> Callable[[str | None], Any]:
    """`json.loads`, once per distinct text: an order's tags, customer and handling come with
    each of its lines, and most lines' properties and product tags are empty. The values are
    shared between the lines that have them, which only read them."""
    seen: dict[str, Any] = {}

    def decode(text: str | None) -> Any:
        if text is None:
            return None
        if text not in seen:
            seen[text] = json.loads(text)
        return seen[text]

    return decode


def load_lines(
    conn: Connection, everything: bool = False, fences: FenceRules | None = None
) -> list[LineToPlan]:
    """Lines marked for planning (or every line), oldest order first, with what they hold;
    with `fences`, each line that holds nothing carries what the store says against ordering
    it (tandem.connector.fences)."""
    ol, o = t.order_lines, t.orders
    query = (
        select(
            ol.c.id,
            ol.c.order_id,
            ol.c.sku,
            ol.c.quantity,
            ol.c.removed,
            cast(ol.c.properties, Text).label("properties"),
            cast(ol.c.product_tags, Text).label("product_tags"),
            ol.c.product_mode,
            ol.c.supplier_override,
            ol.c.fulfilled_quantity,
            ol.c.fence_lifted_at,
            o.c.name,
            o.c.cancelled_at,
            o.c.eligible_at,
            cast(o.c.tags, Text).label("tags"),
            cast(o.c.customer, Text).label("customer"),
            o.c.address_key,
            cast(o.c.prior_handling, Text).label("prior_handling"),
            o.c.shop,
        )
        .join(o, o.c.id == ol.c.order_id)
        .order_by(o.c.created_at, o.c.id, ol.c.position)
    )
    if not everything:
        query = query.where(ol.c.needs_planning.is_(True))
    result = conn.execute(query)
    row = namedtuple("row", list(result.keys()))  # type: ignore[misc]
    decode = _decoder()
    rows: list[Any] = [
        row._make(r)._replace(**{name: decode(getattr(r, name)) for name in _JSON_COLUMNS})
        for r in result
    ]
    held = load_held(conn, [r.id for r in rows])
    fenced = line_fences(conn, rows, held, fences) if fences is not None else {}
    return [
        LineToPlan(
            id=r.id,
            order_id=r.order_id,
            order_name=r.name,
            sku=r.sku,
            quantity=0 if r.removed else r.quantity,
            cancelled=r.cancelled_at is not None,
            eligible=r.eligible_at is not None,
            facts=_facts(r),
            address_key=r.address_key,
            held=tuple(held.get(r.id, ())),
            supplier_override=r.supplier_override,
            fence=fenced.get(r.id),
            shop=r.shop,
        )
        for r in rows
    ]


def load_held(conn: Connection, line_ids: Sequence[int]) -> dict[int, list[Held]]:
    a, pl, po = t.allocations, t.po_lines, t.purchase_orders
    held: dict[int, list[Held]] = defaultdict(list)
    for part in batches(conn, line_ids):
        rows = conn.execute(
            select(
                a.c.id,
                a.c.order_line_id,
                a.c.quantity,
                a.c.received,
                a.c.po_line_id,
                pl.c.po_id,
                pl.c.supplier_sku,
                po.c.number,
                po.c.supplier_id,
                po.c.mode,
                po.c.ship_to_key,
                po.c.status,
                po.c.shop,
            )
            .select_from(
                a.outerjoin(pl, pl.c.id == a.c.po_line_id).outerjoin(po, po.c.id == pl.c.po_id)
            )
            .where(among(conn, a.c.order_line_id, part))
            .order_by(a.c.id)
        )
        for r in rows:
            held[r.order_line_id].append(_held(r))
    return held


def _held(r: Any) -> Held:
    if r.po_line_id is None:
        return Held(id=r.id, kind=HoldKind.STOCK, units=r.quantity, received=r.received)
    dead = r.status in (POStatus.CANCELLED.value, POStatus.REJECTED.value)
    return Held(
        id=r.id,
        kind=HoldKind.DRAFT if r.status == POStatus.DRAFT.value or dead else HoldKind.RELEASED,
        units=r.quantity,
        received=r.received,
        po_id=r.po_id,
        po_line_id=r.po_line_id,
        po_number=r.number,
        # A dead PO's allocation has no supplier: the planner drops it like a misfit draft.
        supplier_id=None if dead else r.supplier_id,
        offer_key=(r.supplier_id, r.supplier_sku),
        mode=Mode(r.mode),
        ship_to_key=r.ship_to_key,
        po_shop=r.shop,
    )


def offer_from_row(r: Any) -> Offer:
    """An `offers` row as the domain's Offer."""
    return Offer(
        id=r.id,
        supplier_id=r.supplier_id,
        sku=r.sku,
        supplier_sku=r.supplier_sku,
        name=r.name,
        cost=r.cost,
        currency=r.currency,
        stock=r.stock,
        lead_time_days=r.lead_time_days,
        pack_size=r.pack_size,
        min_quantity=r.min_quantity,
    )


def load_offers(conn: Connection, skus: Iterable[str]) -> dict[str, list[Offer]]:
    offers: dict[str, list[Offer]] = defaultdict(list)
    for part in batches(conn, sorted(set(skus))):
        for r in conn.execute(select(t.offers).where(among(conn, t.offers.c.sku, part))):
            offers[r.sku].append(offer_from_row(r))
    return offers


DEAD = (POStatus.CANCELLED.value, POStatus.REJECTED.value)


def _first_po(conn: Connection, *wheres: Iterable[ColumnElement[bool]]) -> int | None:
    """The lowest PO id among the POs each of `wheres` selects; None when none does."""
    po = t.purchase_orders
    firsts = union_all(*(select(func.min(po.c.id).label("first")).where(*w) for w in wheres))
    found = conn.execute(select(func.min(firsts.subquery().c.first))).scalar()
    return None if found is None else int(found)


def first_counted_po(conn: Connection) -> int | None:
    """The lowest id of a PO whose lines count against its supplier's stock (see
    `load_committed`); the POs before it are history, which the planner never reads. Found
    from drafts and the POs released since each supplier's stock figures, through indexes."""
    po, s = t.purchase_orders, t.suppliers
    wheres: list[list[ColumnElement[bool]]] = [[po.c.status == POStatus.DRAFT.value]]
    for supplier_id, switched in conn.execute(select(s.c.id, s.c.catalogue_switched_at)):
        since = [po.c.supplier_id == supplier_id, po.c.status.not_in(DEAD)]
        if switched is not None:
            since.append(po.c.released_at >= switched)
        wheres.append(since)
    return _first_po(conn, *wheres)


def load_committed(conn: Connection, skus: Iterable[str]) -> dict[tuple[str, str], int]:
    """Units per (supplier, supplier SKU) on drafts, or released since the supplier's stock
    figures were imported: that supplier stock is spoken for."""
    pl, po, s = t.po_lines, t.purchase_orders, t.suppliers
    committed: dict[tuple[str, str], int] = {}
    first = first_counted_po(conn)
    if first is None:
        return committed
    for part in batches(conn, sorted(set(skus))):
        rows = conn.execute(
            select(
                po.c.supplier_id,
                pl.c.supplier_sku,
                func.sum(pl.c.quantity * pl.c.pack_size).label("units"),
            )
            .join(po, po.c.id == pl.c.po_id)
            .join(s, s.c.id == po.c.supplier_id)
            .where(
                among(conn, pl.c.sku, part),
                pl.c.po_id >= first,
                or_(
                    po.c.status == POStatus.DRAFT.value,
                    and_(
                        po.c.status.not_in(DEAD),
                        or_(
                            s.c.catalogue_switched_at.is_(None),
                            po.c.released_at >= s.c.catalogue_switched_at,
                        ),
                    ),
                ),
            )
            .group_by(po.c.supplier_id, pl.c.supplier_sku)
        )
        for r in rows:
            committed[(r.supplier_id, r.supplier_sku)] = int(r.units or 0)
    return committed


def load_free_stock(conn: Connection, skus: Iterable[str]) -> dict[str, int]:
    """Warehouse units not yet promised: on hand minus stock links and received goods held
    for orders."""
    a, ol = t.allocations, t.order_lines
    free: dict[str, int] = {}
    for part in batches(conn, sorted(set(skus))):
        for r in conn.execute(
            select(t.stock_levels.c.sku, t.stock_levels.c.on_hand).where(
                among(conn, t.stock_levels.c.sku, part)
            )
        ):
            free[r.sku] = r.on_hand
        reserved = conn.execute(
            select(
                ol.c.sku,
                func.sum(case((a.c.po_line_id.is_(None), a.c.quantity), else_=a.c.received)),
            )
            .join(ol, ol.c.id == a.c.order_line_id)
            .where(among(conn, ol.c.sku, part))
            .group_by(ol.c.sku)
        )
        for sku, units in reserved:
            free[sku] = free.get(sku, 0) - int(units or 0)
    return {sku: units for sku, units in free.items() if units > 0}


def load_open_po_lines(conn: Connection, skus: Iterable[str]) -> dict[str, list[OpenPOLine]]:
    """Back-to-back PO lines with units still to arrive that no order line holds (oldest PO
    first). Units already received count as warehouse stock instead."""
    pl, po, a = t.po_lines, t.purchase_orders, t.allocations
    result: dict[str, list[OpenPOLine]] = defaultdict(list)
    is_open = [po.c.status.in_([s.value for s in OPEN_PO_STATUSES])]
    first = _first_po(conn, [*is_open, po.c.mode == Mode.BACK_TO_BACK.value])
    if first is None:
        return result
    # Units promised to orders and not yet arrived, line by line.
    held = (
        select(func.coalesce(func.sum(a.c.quantity - a.c.received), 0))
        .where(a.c.po_line_id == pl.c.id)
        .scalar_subquery()
    )
    for part in batches(conn, sorted(set(skus))):
        rows = conn.execute(
            select(
                pl.c.id,
                pl.c.po_id,
                pl.c.sku,
                po.c.shop,
                (pl.c.quantity * pl.c.pack_size - pl.c.received_units - held).label("free"),
            )
            .join(po, po.c.id == pl.c.po_id)
            .where(
                among(conn, pl.c.sku, part),
                pl.c.po_id >= first,
                po.c.mode == Mode.BACK_TO_BACK.value,
                *is_open,
            )
            .order_by(po.c.released_at, pl.c.id)
        )
        for r in rows:
            if r.free > 0:
                result[r.sku].append(OpenPOLine(r.id, r.po_id, r.sku, int(r.free), r.shop))
    return result


def load_supply(
    conn: Connection, lines: Sequence[LineToPlan], basis: QuantityBasis
) -> tuple[
    Mapping[str, list[Offer]],
    Mapping[tuple[str, str], int],
    Mapping[str, int],
    Mapping[str, list[OpenPOLine]],
]:
    skus = {line.sku for line in lines if line.sku}
    offers = load_offers(conn, skus)
    committed = load_committed(conn, skus)
    if basis is QuantityBasis.SHORTFALL:
        return offers, committed, load_free_stock(conn, skus), load_open_po_lines(conn, skus)
    return offers, committed, {}, {}
