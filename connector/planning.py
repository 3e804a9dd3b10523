"""Planning, pure: compare what every order line needs with what it holds, return the difference.

The planner never performs anything. It reads a snapshot (lines with their allocations, offers,
free warehouse stock, unallocated units on open POs) and returns a `Plan`: allocations to add,
allocations to shrink, and the problems to show. Applying a plan and planning again yields an
empty plan, which is what makes webhooks, polling and restarts safe to repeat.

Invariant kept here (DESIGN.md §3, 2): after a plan is applied, no line holds more than it needs.
Shrinking takes the cheapest undo first: draft PO lines (nothing sent yet), then links to
warehouse stock, then released PO lines (the supplier must be told), then goods already received.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from tandem.connector.domain import ExceptionKind, Mode, Offer, QuantityBasis, SupplierTerms
from tandem.connector.fences import Fence
from tandem.connector.routing import (
    ChoiceRules,
    LineFacts,
    ModeBasis,
    ModeDecision,
    ModeRules,
    choose_suppliers,
    decide_mode,
    default_supplier,
)

WAREHOUSE = "warehouse"


class HoldKind(StrEnum):
    DRAFT = "draft"  # on a PO not yet released: free to change
    RELEASED = "released"  # on a PO the supplier has (or is about to have)
    STOCK = "stock"  # linked to goods already in the warehouse


class LineStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    CANCELLED = "cancelled"
    STOCK = "stock"
    ALLOCATED = "allocated"
    SHORT = "short"


@dataclass(frozen=True, slots=True)
class Held:
    """An allocation a line holds now."""

    id: int
    kind: HoldKind
    units: int
    received: int = 0
    po_id: int | None = None
    po_line_id: int | None = None
    po_number: str | None = None
    supplier_id: str | None = None
    offer_key: tuple[str, str] | None = None  # (supplier id, supplier SKU)
    mode: Mode | None = None
    ship_to_key: str | None = None
    po_shop: str | None = None  # the shop the PO serves; None: any


@dataclass(frozen=True, slots=True)
class LineToPlan:
    id: int
    order_id: int
    order_name: str
    sku: str | None
    quantity: int
    cancelled: bool
    eligible: bool
    facts: LineFacts
    address_key: str | None  # the order's shipping address fingerprint
    held: tuple[Held, ...] = ()
    supplier_override: str | None = None
    # Why the store says this line was handled elsewhere (tandem.connector.fences); a line that
    # holds nothing is then not ordered but raised as an exception, unless a person already
    # agreed with the store.
    fence: Fence | None = None
    shop: str = ""  # the order's shop


@dataclass(frozen=True, slots=True)
class OpenPOLine:
    """A line of a released back-to-back PO with units no order line holds yet."""

    po_line_id: int
    po_id: int
    sku: str
    free_units: int
    shop: str | None = None  # the shop the PO serves; None: any


@dataclass(frozen=True, slots=True)
class PlanningInput:
    lines: Sequence[LineToPlan]  # oldest order first: scarce supply goes to them
    offers: Mapping[str, Sequence[Offer]]
    suppliers: Mapping[str, SupplierTerms]
    mode_rules: ModeRules
    choice_rules: ChoiceRules
    quantity_basis: QuantityBasis
    free_stock: Mapping[str, int] = field(default_factory=dict)
    open_po_lines: Mapping[str, Sequence[OpenPOLine]] = field(default_factory=dict)
    # Units already committed per (supplier, supplier SKU) since the supplier's stock figure
    # was taken: they are no longer in that supplier's stock.
    committed: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # Several shops: POs keep each shop's orders apart (unless the supplier consolidates
    # across shops), and a shop may read the mode its own way.
    separate_shops: bool = False
    shop_mode_rules: Mapping[str, ModeRules] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    line_id: int
    mode: Mode
    mode_source: str
    needed: int
    status: LineStatus
    fallback: bool = False  # the mode is the global default's only (routing.ModeDecision)


@dataclass(frozen=True, slots=True)
class NewAllocation:
    """Put `units` of a line on the draft PO of `group_key`, under `offer`."""

    line_id: int
    offer: Offer
    units: int
    mode: Mode
    group_key: str
    ship_to_key: str
    order_id: int
    shop: str | None = None  # the shop the PO serves; None: any


@dataclass(frozen=True, slots=True)
class Link:
    """Serve `units` of a line from what is already there: warehouse stock or an open PO line."""

    line_id: int
    units: int
    sku: str
    po_line_id: int | None = None  # None: warehouse stock


@dataclass(frozen=True, slots=True)
class Shrink:
    held: Held
    line_id: int
    new_units: int
    reason: str


@dataclass(frozen=True, slots=True)
class Problem:
    line_id: int
    kind: ExceptionKind
    message: str
    po_id: int | None = None


@dataclass
class Plan:
    decisions: list[Decision] = field(default_factory=list)
    allocations: list[NewAllocation] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    shrinks: list[Shrink] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # planning problems, per line
    alerts: list[Problem] = field(default_factory=list)  # changes after a PO was sent

    def is_empty(self) -> bool:
        return not (self.allocations or self.links or self.shrinks)


def group_key(
    supplier: SupplierTerms,
    mode: Mode,
    order_id: int,
    address_key: str | None,
    shop: str | None = None,
) -> tuple[str, str]:
    """(draft PO group, ship-to key): b2b lines of a supplier share the warehouse PO unless the
    supplier does not consolidate; drop-ship POs never mix customers. `shop`: the shop whose
    orders the PO keeps apart from other shops' (see `po_shop`)."""
    if mode is Mode.DROP_SHIP:
        ship_to = address_key or "none"
        return f"{supplier.id}|drop_ship|order:{order_id}|{ship_to}", ship_to
    if supplier.consolidate:
        apart = f"shop:{shop}|" if shop is not None else ""
        return f"{supplier.id}|back_to_back|{apart}{WAREHOUSE}", WAREHOUSE
    return f"{supplier.id}|back_to_back|order:{order_id}", WAREHOUSE


