"""Planner throughput: 10,000 orders × 3 lines against a 500,000-row catalogue, on SQLite.

Generates three supplier catalogues (back-to-back, drop-ship, a back-to-back fallback) through
the real catalogue importer, stores the orders through the real ingest, then plans, persists and
releases them, and plans again (which must do nothing). Prints seconds, orders/s, the
statements the plan sent and peak RSS; with --runs, the median and min–max of that many runs.

    .venv/bin/python benchmarks/planner.py [--orders N] [--catalogue ROWS] [--runs N]
        [--database-url URL]   (PostgreSQL: its schema is reset for each run)
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.catalogue_import import reset_postgres  # noqa: E402
from tandem.connector.catalogue import import_catalogue  # noqa: E402
from tandem.connector.configuration.model import TandemConfig  # noqa: E402
from tandem.connector.domain import Address, Customer, Order, OrderLine  # noqa: E402
from tandem.connector.services.ingest import ingest_orders  # noqa: E402
from tandem.connector.services.plan import run_planner  # noqa: E402
from tandem.connector.store import open_database  # noqa: E402
from tandem.connector.store import schema as t  # noqa: E402

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


def hot_skus(sku_space: int, rng: random.Random) -> list[int]:
    """The best sellers: 2,000 products that most orders repeat."""
    return [rng.randrange(sku_space) for _ in range(2000)]


def make_orders(
    count: int, lines: int, sku_space: int, rng: random.Random, hot: list[int] | None = None
) -> list[Order]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    hot = hot if hot is not None else hot_skus(sku_space, rng)
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


def config_for(url: str, paths: dict[str, Path]) -> TandemConfig:
    """The benchmark's configuration: its three suppliers, their catalogues at `paths`."""
    return TandemConfig.model_validate(
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


def run_once(args: argparse.Namespace, folder: Path) -> dict[str, float]:
    """One whole run in a fresh database: catalogues, orders, plan, full replan."""
    rng = random.Random(args.seed)
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    if args.database_url:
        reset_postgres(url)
    paths = write_catalogues(folder, args.catalogue, rng)
    config = config_for(url, paths)
    db = open_database(url)
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)

    began = time.perf_counter()
    for sid, *_ in SUPPLIERS:
        import_catalogue(db, config, sid, paths[sid], now=now)
    catalogue_s = time.perf_counter() - began

    orders = make_orders(args.orders, args.lines, args.catalogue * 4 // 5, rng)
    began = time.perf_counter()
    with db.write() as conn:
        ingest_orders(conn, "bench", orders, ["paid"], now)
    ingest_s = time.perf_counter() - began

    statements = [0]
    event.listen(
        db.engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1)
    )
    began = time.perf_counter()
    summary = run_planner(db, config, now)
    plan_s = time.perf_counter() - began
    plan_statements = statements[0]

    began = time.perf_counter()
    again = run_planner(db, config, now, everything=True)
    replan_s = time.perf_counter() - began
    if again.allocated_units + again.linked_units:
        raise SystemExit(
            f"the full replan added {again.allocated_units + again.linked_units} units"
        )

    with db.read() as conn:
        counts = {
            name: conn.execute(select(func.count()).select_from(table)).scalar() or 0
            for name, table in (
                ("offers", t.offers),
                ("pos", t.purchase_orders),
                ("allocations", t.allocations),
                ("exceptions", t.exceptions),
            )
        }
    db.dispose()
    n = args.orders
    return {
        "catalogue_s": catalogue_s,
        "ingest_s": ingest_s,
        "plan_s": plan_s,
        "plan_rate": n / plan_s,
        "both_rate": n / (ingest_s + plan_s),
        "plan_statements": plan_statements,
        "replan_s": replan_s,
        "lines": summary.lines,
        "released": len(summary.released),
        **counts,
    }


def spread(runs: list[dict[str, float]], key: str, unit: str, digits: int = 2) -> str:
    values = [r[key] for r in runs]
    return (
        f"median {statistics.median(values):,.{digits}f} {unit}"
        f" (min {min(values):,.{digits}f} – max {max(values):,.{digits}f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--catalogue", type=int, default=500_000)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL: its schema is reset for each run"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=1, help="whole runs, each in a fresh database")
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(run_once(args, Path(tmp)))
    first, n = runs[0], args.orders
    where = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{args.runs} run(s), each in a fresh {where} database")
    print(f"catalogue: {first['offers']:,} offers imported in {spread(runs, 'catalogue_s', 's')}")
    print(f"orders: {n:,} × {args.lines} lines stored in {spread(runs, 'ingest_s', 's')}")
    print(
        f"plan + persist + release: {spread(runs, 'plan_s', 's')}"
        f" -> {spread(runs, 'plan_rate', 'orders/s', 0)}"
        f" ({first['lines']:,} lines, {first['allocations']:,} allocations, {first['pos']:,} POs,"
        f" {first['released']:,} released, {first['exceptions']:,} exceptions;"
        f" {spread(runs, 'plan_statements', 'statements', 0)})"
    )
    print(f"ingest + plan: {spread(runs, 'both_rate', 'orders/s', 0)}")
    print(f"full replan of every line: {spread(runs, 'replan_s', 's')}, 0 units added (must be 0)")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
