"""Builders for store-level tests: orders, configurations and catalogue rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import Address, Customer, Order, OrderLine
from tandem.connector.services.ingest import IngestReport, ingest_orders
from tandem.connector.services.suppliers import sync_suppliers
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.conftest import make_config

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PAID = ["paid"]


def address(name: str = "Ada Lovelace", city: str = "London") -> Address:
    return Address(name=name, address1="1 High Street", city=city, zip="N1 1AA", country_code="GB")


def order(
    number: int,
    *lines: tuple[str, int] | tuple[str, int, dict[str, str]],
    minutes: int = 0,
    tags: tuple[str, ...] = (),
    status: str = "paid",
    cancelled: bool = False,
    ship_to: Address | None = None,
    version: int = 0,
) -> Order:
    created = T0 + timedelta(minutes=minutes or number)
    return Order(
        id=str(number),
        name=f"#{number}",
        created_at=created,
        updated_at=created + timedelta(minutes=version),
        financial_status=status,
        cancelled_at=created + timedelta(minutes=version) if cancelled else None,
        tags=tags,
        customer=Customer(id=f"c{number}", name=f"Customer {number}"),
        shipping_address=ship_to or address(f"Customer {number}"),
        lines=tuple(
            OrderLine(
                id=f"{number}-{i}",
                sku=spec[0],
                title=spec[0],
                quantity=spec[1],
                properties=spec[2] if len(spec) > 2 else {},  # type: ignore[misc]
            )
            for i, spec in enumerate(lines, start=1)
        ),
    )


def config(**overrides: Any) -> TandemConfig:
    """Acme (back-to-back, also drop-ships) and Bloom (drop-ship), both releasing at once."""
    data: dict[str, Any] = {
        "po_number_prefix": "PO-",
        "warehouse": {"name": "Main warehouse", "address": {"city": "Bristol"}},
        "rules": {"default_mode": "stock"},
        "suppliers": [
            {
                "id": "acme",
                "name": "Acme",
                "mode": "back_to_back",
                "modes": ["back_to_back", "drop_ship"],
                "priority": 1,
                "release": {"immediate": True},
            },
            {
                "id": "bloom",
                "name": "Bloom",
                "mode": "drop_ship",
                "priority": 1,
                "release": {"immediate": True},
            },
            {
                "id": "north",
                "name": "Northwind",
                "mode": "back_to_back",
                "priority": 2,
                "release": {"immediate": True},
            },
        ],
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return make_config(data)


def with_release(cfg: TandemConfig, supplier: str, **release: Any) -> TandemConfig:
    data = cfg.model_dump(by_alias=True, mode="python")
    for s in data["suppliers"]:
        if s["id"] == supplier:
            s["release"] = release
    return make_config(data)


def offers(
    db: Database, cfg: TandemConfig, supplier: str, *rows: tuple[Any, ...], now: datetime = T0
) -> None:
    """Replace a supplier's catalogue: rows of (sku, cost, stock=None, pack=1, minimum=1)."""
    with db.write() as conn:
        sync_suppliers(conn, cfg, now)
        conn.execute(delete(t.offers).where(t.offers.c.supplier_id == supplier))
        if rows:
            conn.execute(
                t.offers.insert(),
                [
                    {
                        "supplier_id": supplier,
                        "sku": row[0],
                        "supplier_sku": f"{supplier.upper()}-{row[0]}",
                        "name": f"{row[0]} by {supplier}",
                        "cost": Decimal(str(row[1])),
                        "currency": "USD",
                        "stock": row[2] if len(row) > 2 else None,
                        "lead_time_days": None,
                        "pack_size": row[3] if len(row) > 3 else 1,
                        "min_quantity": row[4] if len(row) > 4 else 1,
                    }
                    for row in rows
                ],
            )
        conn.execute(
            t.suppliers.update()
            .where(t.suppliers.c.id == supplier)
            .values(catalogue_switched_at=now)
        )


def ingest(db: Database, *orders: Order, now: datetime = T0) -> IngestReport:
    with db.write() as conn:
        return ingest_orders(conn, "shop", list(orders), PAID, now)


def holdings(db: Database) -> dict[str, int]:
    """Units held per order line (external id), across all allocations."""
    a, ol = t.allocations, t.order_lines
    with db.read() as conn:
        rows = conn.execute(
            select(ol.c.external_id, a.c.quantity).join(a, a.c.order_line_id == ol.c.id)
        ).all()
    result: dict[str, int] = {}
    for ref, units in rows:
        result[ref] = result.get(ref, 0) + units
    return result


def shops_served(db: Database) -> dict[str, set[str]]:
    """PO number -> the shops of the orders it serves."""
    a, pl, po, ol, o = t.allocations, t.po_lines, t.purchase_orders, t.order_lines, t.orders
    with db.read() as conn:
        rows = conn.execute(
            select(po.c.number, o.c.shop)
            .join(pl, pl.c.po_id == po.c.id)
            .join(a, a.c.po_line_id == pl.c.id)
            .join(ol, ol.c.id == a.c.order_line_id)
            .join(o, o.c.id == ol.c.order_id)
        ).all()
    found: dict[str, set[str]] = {}
    for number, shop in rows:
        found.setdefault(number, set()).add(shop)
    return found
