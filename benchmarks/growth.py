"""Planner work against history: 100 new orders planned in an empty store and in one holding
100,000 (and, with --big, 1,000,000) fully planned past orders.

Each store gets the same three supplier catalogues (through the real importer); the past orders
are written in bulk, as Tandem would have left them: planned, on POs released before today's
catalogues were imported, received or shipped, their lines fulfilled. Then, `--runs` times:
100 new orders (the planner benchmark's mix, best sellers repeating the past's) are ingested
and planned, and the planner runs once more with nothing to do. Prints, per store, the median
and min–max seconds and statements of both, and their ratio to the empty store's: the work
should follow what changed, not how much history there is.

    .venv/bin/python benchmarks/growth.py [--past N ...] [--big] [--runs 3] [--database-url URL]

With --database-url (PostgreSQL) that database's schema is reset for each store.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.catalogue_import import reset_postgres  # noqa: E402
from benchmarks.planner import (  # noqa: E402
    SUPPLIERS,
    config_for,
    hot_skus,
    make_orders,
    write_catalogues,
)
from tandem.connector.catalogue import import_catalogue  # noqa: E402
from tandem.connector.services.ingest import ingest_orders  # noqa: E402
from tandem.connector.services.plan import run_planner  # noqa: E402
from tandem.connector.store import Database, open_database  # noqa: E402
from tandem.connector.store import schema as t  # noqa: E402
from tandem.connector.store.bulk import insert_rows  # noqa: E402

LINES = 3
TABLES = ("orders", "order_lines", "purchase_orders", "po_lines", "allocations", "po_orders")
BATCH_ORDERS = 20_000  # past orders written per transaction
PER_B2B_PO = 25  # past orders on one consolidated back-to-back PO
TODAY = datetime(2026, 11, 22, 12, tzinfo=UTC)


@dataclass
class Figures:
    plan_s: list[float] = field(default_factory=list)
    plan_statements: list[int] = field(default_factory=list)
    idle_s: list[float] = field(default_factory=list)
    idle_statements: list[int] = field(default_factory=list)


class StatementCount:
    """Statements sent to the database while counting (an engine event listener)."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._one)

    def _one(self, *_: Any) -> None:
        self.count += 1


