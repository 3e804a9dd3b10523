"""The file store platform: Shopify-shaped or plain JSON orders, bad ones named, good ones kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.adapters.file import read_orders_file
from tandem.connector.errors import InputError


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_reads_shopifys_canonical_orders_create_payload(shared: Path) -> None:
    parsed = read_orders_file(shared / "shopify" / "recorded" / "webhook__orders-create.json")
    assert parsed.problems == []
    [order] = parsed.orders
    assert order.id == "820982911946154508" and order.name == "#9999"
    assert order.financial_status == "voided" and order.cancelled_at is not None
    assert order.tags == ()
    assert order.customer.name == "John Smith"
    assert order.shipping_address is not None
    assert order.shipping_address.name == "Steve Shipper"
    assert order.shipping_address.city == "Shippington"
    assert order.shipping_address.province == "Kentucky"
    assert order.shipping_address.province_code == "KY"
    assert [(line.id, line.sku, line.quantity) for line in order.lines] == [
        ("866550311766439020", "IPOD2008PINK", 1),
        ("141249953214522974", "IPOD2008PINK", 1),
    ]


def test_bad_orders_are_named_and_the_good_ones_kept(tmp_path: Path) -> None:
    good = {
        "id": 1,
        "name": "#1001",
        "created_at": "2026-11-20T09:00:00Z",
        "line_items": [
            {
                "id": 11,
                "sku": "007",
                "quantity": 2,
                "properties": [{"name": "_fulfilment", "value": "drop_ship"}],
            }
        ],
    }
    path = write(
        tmp_path,
        {
            "orders": [
                good,
                {"id": 2, "name": "#1002", "created_at": "yesterday", "line_items": []},
                {
                    "id": 3,
                    "name": "#1003",
                    "created_at": "2026-11-20T09:00:00Z",
                    "line_items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": "two"}],
                },
                {"name": "#1004", "created_at": "2026-11-20T09:00:00Z", "line_items": []},
                good,
            ]
        },
    )
    parsed = read_orders_file(path)
    assert [o.name for o in parsed.orders] == ["#1001"]
    assert parsed.orders[0].lines[0].sku == "007"  # SKUs stay text
    assert parsed.orders[0].lines[0].properties == {"_fulfilment": "drop_ship"}
    assert parsed.problems == [
        "order 2 (#1002): created_at 'yesterday' is not an ISO 8601 time",
        "order 3 (#1003): line_items[1]: quantity must be a whole number, not 'two'",
        "order 4 (#1004): id: missing",
        "order 5 (#1001): the same order id as order 1; skipped",
    ]


def test_a_file_that_is_not_json_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '{"orders": [\n  {"id": 1,}\n]}')
    with pytest.raises(InputError) as caught:
        read_orders_file(path)
    assert str(caught.value).startswith(f"{path}:2:12: not valid JSON")


def test_current_quantity_wins_over_the_original_quantity(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {
                "id": 1,
                "created_at": "2026-11-20T09:00:00+01:00",
                "line_items": [{"id": 5, "sku": "A", "quantity": 3, "current_quantity": 1}],
            }
        ],
    )
    [order] = read_orders_file(path).orders
    assert order.lines[0].quantity == 1 and order.name == "1"
