"""Routing, pure: which fulfilment mode a line takes and which suppliers serve it.

Mode precedence (first that says something wins): line property > order tag > customer tag >
product/variant tag or metafield > the default mode of the highest-priority active supplier
listing the SKU > the global default. Every decision carries its source in plain words, so
operations staff can see why a line went where it went.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from tandem.connector.domain import ExceptionKind, Mode, Offer, Strategy, SupplierTerms, parse_mode


@dataclass(frozen=True, slots=True)
class ModeRules:
    default_mode: Mode
    property_names: tuple[str, ...] = ("_fulfilment", "_fulfillment")  # as rules.mode_properties
    # Tag (lower case) -> mode, for order, customer and product tags alike.
    tag_modes: Mapping[str, Mode] = field(default_factory=dict)


class ModeBasis(StrEnum):
    """What kind of thing decided a mode: a rule about the line, or only a default."""

    RULE = "rule"  # line property, tag or metafield
    SUPPLIER_DEFAULT = "supplier_default"
    GLOBAL_DEFAULT = "global_default"
    HELD = "held"  # kept from what the line already holds (planning.keep_held_mode)


@dataclass(frozen=True, slots=True)
class ModeDecision:
    mode: Mode
    source: str
    # A line property or metafield that tried to name a mode and did not: passed over, and
    # reported, so a typo never silently routes a line differently than meant.
    unreadable: str | None = None
    basis: ModeBasis = ModeBasis.RULE

    @property
    def fallback(self) -> bool:
        """Nothing spoke for the line (no rule, no active supplier listing its SKU): the global
        default decided, and a catalogue that lists the SKU later may decide otherwise."""
        return self.basis is ModeBasis.GLOBAL_DEFAULT


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What the mode decision reads from an order line and its order."""

    properties: Mapping[str, str]
    order_tags: Sequence[str]
    customer_tags: Sequence[str]
    product_tags: Sequence[str]
    product_mode: str | None


def _mode_from_tags(tags: Iterable[str], rules: ModeRules) -> tuple[Mode, str] | None:
    for tag in tags:
        mode = rules.tag_modes.get(tag.strip().lower())
        if mode is not None:
            return mode, tag
    return None


def decide_mode(
    facts: LineFacts, rules: ModeRules, supplier_default: SupplierTerms | None
) -> ModeDecision:
    decision = _decide(facts, rules, supplier_default)
    unreadable = [
        f"line property {name}={raw!r}"
        for name in rules.property_names
        if (raw := facts.properties.get(name)) is not None and parse_mode(raw) is None
    ]
    if facts.product_mode is not None and parse_mode(facts.product_mode) is None:
        unreadable.append(f"product metafield value {facts.product_mode!r}")
    if not unreadable:
        return decision
    note = f"{' and '.join(unreadable)} is not a fulfilment mode ({MODE_NAMES})"
    return replace(decision, unreadable=note)


MODE_NAMES = ", ".join(mode.value for mode in Mode)


def _decide(
    facts: LineFacts, rules: ModeRules, supplier_default: SupplierTerms | None
) -> ModeDecision:
    for name in rules.property_names:
        raw = facts.properties.get(name)
        if raw is not None and (mode := parse_mode(raw)) is not None:
            return ModeDecision(mode, f"line property {name}={raw}")
    for level, tags in (
        ("order tag", facts.order_tags),
        ("customer tag", facts.customer_tags),
        ("product tag", facts.product_tags),
    ):
        found = _mode_from_tags(tags, rules)
        if found is not None:
            return ModeDecision(found[0], f"{level} {found[1]}")
    if facts.product_mode is not None and (mode := parse_mode(facts.product_mode)) is not None:
        return ModeDecision(mode, f"product metafield {facts.product_mode}")
    if supplier_default is not None:
        return ModeDecision(
            supplier_default.default_mode,
            f"default of supplier {supplier_default.id}",
            basis=ModeBasis.SUPPLIER_DEFAULT,
        )
    return ModeDecision(rules.default_mode, "global default", basis=ModeBasis.GLOBAL_DEFAULT)


def default_supplier(
    offers: Sequence[Offer], suppliers: Mapping[str, SupplierTerms]
) -> SupplierTerms | None:
    """The highest-priority active supplier that lists the SKU: its mode is the default."""
    best: SupplierTerms | None = None
    for offer in offers:
        terms = suppliers.get(offer.supplier_id)
        if terms is None or not terms.active:
            continue
        if best is None or (terms.priority, terms.id) < (best.priority, best.id):
            best = terms
    return best


@dataclass(frozen=True, slots=True)
class Pick:
    offer: Offer
    units: int


@dataclass(frozen=True, slots=True)
class Choice:
    picks: tuple[Pick, ...]
    missing: int  # units no supplier could take
    problem: tuple[ExceptionKind, str] | None


@dataclass(frozen=True, slots=True)
class ChoiceRules:
    strategy: Strategy
    currency: str
    exchange_rates: Mapping[str, Decimal] = field(default_factory=dict)


def _rate(currency: str, rules: ChoiceRules) -> Decimal | None:
    if currency == rules.currency:
        return Decimal(1)
    return rules.exchange_rates.get(currency)


