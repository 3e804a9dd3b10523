"""Loading the planner's snapshot: the lines to plan and everything their plan depends on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, case, func, or_, select

from tandem.connector.domain import OPEN_PO_STATUSES, Mode, Offer, POStatus, QuantityBasis
from tandem.connector.fences import FenceRules
from tandem.connector.planning import Held, HoldKind, LineToPlan, OpenPOLine
from tandem.connector.routing import LineFacts
from tandem.connector.store import schema as t
from tandem.connector.store.prior import line_fences

T = TypeVar("T")
CHUNK = 900  # below SQLite's bound-parameter limit on every version


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _facts(row: Any) -> LineFacts:
    customer = row.customer or {}
    return LineFacts(
        properties=row.properties or {},
        order_tags=row.tags or [],
        customer_tags=customer.get("tags") or [],
        product_tags=row.product_tags or [],
        product_mode=row.product_mode,
    )


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
            ol.c.properties,
            ol.c.product_tags,
            ol.c.product_mode,
            ol.c.supplier_override,
            ol.c.fulfilled_quantity,
            ol.c.fence_lifted_at,
            o.c.name,
            o.c.cancelled_at,
            o.c.eligible_at,
            o.c.tags,
            o.c.customer,
            o.c.address_key,
            o.c.prior_handling,
            o.c.shop,
        )
        .join(o, o.c.id == ol.c.order_id)
        .order_by(o.c.created_at, o.c.id, ol.c.position)
    )
    if not everything:
        query = query.where(ol.c.needs_planning.is_(True))
    rows = conn.execute(query).all()
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
    for part in chunks(line_ids):
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
            .where(a.c.order_line_id.in_(part))
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
    for part in chunks(sorted(set(skus))):
        for r in conn.execute(select(t.offers).where(t.offers.c.sku.in_(part))):
            offers[r.sku].append(offer_from_row(r))
    return offers


def load_committed(conn: Connection, skus: Iterable[str]) -> dict[tuple[str, str], int]:
    """Units per (supplier, supplier SKU) on drafts, or released since the supplier's stock
    figures were imported: that supplier stock is spoken for."""
    pl, po, s = t.po_lines, t.purchase_orders, t.suppliers
    committed: dict[tuple[str, str], int] = {}
    for part in chunks(sorted(set(skus))):
        rows = conn.execute(
            select(
                po.c.supplier_id,
                pl.c.supplier_sku,
                func.sum(pl.c.quantity * pl.c.pack_size).label("units"),
            )
            .join(po, po.c.id == pl.c.po_id)
            .join(s, s.c.id == po.c.supplier_id)
            .where(
                pl.c.sku.in_(part),
                or_(
                    po.c.status == POStatus.DRAFT.value,
                    and_(
                        po.c.status.not_in([POStatus.CANCELLED.value, POStatus.REJECTED.value]),
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
    for part in chunks(sorted(set(skus))):
        for r in conn.execute(
            select(t.stock_levels.c.sku, t.stock_levels.c.on_hand).where(
                t.stock_levels.c.sku.in_(part)
            )
        ):
            free[r.sku] = r.on_hand
        reserved = conn.execute(
            select(
                ol.c.sku,
                func.sum(case((a.c.po_line_id.is_(None), a.c.quantity), else_=a.c.received)),
            )
            .join(ol, ol.c.id == a.c.order_line_id)
            .where(ol.c.sku.in_(part))
            .group_by(ol.c.sku)
        )
        for sku, units in reserved:
            free[sku] = free.get(sku, 0) - int(units or 0)
    return {sku: units for sku, units in free.items() if units > 0}


def load_open_po_lines(conn: Connection, skus: Iterable[str]) -> dict[str, list[OpenPOLine]]:
    """Back-to-back PO lines with units still to arrive that no order line holds (oldest PO
    first). Units already received count as warehouse stock instead."""
    pl, po, a = t.po_lines, t.purchase_orders, t.allocations
    held = (
        # Units promised to orders and not yet arrived.
        select(a.c.po_line_id, func.sum(a.c.quantity - a.c.received).label("units"))
        .where(a.c.po_line_id.is_not(None))
        .group_by(a.c.po_line_id)
        .subquery()
    )
    result: dict[str, list[OpenPOLine]] = defaultdict(list)
    for part in chunks(sorted(set(skus))):
        rows = conn.execute(
            select(
                pl.c.id,
                pl.c.po_id,
                pl.c.sku,
                po.c.shop,
                (
                    pl.c.quantity * pl.c.pack_size
                    - pl.c.received_units
                    - func.coalesce(held.c.units, 0)
                ).label("free"),
            )
            .join(po, po.c.id == pl.c.po_id)
            .outerjoin(held, held.c.po_line_id == pl.c.id)
            .where(
                pl.c.sku.in_(part),
                po.c.mode == Mode.BACK_TO_BACK.value,
                po.c.status.in_([s.value for s in OPEN_PO_STATUSES]),
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
