"""Deeply nested JSON is refused with a clear error naming file and line, not a RecursionError;
the good orders, items and JSON Lines beside a nested one are kept (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.adapters.file import read_orders_file
from tandem.connector.catalogue.readers import read_table
from tandem.connector.catalogue.rows import check_rows
from tandem.connector.configuration.model import CatalogueConfig
from tandem.connector.errors import InputError
from tandem.connector.jsonsafe import JsonDepthError, depth, loads_bounded

DEEP = "[" * 100_000 + "]" * 100_000


def order(number: int, **extra: object) -> dict[str, object]:
    return {
        "id": number,
        "name": f"#{number}",
        "created_at": "2026-11-20T09:00:00Z",
        "line_items": [{"id": number * 10, "sku": "A", "quantity": 1}],
        **extra,
    }


def test_loads_bounded_refuses_deep_documents_with_their_place() -> None:
    with pytest.raises(JsonDepthError) as caught:
        loads_bounded('{"a":\n  ' + DEEP + "}")
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == "nested deeper than 64 levels (at line 2, column 66)"
    assert caught.value.line == 2


def test_loads_bounded_reads_what_json_reads() -> None:
    text = '{"a": [1, 2.5, "x[{\\"", {"b": null}], "c": "]]]]"}'
    assert loads_bounded(text) == json.loads(text)
    assert loads_bounded(text.encode()) == json.loads(text)
    assert loads_bounded("[" * 64 + "]" * 64) == json.loads("[" * 64 + "]" * 64)
    with pytest.raises(JsonDepthError):
        loads_bounded("[" * 65 + "]" * 65)
    assert loads_bounded('"[[[[[["', max_depth=2) == "[[[[[["
    assert loads_bounded("[1.5]", parse_float=str) == ["1.5"]
    with pytest.raises(json.JSONDecodeError):
        loads_bounded("[1,]")


def test_depth_walks_without_recursion() -> None:
    assert depth(1) == 0
    assert depth({"a": [1, {"b": []}]}) == 4
    value: list[object] = []
    for _ in range(100_000):
        value = [value]
    assert depth(value) == 100_001


def test_an_orders_file_nested_too_deep_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text(json.dumps([order(1)])[:-1] + ",\n" + DEEP + "]")
    with pytest.raises(InputError) as caught:
        read_orders_file(path)
    assert str(caught.value).startswith(f"{path}:2:")
    assert "nested deeper than" in str(caught.value)


def test_an_order_nested_too_deep_is_rejected_and_the_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    nested: object = "x"
    for _ in range(100):
        nested = {"n": nested}
    path.write_text(json.dumps({"orders": [order(1), order(2, note_attributes=nested), order(3)]}))
    parsed = read_orders_file(path)
    assert [o.name for o in parsed.orders] == ["#1", "#3"]
    assert parsed.problems == ["order 2 (#2): nested deeper than 64 levels"]


def table_of(path: Path) -> list[tuple[object, ...]]:
    table = read_table(path, CatalogueConfig())
    checked = check_rows(table, default_currency="EUR")
    return [*checked.offers.select("supplier_sku").rows(), *map(str, checked.problems)]


def test_a_nested_json_line_is_rejected_and_the_good_lines_kept(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(
        '{"supplier_sku": "A", "cost": 1}\n'
        '{"supplier_sku": "B", "cost": ' + DEEP + "}\n"
        '{"supplier_sku": "C", "cost": 2}\n'
    )
    assert table_of(path) == [
        ("A",),
        ("C",),
        "line 2: nested deeper than 64 levels (at column 94)",
    ]


def test_a_json_catalogue_nested_too_deep_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text('[\n{"supplier_sku": "A", "cost": 1},\n{"supplier_sku": ' + DEEP + "}\n]")
    with pytest.raises(InputError) as caught:
        read_table(path, CatalogueConfig())
    assert str(caught.value).startswith(f"{path}: line 3: nested deeper than")


def test_a_json_catalogue_item_nested_deep_is_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    nested: object = 1
    for _ in range(100):
        nested = [nested]
    items = [{"supplier_sku": "A", "cost": 1}, {"supplier_sku": "B", "cost": nested}]
    path.write_text(json.dumps(items))
    assert table_of(path) == [("A",), "item 2: nested deeper than 64 levels"]