def _rank(
    candidates: list[tuple[Offer, SupplierTerms]],
    units: int,
    mode: Mode,
    rules: ChoiceRules,
    remaining_stock: Mapping[int, int | None],
) -> list[tuple[Offer, SupplierTerms]]:
    def tie(item: tuple[Offer, SupplierTerms]) -> tuple[int, str, int]:
        offer, terms = item
        return (terms.priority, terms.id, offer.id)

    strategy = rules.strategy
    if strategy is Strategy.CHEAPEST:

        def cost(item: tuple[Offer, SupplierTerms]) -> tuple[object, ...]:
            offer, terms = item
            rate = _rate(offer.currency, rules)
            if rate is None:  # no rate to compare it: after every comparable offer
                return (1, Decimal(0), *tie(item))
            fee = terms.drop_ship_fee if mode is Mode.DROP_SHIP else Decimal(0)
            return (0, (offer.unit_cost() * units + fee) * rate, *tie(item))

        return sorted(candidates, key=cost)
    if strategy is Strategy.FASTEST:
        return sorted(
            candidates,
            key=lambda it: (
                it[0].lead_time_days if it[0].lead_time_days is not None else math.inf,
                *tie(it),
            ),
        )
    if strategy is Strategy.IN_STOCK_FIRST:

        def stock_rank(item: tuple[Offer, SupplierTerms]) -> tuple[object, ...]:
            left = remaining_stock.get(item[0].id)
            if left is None:
                band = 1  # stock not reported: likely there, but not known
            elif left >= units:
                band = 0
            elif left > 0:
                band = 2
            else:
                band = 3
            return (band, *tie(item))

        return sorted(candidates, key=stock_rank)
    return sorted(candidates, key=tie)


def _fits_pack(offer: Offer, units: int, mode: Mode) -> bool:
    """Drop-ship goes to a customer as is: it must be whole supplier units, at least the minimum.
    Back-to-back rounds up on the consolidated PO line instead, the rest becomes stock."""
    if mode is not Mode.DROP_SHIP:
        return True
    return units % offer.pack_size == 0 and units >= offer.min_quantity * offer.pack_size


def choose_suppliers(
    sku: str,
    units: int,
    mode: Mode,
    offers: Sequence[Offer],
    suppliers: Mapping[str, SupplierTerms],
    rules: ChoiceRules,
    remaining_stock: Mapping[int, int | None],
    only_supplier: str | None = None,
) -> Choice:
    """Pick offers for `units` of `sku`: the best-ranked offer that covers it alone, else a split
    across offers in rank order. `remaining_stock` is each offer's stock (in store units) left
    after what earlier lines took; None means not reported."""
    if not offers:
        return Choice((), units, (ExceptionKind.UNMAPPED_SKU, f"SKU {sku} is in no catalogue"))
    known = [(o, suppliers[o.supplier_id]) for o in offers if o.supplier_id in suppliers]
    if only_supplier is not None:
        known = [(o, t) for o, t in known if t.id == only_supplier]
        if not known:
            return Choice(
                (),
                units,
                (
                    ExceptionKind.UNMAPPED_SKU,
                    f"the chosen supplier {only_supplier} does not list SKU {sku}",
                ),
            )
    active = [(o, t) for o, t in known if t.active]
    if not active:
        names = ", ".join(sorted({o.supplier_id for o in offers}))
        return Choice(
            (),
            units,
            (ExceptionKind.SUPPLIER_INACTIVE, f"SKU {sku} is only listed by inactive {names}"),
        )
    able = [(o, t) for o, t in active if mode in t.modes]
    if not able:
        names = ", ".join(sorted({t.id for _, t in active}))
        return Choice(
            (),
            units,
            (
                ExceptionKind.NO_SUPPLIER_FOR_MODE,
                f"no supplier of SKU {sku} takes {mode.value} orders ({names} do not)",
            ),
        )

    ranked = _rank(able, units, mode, rules, remaining_stock)
    fitting = [(o, t) for o, t in ranked if _fits_pack(o, units, mode)]
    for offer, _ in fitting:
        left = remaining_stock.get(offer.id)
        if left is None or left >= units:
            return Choice((Pick(offer, units),), 0, None)

    picks: list[Pick] = []
    missing = units
    for offer, _ in ranked:
        if missing == 0:
            break
        left = remaining_stock.get(offer.id)
        take = missing if left is None else min(missing, left)
        if mode is Mode.DROP_SHIP:
            take -= take % offer.pack_size
            if take < offer.min_quantity * offer.pack_size:
                continue
        if take > 0:
            picks.append(Pick(offer, take))
            missing -= take
    if missing == 0:
        return Choice(tuple(picks), 0, None)
    if not fitting and all(remaining_stock.get(o.id) is None for o, _ in ranked):
        sizes = ", ".join(
            f"{o.supplier_id} packs of {o.pack_size} (min {o.min_quantity})" for o, _ in ranked
        )
        return Choice(
            tuple(picks),
            missing,
            (ExceptionKind.PACK_SIZE, f"{units} × {sku} cannot be drop-shipped in {sizes}"),
        )
    stock = ", ".join(
        f"{o.supplier_id} {remaining_stock.get(o.id)}"
        for o, _ in ranked
        if remaining_stock.get(o.id) is not None
    )
    return Choice(
        tuple(picks),
        missing,
        (
            ExceptionKind.NO_STOCK,
            f"{missing} of {units} × {sku} not available from any supplier (in stock: {stock})",
        ),
    )
