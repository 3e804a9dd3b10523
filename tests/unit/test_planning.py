"""The planner as a merchant sees it: what gets ordered, consolidated, shrunk or flagged."""

from __future__ import annotations

from dataclasses import replace

from tandem.connector.domain import ExceptionKind, Mode, QuantityBasis
from tandem.connector.planning import Held, HoldKind, LineStatus, OpenPOLine, plan
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

ACME = terms("acme", priority=1, mode=Mode.BACK_TO_BACK, modes=(Mode.BACK_TO_BACK, Mode.DROP_SHIP))
BLOOM = terms("bloom", priority=1, mode=Mode.DROP_SHIP)


def test_back_to_back_lines_of_many_orders_share_one_draft_per_supplier() -> None:
    data = planning_input(
        [line(1, 2, "SPADE"), line(2, 1, "SPADE"), line(3, 5, "RAKE", order_id=2)],
        [offer("acme", "SPADE"), offer("acme", "RAKE")],
        [ACME],
    )
    result = plan(data)
    assert {a.group_key for a in result.allocations} == {"acme|back_to_back|warehouse"}
    assert sorted((a.line_id, a.units) for a in result.allocations) == [(1, 2), (2, 1), (3, 5)]
    assert all(d.status is LineStatus.ALLOCATED for d in result.decisions)


def test_drop_ship_never_mixes_customers() -> None:
    data = planning_input(
        [line(1, 1, "OLIVE", address="a"), line(2, 1, "OLIVE", address="b")],
        [offer("bloom", "OLIVE")],
        [BLOOM],
    )
    keys = {a.group_key for a in plan(data).allocations}
    assert len(keys) == 2
    assert all(k.startswith("bloom|drop_ship|order:") for k in keys)


def test_a_supplier_that_does_not_consolidate_gets_one_po_per_order() -> None:
    solo = terms("solo", consolidate=False)
    data = planning_input([line(1, 1), line(2, 1)], [offer("solo")], [solo])
    assert len({a.group_key for a in plan(data).allocations}) == 2


def test_planning_twice_changes_nothing() -> None:
    data = planning_input(
        [
            line(1, 3, "SPADE"),
            line(2, 2, "OLIVE"),
            line(3, 9, "NOPE", line_facts=facts(order_tags=("b2b",))),
        ],
        [offer("acme", "SPADE"), offer("bloom", "OLIVE")],
        [ACME, BLOOM],
    )
    first = plan(data)
    again = plan(replace(data, lines=apply_in_memory(data, first)))
    assert again.is_empty()
    assert again.problems == first.problems  # the unmapped SKU is still explained


def test_lower_quantity_shrinks_the_draft_before_anything_is_sent() -> None:
    data = planning_input([line(1, 5)], [offer("acme")], [ACME])
    lines = apply_in_memory(data, plan(data))
    lower = replace(lines[0], quantity=2)
    result = plan(replace(data, lines=[lower]))
    assert [(s.held.kind, s.new_units) for s in result.shrinks] == [(HoldKind.DRAFT, 2)]
    assert result.allocations == []


def test_cancellation_after_release_shrinks_the_released_allocation() -> None:
    data = planning_input([line(1, 5)], [offer("acme")], [ACME])
    released = release_all(apply_in_memory(data, plan(data)))
    result = plan(replace(data, lines=[replace(released[0], cancelled=True)]))
    assert [(s.held.kind, s.new_units) for s in result.shrinks] == [(HoldKind.RELEASED, 0)]
    assert result.decisions[0].status is LineStatus.CANCELLED


def test_shrinking_takes_drafts_first_then_stock_then_released() -> None:
    held = (
        Held(
            1,
            HoldKind.RELEASED,
            2,
            po_id=9,
            po_line_id=90,
            po_number="PO-9",
            supplier_id="acme",
            mode=Mode.BACK_TO_BACK,
            ship_to_key="warehouse",
        ),
        Held(2, HoldKind.STOCK, 2),
        Held(
            3,
            HoldKind.DRAFT,
            2,
            po_id=10,
            po_line_id=100,
            supplier_id="acme",
            offer_key=("acme", "acme-SKU-1"),
            mode=Mode.BACK_TO_BACK,
            ship_to_key="warehouse",
        ),
    )
    result = plan(planning_input([line(1, 1, held=held)], [offer("acme")], [ACME]))
    assert [(s.held.id, s.new_units) for s in result.shrinks] == [(3, 0), (2, 0), (1, 1)]


