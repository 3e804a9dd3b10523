"""What an order says about its POs in the shop (status tag, `tandem.purchase_orders`
metafield) follows the POs, cancellation included."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.shopify_support import mutations, po_number, pos, tandem
from tests.standin import ShopifyStandin


def test_a_cancelled_po_shows_as_cancelled_on_the_order_it_served(
    shop: ShopifyStandin, config_file: Path
) -> None:
    order = shop.add_order([("SPADE", 2)], tags=["vip"])
    tandem("sync", "--config", str(config_file))
    [po] = pos(config_file)
    assert {po["number"], "tandem:released"} <= set(shop.order_tags(order))

    # Acme runs out, so cancelling leaves the order with no PO (an exception instead).
    (config_file.parent / "acme.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nSPADE,AC-1,Spade,10.00,0\n"
    )
    tandem("catalogue", "import", "--supplier", "acme", "--config", str(config_file))
    tandem("po", "cancel", po["number"], "--config", str(config_file))
    tandem("sync", "--config", str(config_file))

    tags = shop.order_tags(order)
    assert "tandem:cancelled" in tags
    assert "tandem:released" not in tags
    assert {"vip", po["number"]} <= set(tags)  # the merchant's tag and the PO's history stay
    field = shop.metafield(order, "tandem", "purchase_orders")
    assert field is not None
    [entry] = json.loads(field["value"])
    assert (entry["number"], entry["status"]) == (po["number"], "cancelled")


def test_a_cancelled_po_replaced_by_a_new_one_leaves_the_new_status(
    shop: ShopifyStandin, config_file: Path
) -> None:
    order = shop.add_order([("SPADE", 2)])
    tandem("sync", "--config", str(config_file))
    [first] = pos(config_file)
    tandem("po", "cancel", first["number"], "--config", str(config_file))
    tandem("sync", "--config", str(config_file))  # planned again: a new PO to Acme

    second = next(p for p in pos(config_file) if p["number"] != first["number"])
    assert second["status"] == "released"
    assert "tandem:released" in shop.order_tags(order)
    field = shop.metafield(order, "tandem", "purchase_orders")
    assert field is not None
    shown = {e["number"]: e["status"] for e in json.loads(field["value"])}
    assert shown[second["number"]] == "released"
    assert shown.get(first["number"], "cancelled") == "cancelled"


def test_an_order_cancelled_in_the_shop_after_its_po_went_out_shows_it_cancelled(
    shop: ShopifyStandin, config_file: Path
) -> None:
    kept = shop.add_order([("SPADE", 1)])
    cancelled = shop.add_order([("SPADE", 2)])
    tandem("sync", "--config", str(config_file))
    [po] = pos(config_file)  # one consolidated Acme PO serves both orders
    assert "tandem:released" in shop.order_tags(cancelled)

    shop.cancel_order(cancelled)
    tandem("sync", "--config", str(config_file))

    tags = shop.order_tags(cancelled)
    assert "tandem:cancelled" in tags and "tandem:released" not in tags
    field = shop.metafield(cancelled, "tandem", "purchase_orders")
    assert field is not None
    assert [(e["number"], e["status"], e["lines"]) for e in json.loads(field["value"])] == [
        (po["number"], "cancelled", [])
    ]
    # The other order's share of the PO did not change.
    field = shop.metafield(kept, "tandem", "purchase_orders")
    assert field is not None
    [entry] = json.loads(field["value"])
    assert entry["number"] == po["number"] and entry["lines"] == [{"sku": "SPADE", "quantity": 1}]


def test_a_lowered_quantity_after_release_shows_the_new_share(
    shop: ShopifyStandin, config_file: Path
) -> None:
    order = shop.add_order([("SPADE", 3)])
    tandem("sync", "--config", str(config_file))
    [po] = pos(config_file)
    [line] = shop.line_item_ids(order)
    shop.edit_line_quantity(order, line, 1)
    tandem("sync", "--config", str(config_file))

    field = shop.metafield(order, "tandem", "purchase_orders")
    assert field is not None
    [entry] = json.loads(field["value"])
    assert entry["number"] == po["number"] and entry["lines"] == [{"sku": "SPADE", "quantity": 1}]
    assert "tandem:released" in shop.order_tags(order)


def test_a_status_write_back_removes_only_the_stale_status_tag_the_order_has(
    shop: ShopifyStandin, config_file: Path
) -> None:
    order = shop.add_order([("ROSE", 1)], tags=["dropship", "tandem:cancelled-by-hand"])
    tandem("sync", "--config", str(config_file))
    assert "TagsRemove" not in mutations(shop)  # a new order has no stale status tag
    assert "tandem:released" in shop.order_tags(order)

    bloom = po_number(config_file, "bloom")
    tandem("po", "ship", bloom, "--config", str(config_file), "--tracking", "1Z-DROP")
    shop.clear_requests()
    tandem("sync", "--config", str(config_file))
    removed = [
        r.variables["tags"] for r in shop.accepted_requests if r.operation_name == "TagsRemove"
    ]
    assert removed == [["tandem:released"]]
    tags = shop.order_tags(order)
    assert "tandem:shipped" in tags and "tandem:released" not in tags
    assert {"dropship", "tandem:cancelled-by-hand", bloom} <= set(tags)  # not Tandem's to remove
