"""`tandem shopify webhooks register` also defines the order metafield tandem.purchase_orders,
pinned so merchants see PO numbers, status and ETA on the order page; once per shop, whatever
the shop had before."""

from __future__ import annotations

from pathlib import Path

from tandem.adapters.shopify.definitions import DESCRIPTION, NAME
from tests.integration.shopify_support import mutations, tandem
from tests.standin import ShopifyStandin

URL = "https://tandem.example/webhooks/shopify"
LINE = "order metafield tandem.purchase_orders"


def register(config_file: Path) -> str:
    return tandem("shopify", "webhooks", "register", "--config", str(config_file), "--url", URL)


def ours(shop: ShopifyStandin) -> list[dict[str, object]]:
    return [
        d
        for d in shop.metafield_definitions()
        if (d["ownerType"], d["namespace"], d["key"]) == ("ORDER", "tandem", "purchase_orders")
    ]


def test_set_up_defines_it_pinned_once(shop: ShopifyStandin, config_file: Path) -> None:
    out = register(config_file)
    assert f"{LINE}: created, pinned on the order page" in out
    [definition] = ours(shop)
    assert definition["type"] == "json"
    assert definition["pinnedPosition"] == 1
    assert (definition["name"], definition["description"]) == (NAME, DESCRIPTION)
    assert "PO number" in DESCRIPTION and "ETA" in DESCRIPTION

    shop.clear_requests()
    again = register(config_file)
    assert f"{LINE}: kept, pinned on the order page" in again
    assert ours(shop) == [definition]
    assert mutations(shop) == []  # nothing written the second time


def test_a_definition_the_merchant_made_unpinned_is_pinned_and_otherwise_left_alone(
    shop: ShopifyStandin, config_file: Path
) -> None:
    shop.add_metafield_definition("ORDER", "tandem", "purchase_orders", "json", name="POs")
    shop.add_metafield_definition(
        "ORDER", "custom", "gift_note", "single_line_text_field", pinned=True
    )

    out = register(config_file)
    assert f"{LINE}: pinned, pinned on the order page" in out
    [definition] = ours(shop)
    assert (definition["name"], definition["pinnedPosition"]) == ("POs", 2)
    assert "MetafieldDefinitionCreate" not in mutations(shop)


def test_when_shopify_allows_no_more_pins_it_is_defined_unpinned_with_a_warning(
    shop: ShopifyStandin, config_file: Path
) -> None:
    for n in range(20):
        shop.add_metafield_definition("ORDER", "custom", f"field_{n}", "json", pinned=True)

    out = register(config_file)
    assert f"{LINE}: created, not pinned" in out
    assert "warning: Shopify allows no more pinned order metafields" in out
    assert "unpin one in Settings > Custom data > Orders" in out
    [definition] = ours(shop)
    assert definition["pinnedPosition"] is None


def test_a_definition_of_another_type_is_left_alone_and_reported(
    shop: ShopifyStandin, config_file: Path
) -> None:
    shop.add_metafield_definition("ORDER", "tandem", "purchase_orders", "single_line_text_field")

    out = register(config_file)
    assert f"{LINE}: kept, not pinned" in out
    assert "is defined as single_line_text_field, not json" in out
    assert [d["pinnedPosition"] for d in ours(shop)] == [None]
    assert [m for m in mutations(shop) if m.startswith("MetafieldDefinition")] == []


def test_defined_meanwhile_by_another_run_is_found_not_made_twice(
    shop: ShopifyStandin, config_file: Path
) -> None:
    # The first read says there is none; by the time Tandem creates it, another run has.
    shop.add_metafield_definition("ORDER", "tandem", "purchase_orders", "json")
    shop.answer_next("MetafieldDefinition", 200, {"data": {"metafieldDefinition": None}})

    out = register(config_file)
    assert f"{LINE}: pinned, pinned on the order page" in out
    assert len(ours(shop)) == 1
    assert ours(shop)[0]["pinnedPosition"] == 1
