"""The fulfilment mode metafield is read on the ordered variant as well as on its product, and
the variant's wins: one variant of a product can be drop-shipped while the product's others
come back to back. Against the Shopify stand-in, through `tandem sync`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.adapters.shopify.mapper import map_line
from tests.integration.shopify_support import config_data, pos, tandem, write_config
from tests.standin import ShopifyStandin

TEXT = "single_line_text_field"


@pytest.fixture
def both_modes(tmp_path: Path, shop: ShopifyStandin, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared configuration, with Acme taking drop-ship POs as well as back-to-back ones."""
    monkeypatch.setenv("SHOPIFY_TOKEN", shop.token)
    data = config_data(shop, tmp_path)
    data["suppliers"][0]["modes"] = ["back_to_back", "drop_ship"]
    return write_config(tmp_path / "tandem.yaml", data)


def set_mode(shop: ShopifyStandin, owner_id: str, mode: str) -> None:
    shop.store.set_metafield(owner_id, "tandem", "fulfilment_mode", mode, TEXT)


def test_a_variants_mode_metafield_wins_over_its_products(
    shop: ShopifyStandin, both_modes: Path
) -> None:
    spade, fork = shop.variant("SPADE"), shop.variant("FORK")
    set_mode(shop, spade["product_id"], "back_to_back")
    set_mode(shop, spade["id"], "drop_ship")  # this variant ships from the supplier
    set_mode(shop, fork["product_id"], "drop_ship")  # no variant field: the product decides
    shop.add_order([("SPADE", 1), ("FORK", 1)])

    tandem("sync", "--config", str(both_modes))

    modes = {line["sku"]: p["mode"] for p in pos(both_modes) for line in p["lines"]}
    assert modes == {"SPADE": "drop_ship", "FORK": "drop_ship"}
    assert all(r.accepted for r in shop.requests)


def test_without_a_variant_field_the_products_mode_metafield_decides(
    shop: ShopifyStandin, both_modes: Path
) -> None:
    spade = shop.variant("SPADE")
    set_mode(shop, spade["product_id"], "drop_ship")
    shop.add_order([("SPADE", 1), ("FORK", 1)])

    tandem("sync", "--config", str(both_modes))

    modes = {line["sku"]: p["mode"] for p in pos(both_modes) for line in p["lines"]}
    assert modes == {"SPADE": "drop_ship", "FORK": "back_to_back"}  # FORK: the default


def test_a_blank_variant_field_leaves_the_product_to_decide() -> None:
    line = map_line(
        {
            "id": "gid://shopify/LineItem/1",
            "quantity": 1,
            "variant": {"id": "gid://shopify/ProductVariant/2", "modeField": {"value": " "}},
            "product": {"id": "gid://shopify/Product/3", "modeField": {"value": "drop_ship"}},
        }
    )
    assert line.product_mode == "drop_ship"
