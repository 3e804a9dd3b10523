"""Invariants 1 and 2 of DESIGN.md §3 over random orders, catalogues, edits and replays.

Each example builds a catalogue and a stream of events (new lines, quantity edits,
cancellations, releases, replays of the planner) and checks after every planner run:
- no line holds more than it needs (invariant 2),
- every line that needs supply is fully held or carries an exception saying why (invariant 1),
- planning again without any change changes nothing.

The named tests at the end state, in a merchant's words, cases the property once found.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tandem.connector.domain import ExceptionKind, Mode, QuantityBasis, Strategy
from tandem.connector.planning import Held, HoldKind, LineToPlan, PlanningInput, plan
from tests.unit.builders import (
    apply_in_memory,
    facts,
    holding,
    line,
    offer,
    planning_input,
    release_all,
    terms,
)

SKUS = ["A", "B", "C", "D"]
SUPPLIERS = [
    terms("s1", priority=1, mode=Mode.BACK_TO_BACK, modes=(Mode.BACK_TO_BACK, Mode.DROP_SHIP)),
    terms("s2", priority=2, mode=Mode.DROP_SHIP),
    terms("s3", priority=3, mode=Mode.BACK_TO_BACK),
]

offers_st = st.lists(
    st.builds(
        offer,
        supplier=st.sampled_from(["s1", "s2", "s3"]),
        sku=st.sampled_from(SKUS[:3]),  # D is in no catalogue
        cost=st.sampled_from(["1", "2.5", "10"]),
        stock=st.one_of(st.none(), st.integers(0, 12)),
        pack=st.sampled_from([1, 1, 2, 6]),
        minimum=st.sampled_from([1, 1, 2]),
    ),
    max_size=8,
    unique_by=lambda o: (o.supplier_id, o.sku),
)

line_st = st.fixed_dictionaries(
    {
        "quantity": st.integers(0, 9),
        "sku": st.sampled_from(SKUS),
        "tags": st.sampled_from([(), ("dropship",), ("b2b",), ("from-stock",)]),
        "address": st.sampled_from(["x", "y", None]),
        "eligible": st.booleans(),
    }
)

event_st = st.one_of(
    st.tuples(st.just("add"), line_st),
    st.tuples(st.just("edit"), st.integers(0, 50), st.integers(0, 9)),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("address"), st.integers(0, 50), st.sampled_from(["x", "y", "z"])),
    st.tuples(st.just("release")),
    st.tuples(st.just("replan")),
)


def committed(lines: list[LineToPlan]) -> dict[tuple[str, str], int]:
    """Supplier stock spoken for by POs, as the store computes it (the catalogue here never
    changes, so every PO counts)."""
    used: dict[tuple[str, str], int] = {}
    for ln in lines:
        for h in ln.held:
            if h.offer_key is not None:
                used[h.offer_key] = used.get(h.offer_key, 0) + h.units
    return used


def snapshot(lines: list[LineToPlan], base: PlanningInput) -> PlanningInput:
    """What the store would load for these lines: free stock and committed supplier stock
    follow from what the lines hold."""
    taken = sum(h.units for ln in lines for h in ln.held if h.kind is HoldKind.STOCK)
    return replace(base, lines=lines, free_stock={"A": 3 - taken}, committed=committed(lines))


def check(data: PlanningInput) -> list[LineToPlan]:
    result = plan(data)
    lines = apply_in_memory(data, result)
    needed = {d.line_id: d.needed for d in result.decisions}
    explained = {p.line_id for p in result.problems} | {a.line_id for a in result.alerts}
    for ln in lines:
        assert holding(ln) <= needed[ln.id], f"line {ln.id} holds more than it needs"
        if holding(ln) < needed[ln.id]:
            assert ln.id in explained, f"line {ln.id} is short without an exception"
    assert plan(snapshot(lines, data)).is_empty(), "planning again changed something"
    return lines


@settings(max_examples=300, deadline=None)
@given(
    offers=offers_st,
    events=st.lists(event_st, min_size=1, max_size=25),
    strategy=st.sampled_from(list(Strategy)),
    basis=st.sampled_from(list(QuantityBasis)),
    default_mode=st.sampled_from(list(Mode)),
)
# A cancellation takes a unit off a released PO while another order waits for that supplier's
# last unit: the unit must count as the supplier's stock again in the same run.
@example(
    offers=[
        offer("s1", "A", "1", stock=None, pack=1, minimum=1),
        offer("s1", "B", "1", stock=1, pack=1, minimum=1),
    ],
    events=[
        ("add", {"quantity": 1, "sku": "B", "tags": (), "address": "x", "eligible": True}),
        ("release",),
        ("add", {"quantity": 1, "sku": "B", "tags": (), "address": "x", "eligible": True}),
        ("cancel", 0),
    ],
    strategy=Strategy.PREFERRED,
    basis=QuantityBasis.FULL,
    default_mode=Mode.STOCK,
)
def test_invariants_hold_through_edits_and_replays(
    offers: list, events: list, strategy: Strategy, basis: QuantityBasis, default_mode: Mode
) -> None:
    lines: list[LineToPlan] = []
    for event in events:
        kind = event[0]
        if kind == "add":
            spec = event[1]
            lines.append(
                line(
                    len(lines) + 1,
                    spec["quantity"],
                    spec["sku"],
                    eligible=spec["eligible"],
                    address=spec["address"],
                    line_facts=facts(order_tags=spec["tags"]),
                )
            )
        elif kind == "edit" and lines:
            i = event[1] % len(lines)
            lines[i] = replace(lines[i], quantity=event[2])
        elif kind == "cancel" and lines:
            i = event[1] % len(lines)
            lines[i] = replace(lines[i], cancelled=True)
        elif kind == "address" and lines:
            i = event[1] % len(lines)
            lines[i] = replace(lines[i], address_key=event[2])
        elif kind == "release":
            lines = release_all(lines)
        base = planning_input(
            lines, offers, SUPPLIERS, default_mode=default_mode, strategy=strategy, basis=basis
        )
        lines = check(snapshot(lines, base))


def _last_unit_sent_then_cancelled(
    basis: QuantityBasis, waiting: list[LineToPlan]
) -> tuple[PlanningInput, list[LineToPlan]]:
    """s1 had one B in stock; order #1001 got it on a released PO; `waiting` orders came in
    after and found s1 out of stock; now order #1001 is cancelled."""
    offers = [offer("s1", "B", "1", stock=1)]

    def snap(lines: list[LineToPlan]) -> PlanningInput:
        return snapshot(lines, planning_input(lines, offers, SUPPLIERS, basis=basis))

    lines = check(snap([line(1, 1, "B", line_facts=facts(order_tags=("b2b",)))]))
    lines = release_all(lines)
    lines = check(snap([*lines, *waiting]))
    assert [holding(ln) for ln in lines] == [1] + [0] * len(waiting)
    lines[0] = replace(lines[0], cancelled=True)
    data = snap(lines)
    return data, check(data)


