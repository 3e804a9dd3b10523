"""Text a database refuses: a NUL character (PostgreSQL) or a lone surrogate (any driver) in
an order or a catalogue row is cleaned at the boundary, so the order or row is stored and the
good ones beside it too; a database error never prints a statement's parameters (issue 11).
Runs on SQLite and, with TANDEM_TEST_POSTGRES_URL, on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tandem.adapters.file.storefront import store_orders_file
from tandem.connector.catalogue import import_catalogue
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.text import clean_text
from tests.store.helpers import T0, config
from tests.store.test_catalogue_import import stored


def raw_order(number: int, name: str, title: str, customer: str) -> dict[str, object]:
    return {
        "id": number,
        "name": name,
        "created_at": "2026-11-20T09:00:00Z",
        "financial_status": "paid",
        "customer": {"name": customer, "email": "ada@example.com"},
        "line_items": [{"id": number * 10, "sku": "A", "title": title, "quantity": 1}],
    }


def test_clean_text_drops_nul_and_replaces_lone_surrogates() -> None:
    assert clean_text("a\x00b") == "ab"
    assert clean_text("x\ud800y\udfffz") == "x\ufffdy\ufffdz"
    assert clean_text("Zoë 😀") == "Zoë 😀"
    clean_text("\ud800").encode("utf-8")


def test_orders_with_nul_and_lone_surrogates_are_stored_with_the_good_one(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "orders.json"
    path.write_text(
        json.dumps(
            [
                raw_order(1, "#10\u0000001", "Spade\u0000", "Ada\u0000 Lovelace"),
                raw_order(2, "#1002", "Rake", "Grace Hopper"),
                raw_order(3, "#1003", "Hoe \ud800", "Bad \udfff Surrogate"),
            ]
        )
    )
    report, problems = store_orders_file(db, config(), path, T0)
    assert problems == []
    assert report.created == 3
    with db.read() as conn:
        names = dict(conn.execute(select(t.orders.c.id, t.orders.c.name)).all())
        titles = sorted(conn.execute(select(t.order_lines.c.title)).scalars())
    assert sorted(names.values()) == ["#10001", "#1002", "#1003"]
    assert titles == ["Hoe \ufffd", "Rake", "Spade"]


def test_a_catalogue_row_with_nul_is_imported_with_the_others(db: Database, tmp_path: Path) -> None:
    csv_path = tmp_path / "acme.csv"
    csv_path.write_bytes(b"sku,supplier_sku,name,cost\n1,A,Spa\x00de,1\n2,B,Rake,2\n")
    report = import_catalogue(db, config(), "acme", csv_path, now=T0)
    assert report.problems == [] and report.rows_imported == 2
    assert stored(db)["A"][1] == "Spade"
    json_path = tmp_path / "acme.jsonl"
    json_path.write_text(
        '{"supplier_sku": "A", "name": "Spade \\ud800", "cost": 1}\n'
        '{"supplier_sku": "B", "name": "R\\u0000ake", "cost": 2}\n'
    )
    report = import_catalogue(db, config(), "acme", json_path, now=T0)
    assert report.problems == [] and report.rows_imported == 2
    assert stored(db)["A"][1] == "Spade \ufffd" and stored(db)["B"][1] == "Rake"


def test_database_errors_do_not_show_parameters(db: Database) -> None:
    with pytest.raises(DBAPIError) as caught, db.write() as conn:
        conn.execute(text("SELECT * FROM no_such_table WHERE x = :x"), {"x": "ada@example.com"})
    assert "ada@example.com" not in str(caught.value)
