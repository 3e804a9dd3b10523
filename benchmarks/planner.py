"""Planner throughput: 10,000 orders × 3 lines against a 500,000-row catalogue, on SQLite.

Generates three supplier catalogues (back-to-back, drop-ship, a back-to-back fallback) through
the real catalogue importer, stores the orders through the real ingest, then plans, persists and
releases them, and plans again (which must do nothing). Prints seconds, orders/s and peak RSS.

    .venv/bin/python benchmarks/planner.py [--orders N] [--catalogue ROWS] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from tandem.connector.catalogue import import_catalogue
from tandem.connector.configuration.model import TandemConfig
from tandem.connector.domain import Address, Customer, Order, OrderLine
from tandem.connector.services.ingest import ingest_orders
from tandem.connector.services.plan import run_planner
from tandem.connector.store import open_database
from tandem.connector.store import schema as t

SUPPLIERS = [
    ("acme", "back_to_back", 1, {"min_order_value": 500}),
    ("bloom", "drop_ship", 1, {"immediate": True}),
    ("north", "back_to_back", 2, {"immediate": True}),
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_catalogues(folder: Path, rows: int, rng: random.Random) -> dict[str, Path]:
    """Acme and Bloom each list their own half of the SKUs; Northwind re-lists a fifth of
    Acme's, so some lines fall back or split."""
    per_supplier = {"acme": rows * 2 // 5, "bloom": rows * 2 // 5, "north": rows // 5}
    paths = {}
    for supplier, count in per_supplier.items():
        path = folder / f"{supplier}.csv"
        with path.open("w") as out:
            out.write("sku,supplier_sku,name,cost,stock\n")
            for i in range(count):
                n = i if supplier != "bloom" else per_supplier["acme"] + i
                if supplier == "north":
                    n = i * 2
                stock = "" if i % 3 else str(rng.randint(0, 40))
                out.write(
                    f"{n:07d},{supplier[:2].upper()}-{i:07d},Item {n} by {supplier},"
                    f"{rng.randint(100, 9999) / 100:.2f},{stock}\n"
                )
        paths[supplier] = path
    return paths


def pick(rng: random.Random, hot: list[int], sku_space: int) -> int:
    """Six lines in ten order one of the best sellers; the rest anything in the range."""
    return rng.choice(hot) if rng.random() < 0.6 else rng.randrange(sku_space)


def make_orders(count: int, lines: int, sku_space: int, rng: random.Random) -> list[Order]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    hot = [rng.randrange(sku_space) for _ in range(2000)]  # popular products repeat
    orders = []
    for n in range(count):
        created = start + timedelta(seconds=n * 7)
        orders.append(
            Order(
                id=str(10_000_000 + n),
                name=f"#{100000 + n}",
                created_at=created,
                updated_at=created,
                financial_status="paid",
                customer=Customer(id=f"c{n}", name=f"Customer {n}"),
                shipping_address=Address(
                    name=f"Customer {n}",
                    address1=f"{n} Long Road",
                    city="Leeds",
                    zip="LS1 1AA",
                    country_code="GB",
                ),
                lines=tuple(
                    OrderLine(
                        id=f"{n}-{i}",
                        sku=f"{pick(rng, hot, sku_space):07d}",
                        title="item",
                        quantity=rng.randint(1, 4),
                        price=Decimal("19.99"),
                    )
                    for i in range(lines)
                ),
            )
        )
    return orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--catalogue", type=int, default=500_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
        paths = write_catalogues(folder, args.catalogue, rng)
        config = TandemConfig.model_validate(
            {
                "database_url": url,
                "rules": {"default_mode": "stock", "supplier_strategy": "in_stock_first"},
                "suppliers": [
                    {
                        "id": sid,
                        "name": sid.title(),
                        "mode": mode,
                        "priority": priority,
                        "catalogue": {"path": str(paths[sid])},
                        "release": release,
                    }
                    for sid, mode, priority, release in SUPPLIERS
                ],
            }
        )
        db = open_database(url)
        now = datetime(2026, 11, 22, 12, tzinfo=UTC)

        began = time.perf_counter()
        for sid, *_ in SUPPLIERS:
            import_catalogue(db, config, sid, paths[sid], now=now)
        catalogue_s = time.perf_counter() - began
        with db.read() as conn:
            offers = conn.execute(select(func.count()).select_from(t.offers)).scalar()

        orders = make_orders(args.orders, args.lines, args.catalogue * 4 // 5, rng)
        began = time.perf_counter()
        with db.write() as conn:
            ingest_orders(conn, "bench", orders, ["paid"], now)
        ingest_s = time.perf_counter() - began

        began = time.perf_counter()
        summary = run_planner(db, config, now)
        plan_s = time.perf_counter() - began

        began = time.perf_counter()
        again = run_planner(db, config, now, everything=True)
        replan_s = time.perf_counter() - began

        with db.read() as conn:
            pos = conn.execute(select(func.count()).select_from(t.purchase_orders)).scalar()
            allocations = conn.execute(select(func.count()).select_from(t.allocations)).scalar()
            problems = conn.execute(select(func.count()).select_from(t.exceptions)).scalar()
        db.dispose()

    n = args.orders
    print(f"catalogue: {offers:,} offers imported in {catalogue_s:.2f} s")
    print(f"orders: {n:,} × {args.lines} lines stored in {ingest_s:.2f} s ({n / ingest_s:,.0f}/s)")
    print(
        f"plan + persist + release: {plan_s:.2f} s -> {n / plan_s:,.0f} orders/s"
        f" ({summary.lines:,} lines, {allocations:,} allocations, {pos:,} POs,"
        f" {len(summary.released):,} released, {problems:,} exceptions)"
    )
    print(f"ingest + plan: {n / (ingest_s + plan_s):,.0f} orders/s")
    print(
        f"full replan of every line: {replan_s:.2f} s, "
        f"{again.allocated_units + again.linked_units} units added (must be 0)"
    )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