def past_batches(
    count: int, sku_space: int, acme_skus: int, hot: list[int], rng: random.Random
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Rows of `count` past orders, planned and done, `BATCH_ORDERS` at a time. SKUs below
    `acme_skus` are Acme's (back-to-back, consolidated POs, received); the rest Bloom's
    (drop-ship, one PO per order, shipped). Ids are given, from 1."""
    start = TODAY - timedelta(days=400)
    line_id = po_id = po_line_id = 0
    for first in range(0, count, BATCH_ORDERS):
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        po_lines: dict[int, dict[str, Any]] = {}
        b2b_po: int | None = None  # each batch starts a back-to-back PO of its own
        b2b_lines: dict[int, int] = {}  # sku -> its line on that PO
        b2b_orders = 0
        for n in range(first, min(count, first + BATCH_ORDERS)):
            order_id = n + 1
            at = start + timedelta(seconds=n * 30)
            released = at + timedelta(hours=1)
            address = {"name": f"Past {n}", "address1": f"{n} Old Road", "city": "York"}
            rows["orders"].append(
                {
                    "id": order_id,
                    "shop": "bench",
                    "external_id": f"past-{n}",
                    "name": f"#P{n}",
                    "created_at": at,
                    "updated_at": at,
                    "financial_status": "paid",
                    "eligible_at": at,
                    "tags": [],
                    "customer": {"id": f"p{n}", "name": f"Past {n}", "tags": []},
                    "shipping_address": address,
                    "address_key": f"past{n}",
                    "content_hash": f"{n:064d}",
                    "ingested_at": at,
                }
            )
            if b2b_po is None or b2b_orders >= PER_B2B_PO:
                po_id += 1
                b2b_po, b2b_lines, b2b_orders = po_id, {}, 0
                rows["purchase_orders"].append(_po(po_id, "acme", "back_to_back", at, released))
            b2b_orders += 1
            drop_po: int | None = None
            drop_lines: dict[int, int] = {}
            for position in range(LINES):
                line_id += 1
                sku = rng.choice(hot) if rng.random() < 0.6 else rng.randrange(sku_space)
                quantity = rng.randint(1, 4)
                b2b = sku < acme_skus
                if b2b:
                    target, supplier_sku = b2b_po, f"AC-{sku:07d}"
                    if sku not in b2b_lines:
                        po_line_id += 1
                        b2b_lines[sku] = po_line_id
                        po_lines[po_line_id] = _po_line(po_line_id, target, sku, supplier_sku)
                    on_line = b2b_lines[sku]
                else:
                    if drop_po is None:
                        po_id += 1
                        drop_po = po_id
                        rows["purchase_orders"].append(
                            _po(po_id, "bloom", "drop_ship", at, released, order_id)
                        )
                    supplier_sku = f"BL-{sku - acme_skus:07d}"
                    if sku not in drop_lines:
                        po_line_id += 1
                        drop_lines[sku] = po_line_id
                        po_lines[po_line_id] = _po_line(po_line_id, drop_po, sku, supplier_sku)
                    on_line = drop_lines[sku]
                po_lines[on_line]["quantity"] += quantity
                po_lines[on_line]["received_units"] += quantity if b2b else 0
                rows["order_lines"].append(
                    {
                        "id": line_id,
                        "order_id": order_id,
                        "external_id": f"past-{n}-{position}",
                        "position": position,
                        "sku": f"{sku:07d}",
                        "title": "item",
                        "quantity": quantity,
                        "price": Decimal("19.99"),
                        "properties": {},
                        "product_tags": [],
                        "removed": False,
                        "mode": "back_to_back" if b2b else "drop_ship",
                        "mode_source": "default of supplier " + ("acme" if b2b else "bloom"),
                        "needed": quantity,
                        "status": "allocated",
                        "needs_planning": False,
                        "planned_at": at,
                        "fulfilled_quantity": quantity,
                    }
                )
                rows["allocations"].append(
                    {
                        "order_line_id": line_id,
                        "po_line_id": on_line,
                        "quantity": quantity,
                        "received": quantity if b2b else 0,
                        "created_at": at,
                    }
                )
            for po in {b2b_po, drop_po} - {None}:
                rows["po_orders"].append({"po_id": po, "order_id": order_id, "linked_at": at})
        rows["po_lines"] = list(po_lines.values())
        yield rows


def _po(
    po_id: int, supplier: str, mode: str, at: datetime, released: datetime, order: int | None = None
) -> dict[str, Any]:
    return {
        "id": po_id,
        "number": f"H{po_id:08d}",
        "supplier_id": supplier,
        "mode": mode,
        "status": "received" if mode == "back_to_back" else "shipped",
        "group_key": f"{supplier}|{mode}|past:{po_id}",
        "ship_to_key": "warehouse",
        "order_id": order,
        "currency": "GBP",
        "revision": 1,
        "opened_at": at,
        "released_at": released,
        "release_reason": "past",
        "closed_at": released + timedelta(days=3),
        "updated_at": released + timedelta(days=3),
    }


def _po_line(line_id: int, po_id: int, sku: int, supplier_sku: str) -> dict[str, Any]:
    return {
        "id": line_id,
        "po_id": po_id,
        "sku": f"{sku:07d}",
        "supplier_sku": supplier_sku,
        "name": f"Item {sku}",
        "unit_cost": Decimal("5"),
        "pack_size": 1,
        "min_quantity": 1,
        "quantity": 0,
        "received_units": 0,
    }


def write_past(db: Database, count: int, sku_space: int, acme_skus: int, hot: list[int]) -> float:
    """Bulk-write `count` past orders; seconds taken."""
    began = time.perf_counter()
    for rows in past_batches(count, sku_space, acme_skus, hot, random.Random(11)):
        with db.write() as conn:
            for name in TABLES:
                insert_rows(conn, getattr(t, name), rows[name])
    with db.write() as conn:
        conn.execute(t.counters.insert().values(name="po_number", value=count * 2))
        if not db.is_sqlite:
            for name in ("orders", "order_lines", "purchase_orders", "po_lines", "allocations"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id))"
                        f" FROM {name} HAVING max(id) IS NOT NULL"
                    )
                )
    if not db.is_sqlite:
        # A store that has run for a while has its statistics (autovacuum).
        with db.engine.connect() as raw:
            raw.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return time.perf_counter() - began


def measure(
    url: str, past: int, catalogue: int, runs: int, new: int, folder: Path
) -> tuple[Figures, float]:
    if not url.startswith("sqlite"):
        reset_postgres(url)
    rng = random.Random(7)
    paths = write_catalogues(folder, catalogue, rng)
    config = config_for(url, paths)
    db = open_database(url)
    for sid, *_ in SUPPLIERS:
        import_catalogue(db, config, sid, paths[sid], now=TODAY - timedelta(hours=2))
    sku_space, acme_skus = catalogue * 4 // 5, catalogue * 2 // 5
    hot = hot_skus(sku_space, random.Random(5))  # the best sellers, then as now
    written = write_past(db, past, sku_space, acme_skus, hot)
    counter = StatementCount(db)
    figures = Figures()
    for run in range(runs):
        orders = make_orders(new, LINES, sku_space, random.Random(100 + run), hot)
        orders = [o.model_copy(update={"id": f"new-{run}-{o.id}"}) for o in orders]
        now = TODAY + timedelta(minutes=run)
        counter.count = 0
        began = time.perf_counter()
        with db.write() as conn:
            ingest_orders(conn, "bench", orders, ["paid"], now)
        summary = run_planner(db, config, now)
        figures.plan_s.append(time.perf_counter() - began)
        figures.plan_statements.append(counter.count)
        if summary.lines < new * LINES:  # lines waiting on the same SKUs look again
            raise SystemExit(
                f"{past:,} past orders, run {run + 1}: planned {summary.lines} lines,"
                f" expected {new * LINES}"
            )
        counter.count = 0
        began = time.perf_counter()
        idle = run_planner(db, config, now)
        figures.idle_s.append(time.perf_counter() - began)
        figures.idle_statements.append(counter.count)
        if idle.lines or idle.released:
            raise SystemExit(f"the second plan did something: {idle}")
    db.dispose()
    return figures, written


def spread(values: Sequence[float], unit: str, digits: int) -> str:
    return (
        f"median {statistics.median(values):.{digits}f} {unit}"
        f" (min {min(values):.{digits}f} – max {max(values):.{digits}f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--past", type=int, nargs="*", default=[100_000])
    parser.add_argument("--big", action="store_true", help="also a store of 1,000,000")
    parser.add_argument("--new", type=int, default=100, help="new orders per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--catalogue", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL (schema reset)")
    args = parser.parse_args()
    sizes = [0, *args.past, *([1_000_000] if args.big else [])]
    base: Figures | None = None
    for past in sizes:
        with tempfile.TemporaryDirectory(prefix="tandem-growth-") as tmp:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'growth.db'}"
            figures, written = measure(url, past, args.catalogue, args.runs, args.new, Path(tmp))
        base = base or figures
        plan_ratio = statistics.median(figures.plan_s) / statistics.median(base.plan_s)
        idle_ratio = statistics.median(figures.idle_s) / statistics.median(base.idle_s)
        where = "postgresql" if args.database_url else "sqlite"
        print(f"{where}, {past:,} past orders (written in {written:.1f} s, not counted):")
        print(
            f"  ingest + plan {args.new} orders: {spread(figures.plan_s, 's', 3)},"
            f" {spread(figures.plan_statements, 'statements', 0)}; ×{plan_ratio:.2f} of empty"
        )
        print(
            f"  plan with nothing to do: {spread([s * 1000 for s in figures.idle_s], 'ms', 1)},"
            f" {spread(figures.idle_statements, 'statements', 0)}; ×{idle_ratio:.2f} of empty",
            flush=True,
        )


if __name__ == "__main__":
    main()