def po_shop(data: PlanningInput, supplier: SupplierTerms, line: LineToPlan) -> str | None:
    """The shop a new PO for the line serves: its own, when shops are kept apart and the
    supplier does not consolidate across them; else None (any)."""
    if data.separate_shops and not supplier.across_shops:
        return line.shop
    return None


_SHRINK_ORDER = {HoldKind.DRAFT: 0, HoldKind.STOCK: 1, HoldKind.RELEASED: 2}


@dataclass(slots=True)
class _Spare:
    """Units on an open PO line that a waiting line may link to. `credited`: the supplier
    stock (supplier, supplier SKU) they were given back to when freed in this run."""

    po_line_id: int
    units: int
    credited: tuple[str, str] | None = None
    shop: str | None = None  # the shop the PO serves; None: any


class _Planner:
    def __init__(self, data: PlanningInput) -> None:
        self.data = data
        self.plan = Plan()
        self.free_stock: dict[str, int] = dict(data.free_stock)
        # Spare units on open PO lines, per SKU; units a line lets go of in this run join them.
        self.open_po: dict[str, list[_Spare]] = {
            sku: [_Spare(p.po_line_id, p.free_units, shop=p.shop) for p in lines]
            for sku, lines in data.open_po_lines.items()
        }
        self.used: dict[tuple[str, str], int] = defaultdict(int, data.committed)

    def remaining_stock(self, offers: Sequence[Offer]) -> dict[int, int | None]:
        left: dict[int, int | None] = {}
        for offer in offers:
            units = offer.available_units()
            key = (offer.supplier_id, offer.supplier_sku)
            left[offer.id] = None if units is None else max(0, units - self.used[key])
        return left

    def decide(self, line: LineToPlan) -> tuple[ModeDecision, int]:
        offers = self.data.offers.get(line.sku or "", ())
        decision = self.keep_held_mode(
            line,
            decide_mode(
                line.facts,
                self.data.shop_mode_rules.get(line.shop, self.data.mode_rules),
                default_supplier(offers, self.data.suppliers),
            ),
        )
        if decision.unreadable is not None:
            self.problem(
                line,
                ExceptionKind.UNKNOWN_MODE,
                f"order {line.order_name}: {line.sku or 'a line'}: {decision.unreadable};"
                f" planned as {decision.mode.value} ({decision.source})",
            )
        if line.cancelled or not line.eligible or decision.mode is Mode.STOCK:
            return decision, 0
        return decision, line.quantity

    def keep_held_mode(self, line: LineToPlan, decision: ModeDecision) -> ModeDecision:
        """A line already on a PO (or linked to stock) keeps its mode when only a default would
        change it: a catalogue arriving or changing never moves what a supplier has or is about
        to get. A rule about the line (property, tag, metafield) still decides, and a released
        PO's supplier is then asked (alert_changed)."""
        if decision.basis is ModeBasis.RULE:
            return decision
        staying = {
            h.mode or Mode.BACK_TO_BACK: h
            for h in line.held
            if h.units > 0
            and (
                h.kind is HoldKind.STOCK
                or (h.kind is HoldKind.RELEASED and h.supplier_id is not None)
                or (h.mode is not None and self.fits(h, line, h.mode))
            )
        }
        if len(staying) != 1:
            return decision
        [(mode, held)] = staying.items()
        if mode is decision.mode:
            return decision
        where = held.po_number or ("warehouse stock" if held.po_id is None else "a draft PO")
        return replace(
            decision,
            mode=mode,
            source=f"kept as on {where} ({decision.source} would now say {decision.mode.value})",
            basis=ModeBasis.HELD,
        )

    def fits(self, held: Held, line: LineToPlan, mode: Mode) -> bool:
        """Does an allocation still match what the line asks for now?"""
        if held.kind is HoldKind.STOCK:
            return mode is Mode.BACK_TO_BACK
        if held.mode is not mode:
            return False
        if mode is Mode.DROP_SHIP and held.ship_to_key != (line.address_key or "none"):
            return False
        if held.kind is HoldKind.DRAFT:
            terms = self.data.suppliers.get(held.supplier_id or "")
            if terms is None or not terms.active:
                return False
            if line.supplier_override and held.supplier_id != line.supplier_override:
                return False
        return True

    def shrink_pass(self, line: LineToPlan, mode: Mode, needed: int) -> int:
        """Drop what no longer fits, shrink to `needed`; returns the units the line still holds."""
        keep: list[Held] = []
        for held in line.held:
            if held.units <= 0:
                continue
            if held.kind is HoldKind.RELEASED or self.fits(held, line, mode):
                # A released misfit stays: the supplier has it; a person decides (see alert).
                keep.append(held)
            else:
                self.shrink(line, held, 0, "no longer matches the line's mode or address")
        left = {h.id: h.units for h in keep}
        excess = sum(left.values()) - needed

        def order(h: Held) -> tuple[int, bool, bool, int]:
            # Cheapest to undo first; among released, misfits and goods not yet received first.
            return (_SHRINK_ORDER[h.kind], self.fits(h, line, mode), h.received > 0, -h.id)

        for held in sorted(keep, key=order):
            if excess <= 0:
                break
            cut = min(excess, held.units)
            left[held.id] -= cut
            self.shrink(line, held, held.units - cut, "the order line needs less")
            excess -= cut
        for held in keep:
            if left[held.id] > 0 and not self.fits(held, line, mode):
                self.alert_changed(line, held, mode)
        return sum(left.values())

    def shrink(self, line: LineToPlan, held: Held, new_units: int, reason: str) -> None:
        self.plan.shrinks.append(Shrink(held, line.id, new_units, reason))
        freed = held.units - new_units
        sku = line.sku or ""
        # A dead PO's allocation (no supplier) was never counted against the supplier's stock.
        speaks_for = held.offer_key if held.supplier_id is not None else None
        if held.kind is HoldKind.DRAFT and speaks_for is not None:
            self.used[speaks_for] -= freed
        elif held.kind is HoldKind.STOCK:
            self.free_stock[sku] = self.free_stock.get(sku, 0) + freed
        elif held.kind is HoldKind.RELEASED:
            # Units already received stay with Tandem; the rest the supplier gets back when
            # the PO line shrinks, so they count as that supplier's stock again: planning
            # after the shrink would otherwise order them for a line this run left short.
            freed_received = held.received - min(held.received, new_units)
            on_the_way = freed - freed_received
            if speaks_for is not None and on_the_way > 0:
                self.used[speaks_for] -= on_the_way
            if held.mode is Mode.BACK_TO_BACK:
                # Goods in or on their way to the warehouse: another waiting line may take them.
                if freed_received > 0:
                    self.free_stock[sku] = self.free_stock.get(sku, 0) + freed_received
                if on_the_way > 0 and held.po_line_id is not None:
                    self.open_po.setdefault(sku, []).append(
                        _Spare(held.po_line_id, on_the_way, speaks_for, held.po_shop)
                    )

    def alert_changed(self, line: LineToPlan, held: Held, mode: Mode) -> None:
        what = "address" if held.mode is mode else f"mode (now {mode.value})"
        self.plan.alerts.append(
            Problem(
                line.id,
                ExceptionKind.CHANGED_AFTER_SEND,
                f"order {line.order_name}: {what} changed after {held.po_number} was released"
                f" to {held.supplier_id}; the supplier still has the old one",
                held.po_id,
            )
        )

    def link_existing(self, line: LineToPlan, missing: int) -> int:
        """Shortfall basis: serve from free warehouse stock, then from open POs' spare units."""
        sku = line.sku or ""
        take = min(missing, self.free_stock.get(sku, 0))
        if take > 0:
            self.free_stock[sku] -= take
            self.plan.links.append(Link(line.id, take, sku))
            missing -= take
        for spare in self.open_po.get(sku, []):
            if missing == 0:
                break
            if spare.shop is not None and spare.shop != line.shop:
                continue  # on a PO for another shop's orders
            take = min(missing, spare.units)
            if take > 0:
                spare.units -= take
                if spare.credited is not None:
                    # Linked, they stay on the PO line: no longer the supplier's to sell.
                    self.used[spare.credited] += take
                self.plan.links.append(Link(line.id, take, sku, po_line_id=spare.po_line_id))
                missing -= take
        return missing

    def order_more(self, line: LineToPlan, mode: Mode, missing: int) -> int:
        if line.fence is not None and not any(h.units > 0 for h in line.held):
            # Not even stock is linked: the store says someone already served this order.
            if not line.fence.accepted:
                self.problem(line, ExceptionKind.HANDLED_ELSEWHERE, line.fence.message)
            return missing
        sku = line.sku
        if sku is None:
            self.problem(line, ExceptionKind.NO_SKU, f"order {line.order_name}: line has no SKU")
            return missing
        if mode is Mode.DROP_SHIP and line.address_key is None:
            self.problem(
                line,
                ExceptionKind.NO_ADDRESS,
                f"order {line.order_name}: drop-ship line {sku} but the order has no"
                " shipping address",
            )
            return missing
        if mode is Mode.BACK_TO_BACK and self.data.quantity_basis is QuantityBasis.SHORTFALL:
            missing = self.link_existing(line, missing)
            if missing == 0:
                return 0
        offers = self.data.offers.get(sku, ())
        choice = choose_suppliers(
            sku,
            missing,
            mode,
            offers,
            self.data.suppliers,
            self.data.choice_rules,
            self.remaining_stock(offers),
            only_supplier=line.supplier_override,
        )
        for pick in choice.picks:
            terms = self.data.suppliers[pick.offer.supplier_id]
            shop = po_shop(self.data, terms, line)
            key, ship_to = group_key(terms, mode, line.order_id, line.address_key, shop)
            self.plan.allocations.append(
                NewAllocation(
                    line.id, pick.offer, pick.units, mode, key, ship_to, line.order_id, shop
                )
            )
            self.used[(pick.offer.supplier_id, pick.offer.supplier_sku)] += pick.units
        if choice.problem is not None:
            kind, message = choice.problem
            self.problem(line, kind, f"order {line.order_name}: {message}")
        return choice.missing

    def problem(self, line: LineToPlan, kind: ExceptionKind, message: str) -> None:
        self.plan.problems.append(Problem(line.id, kind, message))

    def run(self) -> Plan:
        decided = [(line, *self.decide(line)) for line in self.data.lines]
        holding = {
            line.id: self.shrink_pass(line, decision.mode, needed)
            for line, decision, needed in decided
        }
        for line, decision, needed in decided:
            mode = decision.mode
            missing = needed - holding[line.id]
            if missing > 0:
                missing = self.order_more(line, mode, missing)
            self.plan.decisions.append(
                Decision(
                    line.id,
                    mode,
                    decision.source,
                    needed,
                    _status(line, mode, missing),
                    fallback=decision.fallback,
                )
            )
        return self.plan


def _status(line: LineToPlan, mode: Mode, missing: int) -> LineStatus:
    if line.cancelled:
        return LineStatus.CANCELLED
    if not line.eligible:
        return LineStatus.AWAITING_PAYMENT
    if mode is Mode.STOCK:
        return LineStatus.STOCK
    return LineStatus.SHORT if missing > 0 else LineStatus.ALLOCATED


def plan(data: PlanningInput) -> Plan:
    """The difference between what `data.lines` need and what they hold."""
    return _Planner(data).run()
