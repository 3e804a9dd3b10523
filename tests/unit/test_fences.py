"""Fences, pure: what the store says about an order keeps a line that holds nothing from being
ordered, and Tandem's own marks never fence itself."""

from __future__ import annotations

from dataclasses import replace

from tandem.connector.domain import ExceptionKind, Mode, PriorHandling, PriorPO
from tandem.connector.fences import Fence, FenceRules, OrderRecord, line_fence, order_reasons
from tandem.connector.planning import Held, HoldKind, LineStatus, plan
from tests.unit.builders import line, offer, planning_input, terms

RULES = FenceRules(po_prefix="PO-", status_tag="tandem:{status}", database_id="db-one")
ACME = terms("acme", priority=1, mode=Mode.BACK_TO_BACK)


def record(
    tags: tuple[str, ...] = (),
    pos: tuple[PriorPO, ...] = (),
    ours: tuple[str, ...] = (),
    **prior: bool,
) -> OrderRecord:
    return OrderRecord("#1042", tags, PriorHandling(purchase_orders=pos, **prior), ours)


def test_another_databases_po_on_the_order_is_named() -> None:
    other = PriorPO(number="PO-00012", database="db-two", supplier="Acme", status="sent")
    assert order_reasons(record(("PO-00012", "tandem:sent"), (other,)), RULES) == [
        "order #1042 already names PO-00012 (Acme, sent) from another Tandem database"
    ]


def test_our_own_po_never_fences_even_when_another_database_used_the_same_number() -> None:
    ours = PriorPO(number="PO-00001", database="db-one", status="released")
    assert (
        order_reasons(record(("PO-00001", "tandem:released"), (ours,), ("PO-00001",)), RULES) == []
    )
    # The same number written by another database is that database's PO, not ours.
    theirs = PriorPO(number="PO-00001", database="db-two", status="released")
    assert order_reasons(record((), (theirs,), ("PO-00001",)), RULES) != []


def test_without_database_ids_a_po_is_ours_when_this_database_linked_it_to_the_order() -> None:
    rules = replace(RULES, database_id=None)
    listed = PriorPO(number="PO-00003", status="sent")
    assert order_reasons(record(("PO-00003",), (listed,), ("PO-00003",)), rules) == []
    assert order_reasons(record(("PO-00003",), (listed,)), rules) == [
        "order #1042 already names PO-00003 (sent) from another Tandem database"
    ]


def test_a_po_tag_or_a_status_tag_alone_fences_but_a_merchant_tag_does_not() -> None:
    assert order_reasons(record(("PO-00007", "vip")), RULES) == [
        "order #1042 is tagged PO-00007, not a PO of this database"
    ]
    assert order_reasons(record(("tandem:acknowledged",)), RULES) == [
        "order #1042 is tagged tandem:acknowledged but no PO of this database serves it"
    ]
    assert order_reasons(record(("vip", "PO-box", "tandem:cancelled")), RULES) == []


def test_a_cancelled_po_of_another_database_orders_nothing_so_it_does_not_fence() -> None:
    gone = PriorPO(number="PO-00012", database="db-two", status="cancelled")
    assert order_reasons(record(("PO-00012",), (gone,)), RULES) == []


def test_held_or_closed_fulfilment_and_fulfilled_lines_fence() -> None:
    assert order_reasons(record(on_hold=True), RULES) == [
        "order #1042's fulfilment is on hold in the shop"
    ]
    closed = line_fence([], "#1042", "SPADE", 2, 0, closed=True)
    assert closed is not None
    assert closed.startswith("order #1042 has no fulfilment left open in the shop.")
    message = line_fence([], "#1042", "SPADE", 2, 2)
    assert message is not None
    assert message.startswith("order #1042: 2 of 2 × SPADE already fulfilled in the shop.")
    assert "plan it anyway" in message
    assert line_fence([], "#1042", "SPADE", 2, 0) is None
    # A fulfilled line says so; that its order has nothing left open goes without saying.
    both = line_fence([], "#1042", "SPADE", 2, 2, closed=True)
    assert both is not None and "no fulfilment left open" not in both


def test_the_planner_raises_a_fenced_line_instead_of_ordering_it() -> None:
    fence = Fence("order #1001 already names PO-00012 from another Tandem database")
    data = planning_input(
        [replace(line(1, 2, "SPADE"), fence=fence), line(2, 1, "SPADE")],
        [offer("acme", "SPADE")],
        [ACME],
    )
    result = plan(data)
    assert [(a.line_id, a.units) for a in result.allocations] == [(2, 1)]
    [problem] = result.problems
    assert (problem.line_id, problem.kind, problem.message) == (
        1,
        ExceptionKind.HANDLED_ELSEWHERE,
        fence.message,
    )
    assert {d.line_id: d.status for d in result.decisions}[1] is LineStatus.SHORT


def test_a_fence_a_person_accepted_waits_quietly_and_a_line_that_holds_units_is_not_fenced() -> (
    None
):
    accepted = Fence("handled", accepted=True)
    held = Held(id=9, kind=HoldKind.DRAFT, units=1, supplier_id="acme", mode=Mode.BACK_TO_BACK)
    data = planning_input(
        [
            replace(line(1, 2, "SPADE"), fence=accepted),
            replace(line(2, 3, "SPADE", held=(held,)), fence=Fence("handled")),
        ],
        [offer("acme", "SPADE")],
        [ACME],
    )
    result = plan(data)
    assert result.problems == []
    # Line 2 held a unit already: this database ordered it, so it is topped up as usual.
    assert [(a.line_id, a.units) for a in result.allocations] == [(2, 2)]
