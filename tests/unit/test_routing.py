"""Mode precedence and supplier choice, as a merchant configures them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tandem.connector.domain import ExceptionKind, Mode, Strategy
from tandem.connector.routing import ChoiceRules, ModeRules, choose_suppliers, decide_mode
from tests.unit.builders import MODE_TAGS, facts, offer, terms

RULES = ModeRules(default_mode=Mode.STOCK, tag_modes=MODE_TAGS)


def test_line_property_beats_every_tag() -> None:
    decision = decide_mode(
        facts(
            properties={"_fulfilment": "Drop-Ship"},
            order_tags=("b2b",),
            customer_tags=("from-stock",),
        ),
        RULES,
        terms("acme", mode=Mode.BACK_TO_BACK),
    )
    assert decision.mode is Mode.DROP_SHIP
    assert decision.source == "line property _fulfilment=Drop-Ship"


@pytest.mark.parametrize(
    ("line_facts", "mode", "source"),
    [
        (
            facts(order_tags=("gift", "DropShip"), customer_tags=("b2b",)),
            Mode.DROP_SHIP,
            "order tag DropShip",
        ),
        (
            facts(customer_tags=("b2b",), product_tags=("dropship",)),
            Mode.BACK_TO_BACK,
            "customer tag b2b",
        ),
        (facts(product_tags=("from-stock",)), Mode.STOCK, "product tag from-stock"),
        (facts(product_mode="drop_ship"), Mode.DROP_SHIP, "product metafield drop_ship"),
        (facts(), Mode.BACK_TO_BACK, "default of supplier acme"),
    ],
)
def test_precedence_order_customer_product_supplier(
    line_facts: object, mode: Mode, source: str
) -> None:
    decision = decide_mode(line_facts, RULES, terms("acme"))  # type: ignore[arg-type]
    assert (decision.mode, decision.source) == (mode, source)


def test_global_default_when_no_supplier_lists_the_sku() -> None:
    assert decide_mode(facts(), RULES, None).mode is Mode.STOCK


def test_a_value_that_is_not_a_mode_is_passed_over_and_reported() -> None:
    unknown = decide_mode(facts(properties={"_fulfilment": "teleport"}), RULES, None)
    assert (unknown.mode, unknown.source) == (Mode.STOCK, "global default")
    assert unknown.unreadable == (
        "line property _fulfilment='teleport' is not a fulfilment mode"
        " (stock, back_to_back, drop_ship)"
    )
    assert decide_mode(facts(properties={"_fulfilment": "b2b"}), RULES, None).unreadable is None


SUPPLIERS = {
    "acme": terms("acme", priority=1, fee="5"),
    "beta": terms("beta", priority=2),
    "gamma": terms("gamma", priority=3),
}


def choose(
    offers: list,
    units: int,
    strategy: Strategy = Strategy.PREFERRED,
    mode: Mode = Mode.BACK_TO_BACK,
    suppliers: dict | None = None,
    **kw: object,
):
    stock = {o.id: o.available_units() for o in offers}
    return choose_suppliers(
        "SKU-1",
        units,
        mode,
        offers,
        suppliers or SUPPLIERS,
        ChoiceRules(strategy=strategy, currency="USD", exchange_rates={"EUR": Decimal("1.10")}),
        stock,
        **kw,  # type: ignore[arg-type]
    )


def picked(choice) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [(p.offer.supplier_id, p.units) for p in choice.picks]


def test_preferred_takes_the_highest_priority_supplier() -> None:
    choice = choose([offer("beta", cost="1"), offer("acme", cost="9")], 3)
    assert picked(choice) == [("acme", 3)]


def test_cheapest_counts_the_drop_ship_fee_per_line() -> None:
    offers = [offer("acme", cost="10"), offer("beta", cost="12")]
    assert picked(
        choose(
            offers,
            1,
            Strategy.CHEAPEST,
            Mode.DROP_SHIP,
            suppliers={
                "acme": terms("acme", 1, Mode.DROP_SHIP, fee="5"),
                "beta": terms("beta", 2, Mode.DROP_SHIP),
            },
        )
    ) == [("beta", 1)]
    # Ten units: the fee matters less than the unit cost.
    assert picked(
        choose(
            offers,
            10,
            Strategy.CHEAPEST,
            Mode.DROP_SHIP,
            suppliers={
                "acme": terms("acme", 1, Mode.DROP_SHIP, fee="5"),
                "beta": terms("beta", 2, Mode.DROP_SHIP),
            },
        )
    ) == [("acme", 10)]


def test_cheapest_compares_per_store_unit_and_converts_currencies() -> None:
    pack = offer("acme", cost="50", pack=6)  # 8.33 a unit
    single = offer("beta", cost="8", currency="EUR")  # 8.80 in USD
    assert picked(choose([single, pack], 6, Strategy.CHEAPEST)) == [("acme", 6)]


def test_fastest_prefers_short_lead_times_and_unknown_last() -> None:
    offers = [offer("acme", lead=None), offer("beta", lead=7), offer("gamma", lead=2)]
    assert picked(choose(offers, 1, Strategy.FASTEST)) == [("gamma", 1)]


def test_in_stock_first_skips_a_preferred_supplier_without_enough_stock() -> None:
    offers = [offer("acme", stock=1), offer("beta", stock=None), offer("gamma", stock=50)]
    assert picked(choose(offers, 5, Strategy.IN_STOCK_FIRST)) == [("gamma", 5)]


def test_falls_back_to_the_next_supplier_when_the_first_is_out_of_stock() -> None:
    offers = [offer("acme", stock=0), offer("beta", stock=10)]
    assert picked(choose(offers, 4)) == [("beta", 4)]


def test_splits_a_line_when_no_supplier_covers_it_alone() -> None:
    offers = [offer("acme", stock=4), offer("beta", stock=3), offer("gamma", stock=1)]
    choice = choose(offers, 6)
    assert picked(choice) == [("acme", 4), ("beta", 2)]
    assert choice.missing == 0 and choice.problem is None


def test_a_single_supplier_covering_it_alone_beats_a_split() -> None:
    offers = [offer("acme", stock=4), offer("beta", stock=10)]
    assert picked(choose(offers, 6)) == [("beta", 6)]


def test_partial_cover_reports_no_stock_with_the_figures() -> None:
    choice = choose([offer("acme", stock=2), offer("beta", stock=1)], 5)
    assert picked(choice) == [("acme", 2), ("beta", 1)]
    assert choice.missing == 2
    assert choice.problem == (
        ExceptionKind.NO_STOCK,
        "2 of 5 × SKU-1 not available from any supplier (in stock: acme 2, beta 1)",
    )


def test_drop_ship_needs_whole_packs_and_the_minimum() -> None:
    ds = {"acme": terms("acme", 1, Mode.DROP_SHIP), "beta": terms("beta", 2, Mode.DROP_SHIP)}
    offers = [offer("acme", pack=6), offer("beta", pack=1, minimum=3)]
    assert picked(choose(offers, 4, mode=Mode.DROP_SHIP, suppliers=ds)) == [("beta", 4)]
    assert picked(choose(offers, 12, mode=Mode.DROP_SHIP, suppliers=ds)) == [("acme", 12)]
    choice = choose(offers, 2, mode=Mode.DROP_SHIP, suppliers=ds)
    assert choice.picks == () and choice.problem is not None
    assert choice.problem[0] is ExceptionKind.PACK_SIZE


def test_back_to_back_rounds_packs_on_the_po_instead() -> None:
    assert picked(choose([offer("acme", pack=6)], 4)) == [("acme", 4)]


@pytest.mark.parametrize(
    ("offers", "suppliers", "kind"),
    [
        ([], SUPPLIERS, ExceptionKind.UNMAPPED_SKU),
        ([offer("acme")], {"acme": terms("acme", active=False)}, ExceptionKind.SUPPLIER_INACTIVE),
        (
            [offer("acme")],
            {"acme": terms("acme", mode=Mode.DROP_SHIP)},
            ExceptionKind.NO_SUPPLIER_FOR_MODE,
        ),
    ],
)
def test_reasons_when_nobody_can_serve(offers: list, suppliers: dict, kind: ExceptionKind) -> None:
    choice = choose(offers, 1, suppliers=suppliers)
    assert choice.picks == () and choice.missing == 1
    assert choice.problem is not None and choice.problem[0] is kind


def test_a_chosen_supplier_overrides_the_strategy() -> None:
    offers = [offer("acme"), offer("beta")]
    assert picked(choose(offers, 2, only_supplier="beta")) == [("beta", 2)]
