"""Orders at the edge of what Tandem accepts are stored whole; beyond it they are refused by name.

The domain's bounds must match the state store's columns on SQLite and PostgreSQL alike, or a
single odd order would fail the batch insert and take the good orders beside it down too.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from tandem.adapters.file import read_orders_file
from tandem.connector.domain import MAX_LINE_QUANTITY, Customer, Order, OrderLine
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.helpers import PAID, T0, ingest_orders


def test_an_order_at_every_bound_is_stored_exactly(db: Database) -> None:
    biggest = Order(
        id="9" * 255,
        name="#" + "N" * 99,
        created_at=T0,
        updated_at=T0,
        financial_status="p" * 40,
        currency="eur",
        customer=Customer(name="Ada"),
        lines=(
            OrderLine(
                id="L" * 255,
                sku="S" * 255,
                title="T" * 2000,
                quantity=MAX_LINE_QUANTITY,
                price=Decimal("999999999.123456"),
                product_mode="m" * 100,
                variant_id="V" * 255,
                product_id="P" * 255,
            ),
        ),
    )
    with db.write() as conn:
        ingest_orders(conn, "shop", [biggest], PAID, T0)
    with db.read() as conn:
        row = conn.execute(select(t.order_lines)).one()
    assert row.sku == "S" * 255 and row.quantity == MAX_LINE_QUANTITY
    assert row.price == Decimal("999999999.123456")


def test_an_order_beyond_the_bounds_is_named_and_the_good_ones_are_stored(
    db: Database, tmp_path: Path
) -> None:
    def raw(number: int, **changes: object) -> dict[str, object]:
        line = {"id": f"{number}-1", "sku": "SPADE", "quantity": 1, "price": "9.99"}
        line.update(changes.pop("line", {}))  # type: ignore[arg-type]
        return {
            "id": number,
            "name": f"#{number}",
            "created_at": "2026-11-20T09:00:00Z",
            "financial_status": "paid",
            "line_items": [line],
            **changes,
        }

    path = tmp_path / "orders.json"
    orders = [
        raw(1),
        raw(2, line={"quantity": 10**20}),
        raw(3, name="#" + "x" * 150),
        raw(4, currency="EURO"),
        raw(5, line={"price": "1.0000001"}),
        raw(6),
    ]
    path.write_text(json.dumps(orders))
    parsed = read_orders_file(path)
    assert [o.name for o in parsed.orders] == ["#1", "#6"]
    assert parsed.problems == [
        "order 2 (#2): line_items[0]: quantity: Input should be less than or equal to 1000000",
        f"order 3 (#{'x' * 39}…): name: String should have at most 100 characters",
        "order 4 (#4): currency: String should match pattern '^[A-Za-z]{3}$'",
        "order 5 (#5): line_items[0]: price: Decimal input should have no more than 6 decimal "
        "places",
    ]
    with db.write() as conn:
        ingest_orders(conn, "shop", parsed.orders, PAID, T0)
    with db.read() as conn:
        assert conn.execute(select(t.orders.c.name).order_by(t.orders.c.id)).scalars().all() == [
            "#1",
            "#6",
        ]
