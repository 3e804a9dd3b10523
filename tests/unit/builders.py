"""Small builders for the pure planner's inputs, so tests read as the situation they set up."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from itertools import count

from tandem.connector.domain import Mode, Offer, QuantityBasis, Strategy, SupplierTerms
from tandem.connector.planning import Held, HoldKind, LineToPlan, Plan, PlanningInput
from tandem.connector.routing import ChoiceRules, LineFacts, ModeRules

_ids = count(1)


def offer(
    supplier: str,
    sku: str = "SKU-1",
    cost: str = "10",
    stock: int | None = None,
    lead: int | None = None,
    pack: int = 1,
    minimum: int = 1,
    currency: str = "USD",
) -> Offer:
    return Offer(
        id=next(_ids),
        supplier_id=supplier,
        sku=sku,
        supplier_sku=f"{supplier}-{sku}",
        name=f"{sku} from {supplier}",
        cost=Decimal(cost),
        currency=currency,
        stock=stock,
        lead_time_days=lead,
        pack_size=pack,
        min_quantity=minimum,
    )


def terms(
    supplier: str,
    priority: int = 100,
    mode: Mode = Mode.BACK_TO_BACK,
    modes: tuple[Mode, ...] | None = None,
    active: bool = True,
    fee: str = "0",
    consolidate: bool = True,
) -> SupplierTerms:
    return SupplierTerms(
        id=supplier,
        active=active,
        default_mode=mode,
        modes=frozenset(modes or (mode,)),
        priority=priority,
        drop_ship_fee=Decimal(fee),
        consolidate=consolidate,
    )


def facts(
    properties: dict[str, str] | None = None,
    order_tags: tuple[str, ...] = (),
    customer_tags: tuple[str, ...] = (),
    product_tags: tuple[str, ...] = (),
    product_mode: str | None = None,
) -> LineFacts:
    return LineFacts(properties or {}, order_tags, customer_tags, product_tags, product_mode)


def line(
    line_id: int,
    quantity: int,
    sku: str | None = "SKU-1",
    *,
    order_id: int | None = None,
    held: tuple[Held, ...] = (),
    cancelled: bool = False,
    eligible: bool = True,
    address: str | None = "addr-1",
    line_facts: LineFacts | None = None,
    override: str | None = None,
) -> LineToPlan:
    order = order_id if order_id is not None else line_id
    return LineToPlan(
        id=line_id,
        order_id=order,
        order_name=f"#{1000 + order}",
        sku=sku,
        quantity=quantity,
        cancelled=cancelled,
        eligible=eligible,
        facts=line_facts or facts(),
        address_key=address,
        held=held,
        supplier_override=override,
    )


MODE_TAGS = {"dropship": Mode.DROP_SHIP, "b2b": Mode.BACK_TO_BACK, "from-stock": Mode.STOCK}


def planning_input(
    lines: list[LineToPlan],
    offers: list[Offer],
    suppliers: list[SupplierTerms],
    *,
    default_mode: Mode = Mode.STOCK,
    strategy: Strategy = Strategy.PREFERRED,
    basis: QuantityBasis = QuantityBasis.FULL,
    **extra: object,
) -> PlanningInput:
    by_sku: dict[str, list[Offer]] = {}
    for o in offers:
        by_sku.setdefault(o.sku, []).append(o)
    return PlanningInput(
        lines=lines,
        offers=by_sku,
        suppliers={s.id: s for s in suppliers},
        mode_rules=ModeRules(default_mode=default_mode, tag_modes=MODE_TAGS),
        choice_rules=ChoiceRules(strategy=strategy, currency="USD"),
        quantity_basis=basis,
        **extra,  # type: ignore[arg-type]
    )


def apply_in_memory(data: PlanningInput, result: Plan) -> list[LineToPlan]:
    """The lines as they would hold after `result` is applied: a fake of the store, for tests
    of the pure planner. New allocations land on drafts, identified by their group key."""
    held: dict[int, list[Held]] = {ln.id: list(ln.held) for ln in data.lines}
    for shrink in result.shrinks:
        items = held[shrink.line_id]
        index = next(i for i, h in enumerate(items) if h.id == shrink.held.id)
        if shrink.new_units == 0:
            items.pop(index)
        else:
            h = items[index]
            items[index] = replace(
                h, units=shrink.new_units, received=min(h.received, shrink.new_units)
            )
    for alloc in result.allocations:
        group = abs(hash(alloc.group_key)) % 10**8
        held[alloc.line_id].append(
            Held(
                id=next(_ids),
                kind=HoldKind.DRAFT,
                units=alloc.units,
                po_id=group,
                po_line_id=group * 1000 + alloc.offer.id,
                supplier_id=alloc.offer.supplier_id,
                offer_key=(alloc.offer.supplier_id, alloc.offer.supplier_sku),
                mode=alloc.mode,
                ship_to_key=alloc.ship_to_key,
            )
        )
    # A link to a PO line another line let go of lands on that PO line, as in the store: same
    # PO, supplier and supplier SKU (so its units still count against the supplier's stock).
    on_po_line = {h.po_line_id: h for ln in data.lines for h in ln.held if h.po_line_id}
    for link in result.links:
        kind = HoldKind.STOCK if link.po_line_id is None else HoldKind.RELEASED
        source = on_po_line.get(link.po_line_id)
        if source is not None:
            linked = replace(source, id=next(_ids), kind=kind, units=link.units, received=0)
            held[link.line_id].append(linked)
            continue
        held[link.line_id].append(
            Held(
                id=next(_ids),
                kind=kind,
                units=link.units,
                po_line_id=link.po_line_id,
                mode=Mode.BACK_TO_BACK,
                ship_to_key="warehouse",
            )
        )
    return [replace(ln, held=tuple(held[ln.id])) for ln in data.lines]


def release_all(lines: list[LineToPlan]) -> list[LineToPlan]:
    """Every draft allocation as if its PO had been released."""
    return [
        replace(
            ln,
            held=tuple(
                replace(h, kind=HoldKind.RELEASED, po_number=f"PO-{h.po_id}")
                if h.kind is HoldKind.DRAFT
                else h
                for h in ln.held
            ),
        )
        for ln in lines
    ]


def holding(ln: LineToPlan) -> int:
    return sum(h.units for h in ln.held)