def test_a_cancelled_order_frees_its_supplier_stock_for_the_next_order_in_the_same_run() -> None:
    # Ordering every unit (full basis): the unit comes off the sent PO and the waiting order
    # is ordered at once, not one planner run later (a run that would see a change).
    waiting = [line(2, 1, "B", line_facts=facts(order_tags=("b2b",)))]
    data, lines = _last_unit_sent_then_cancelled(QuantityBasis.FULL, waiting)
    result = plan(data)
    assert [(s.line_id, s.new_units) for s in result.shrinks] == [(1, 0)]
    assert [(a.line_id, a.offer.supplier_id, a.units) for a in result.allocations] == [(2, "s1", 1)]
    assert result.problems == []
    assert [holding(ln) for ln in lines] == [0, 1]


def test_a_cancelled_orders_unit_on_a_sent_po_goes_to_the_next_order_and_is_not_sold_twice() -> (
    None
):
    # Ordering only the shortfall: the waiting back-to-back order takes the unit already on
    # its way; the drop-ship order behind it does not get it from the supplier's stock too.
    waiting = [
        line(2, 1, "B", line_facts=facts(order_tags=("b2b",))),
        line(3, 1, "B", line_facts=facts(order_tags=("dropship",))),
    ]
    data, lines = _last_unit_sent_then_cancelled(QuantityBasis.SHORTFALL, waiting)
    result = plan(data)
    [link] = result.links
    assert (link.line_id, link.units, link.po_line_id) == (2, 1, data.lines[0].held[0].po_line_id)
    assert result.allocations == []
    assert [(p.line_id, p.kind) for p in result.problems] == [(3, ExceptionKind.NO_STOCK)]
    assert [holding(ln) for ln in lines] == [0, 1, 0]


def test_units_on_a_rejected_po_are_not_counted_as_the_suppliers_stock_again() -> None:
    # s1 has one B; order #1002's draft already speaks for it. Order #1001's PO was rejected
    # (its allocation has no supplier any more): dropping it frees none of s1's stock.
    offers = [offer("s1", "B", "1", stock=1)]
    rejected = Held(
        id=101,
        kind=HoldKind.DRAFT,
        units=1,
        po_id=9,
        po_line_id=90,
        po_number="PO-9",
        supplier_id=None,
        offer_key=("s1", "s1-B"),
        mode=Mode.BACK_TO_BACK,
        ship_to_key="warehouse",
    )
    draft = replace(rejected, id=102, po_id=10, po_line_id=100, po_number=None, supplier_id="s1")
    lines = [
        line(1, 1, "B", held=(rejected,), line_facts=facts(order_tags=("b2b",))),
        line(2, 1, "B", held=(draft,), line_facts=facts(order_tags=("b2b",))),
    ]
    data = replace(planning_input(lines, offers, SUPPLIERS), committed={("s1", "s1-B"): 1})
    result = plan(data)
    assert [(s.line_id, s.new_units) for s in result.shrinks] == [(1, 0)]
    assert result.allocations == []
    assert [(p.line_id, p.kind) for p in result.problems] == [(1, ExceptionKind.NO_STOCK)]