def test_address_change_after_a_drop_ship_po_was_released_is_flagged_not_reordered() -> None:
    data = planning_input([line(1, 1, "OLIVE", address="old")], [offer("bloom", "OLIVE")], [BLOOM])
    released = release_all(apply_in_memory(data, plan(data)))
    result = plan(replace(data, lines=[replace(released[0], address_key="new")]))
    assert result.allocations == [] and result.shrinks == []
    assert [a.kind for a in result.alerts] == [ExceptionKind.CHANGED_AFTER_SEND]
    assert "address changed after PO-" in result.alerts[0].message


def test_mode_change_moves_a_draft_line_to_the_new_mode() -> None:
    data = planning_input([line(1, 2)], [offer("acme")], [ACME])
    lines = apply_in_memory(data, plan(data))
    tagged = replace(lines[0], facts=facts(order_tags=("dropship",)))
    result = plan(replace(data, lines=[tagged]))
    assert [(s.held.kind, s.new_units) for s in result.shrinks] == [(HoldKind.DRAFT, 0)]
    assert [(a.mode, a.units) for a in result.allocations] == [(Mode.DROP_SHIP, 2)]


def test_unpaid_orders_wait_and_stock_lines_are_left_alone() -> None:
    data = planning_input(
        [line(1, 2, eligible=False), line(2, 2, line_facts=facts(order_tags=("from-stock",)))],
        [offer("acme")],
        [ACME],
    )
    result = plan(data)
    assert result.allocations == []
    assert [d.status for d in result.decisions] == [LineStatus.AWAITING_PAYMENT, LineStatus.STOCK]


def test_shortfall_uses_warehouse_stock_then_open_po_spare_units_then_orders() -> None:
    data = planning_input(
        [line(1, 10)],
        [offer("acme")],
        [ACME],
        basis=QuantityBasis.SHORTFALL,
        free_stock={"SKU-1": 3},
        open_po_lines={"SKU-1": [OpenPOLine(po_line_id=77, po_id=7, sku="SKU-1", free_units=4)]},
    )
    result = plan(data)
    assert [(k.po_line_id, k.units) for k in result.links] == [(None, 3), (77, 4)]
    assert [a.units for a in result.allocations] == [3]


def test_full_basis_ignores_warehouse_stock() -> None:
    data = planning_input([line(1, 10)], [offer("acme")], [ACME], free_stock={"SKU-1": 30})
    result = plan(data)
    assert result.links == [] and [a.units for a in result.allocations] == [10]


def test_scarce_supplier_stock_goes_to_the_oldest_order() -> None:
    data = planning_input(
        [line(1, 3, order_id=1), line(2, 3, order_id=2)],
        [offer("acme", stock=4)],
        [ACME],
    )
    result = plan(data)
    assert [(a.line_id, a.units) for a in result.allocations] == [(1, 3), (2, 1)]
    assert [(p.line_id, p.kind) for p in result.problems] == [(2, ExceptionKind.NO_STOCK)]


def test_units_already_committed_since_the_stock_figure_are_not_counted_twice() -> None:
    acme = offer("acme", stock=5)
    data = planning_input([line(1, 3)], [acme], [ACME], committed={("acme", acme.supplier_sku): 4})
    result = plan(data)
    assert [a.units for a in result.allocations] == [1]
    assert result.problems[0].kind is ExceptionKind.NO_STOCK


def test_lines_without_sku_or_address_are_exceptions() -> None:
    data = planning_input(
        [
            line(1, 1, sku=None, line_facts=facts(order_tags=("b2b",))),
            line(2, 1, "OLIVE", address=None),
        ],
        [offer("bloom", "OLIVE")],
        [BLOOM],
    )
    assert [(p.line_id, p.kind) for p in plan(data).problems] == [
        (1, ExceptionKind.NO_SKU),
        (2, ExceptionKind.NO_ADDRESS),
    ]


def test_an_inactive_suppliers_draft_moves_to_the_next_supplier() -> None:
    data = planning_input(
        [line(1, 2)], [offer("acme"), offer("beta")], [ACME, terms("beta", priority=5)]
    )
    lines = apply_in_memory(data, plan(data))
    off = replace(
        data,
        lines=lines,
        suppliers={"acme": replace(ACME, active=False), "beta": terms("beta", priority=5)},
    )
    result = plan(off)
    assert [(s.held.supplier_id, s.new_units) for s in result.shrinks] == [("acme", 0)]
    assert [(a.offer.supplier_id, a.units) for a in result.allocations] == [("beta", 2)]


def test_no_line_ever_holds_more_than_it_needs() -> None:
    data = planning_input([line(1, 4), line(2, 6)], [offer("acme", stock=100)], [ACME])
    lines = release_all(apply_in_memory(data, plan(data)))
    edited = [replace(lines[0], quantity=1), replace(lines[1], quantity=0)]
    after = apply_in_memory(replace(data, lines=edited), plan(replace(data, lines=edited)))
    assert [holding(ln) for ln in after] == [1, 0]
