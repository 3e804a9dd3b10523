"""Scheduled feed refresh: a 500,000-row supplier CSV served by a local HTTP server.

The feed is fetched and imported once (not measured), and the store is taken to hold every
supplier figure already (as after a completed stock push). Then, in each of several runs:

- an unchanged refresh: the requests the server saw (target 1, answered 304) and the time;
- a refresh after 1 % of the rows changed their stock: offers written (target: the changed
  rows only), the SKUs the Shopify stock push queues (target: the same), and the time of the
  refresh (download, read, diff, write) and of planning the push.

The push is planned by the real `plan_stock_push` against a location given by id, so it needs
no call to Shopify when nothing must be looked up (none is made: the shop URL answers nothing).

    .venv/bin/python benchmarks/feed_refresh.py [--rows 500000] [--runs 5] [--changed 0.01]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, update  # noqa: E402

from tandem.adapters.feeds import make_feed  # noqa: E402
from tandem.adapters.shopify.stock import plan_stock_push  # noqa: E402
from tandem.adapters.shopify.sync import make_client, shop_key  # noqa: E402
from tandem.connector.catalogue.feeds import refresh_feed  # noqa: E402
from tandem.connector.clock import utcnow  # noqa: E402
from tandem.connector.configuration.model import TandemConfig  # noqa: E402
from tandem.connector.services.stock_figures import supplier_stock  # noqa: E402
from tandem.connector.store import Database, open_database  # noqa: E402
from tandem.connector.store import schema as t  # noqa: E402
from tests.support.feed_server import FeedServer  # noqa: E402

LOCATION = "gid://shopify/Location/1"
HEADER = "sku,supplier_sku,name,cost,stock\n"


def rows(count: int, rng: random.Random) -> list[str]:
    return [
        f"{n:07d},AC-{n:08d},Item {n},{rng.randint(50, 250_000) / 100:.2f},{rng.randint(0, 500)}\n"
        for n in range(count)
    ]


def body(lines: Sequence[str]) -> bytes:
    return (HEADER + "".join(lines)).encode()


def change_stock(lines: list[str], share: float, rng: random.Random) -> int:
    """Give `share` of the rows a new stock figure; returns how many changed."""
    picked = rng.sample(range(len(lines)), max(1, int(len(lines) * share)))
    for n in picked:
        head, stock = lines[n].rstrip("\n").rsplit(",", 1)
        lines[n] = f"{head},{(int(stock) + rng.randint(1, 50)) % 501}\n"
    return len(picked)


def seed_store(db: Database, shop: str) -> None:
    """The store holds every supplier figure, as a completed push leaves it."""
    now = utcnow()
    with db.write() as conn:
        desired = supplier_stock(conn, 0)
        conn.execute(
            t.shop_inventory.insert(),
            [
                {
                    "shop": shop,
                    "sku": sku,
                    "inventory_item_id": f"gid://shopify/InventoryItem/{n}",
                    "location_id": LOCATION,
                    "stocked": True,
                    "store_quantity": quantity,
                    "pushed_quantity": quantity,
                    "continue_selling": False,
                    "looked_up_at": now,
                }
                for n, (sku, quantity) in enumerate(desired.items())
            ],
        )


def settle_push(db: Database) -> None:
    """As if the queued push was performed: the next run starts from a settled store."""
    inv = t.shop_inventory
    with db.write() as conn:
        conn.execute(
            update(inv)
            .where(inv.c.pending_quantity.is_not(None))
            .values(pushed_quantity=inv.c.pending_quantity, pending_quantity=None)
        )
        conn.execute(delete(t.outbox))


async def plan_push(db: Database, config: TandemConfig) -> int:
    async with make_client(config) as client:
        plan = await plan_stock_push(db, client, config, shop_key(config), utcnow())
    return plan.changed


def figure(values: Sequence[float], unit: str = "s", digits: int = 2) -> str:
    return (
        f"median {statistics.median(values):.{digits}f} {unit}"
        f" (min {min(values):.{digits}f} – max {max(values):.{digits}f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--changed", type=float, default=0.01)
    args = parser.parse_args()
    rng = random.Random(7)
    lines = rows(args.rows, rng)
    with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.serve(body(lines))
        config = TandemConfig.model_validate(
            {
                "database_url": f"sqlite:///{Path(tmp) / 'tandem.db'}",
                "store": {
                    "platform": "shopify",
                    "shop_url": "http://127.0.0.1:9",  # never called: see the docstring
                    "access_token": "unused",
                    "stock_push": {"enabled": True, "location": LOCATION},
                },
                "suppliers": [
                    {
                        "id": "acme",
                        "name": "Acme",
                        "catalogue": {"source": {"type": "url", "url": server.url}},
                    }
                ],
            }
        )
        db = open_database(config.database_url)
        started = time.perf_counter()
        first = refresh_feed(db, config, "acme", utcnow(), make_feed)
        assert first.imported is not None, first.error
        print(
            f"first fetch: {first.imported.rows_imported:,} offers imported from"
            f" {len(server.body) / 1e6:.1f} MB in {time.perf_counter() - started:.2f} s"
        )
        seed_store(db, shop_key(config))
        figures: dict[str, list[float]] = {}
        for run in range(1, args.runs + 1):
            server.requests.clear()
            started = time.perf_counter()
            same = refresh_feed(db, config, "acme", utcnow(), make_feed)
            unchanged_s = time.perf_counter() - started
            assert same.unchanged, same.error
            statuses = [r.status for r in server.requests]

            changed_rows = change_stock(lines, args.changed, rng)
            server.serve(body(lines))
            server.requests.clear()
            started = time.perf_counter()
            report = refresh_feed(db, config, "acme", utcnow(), make_feed)
            refresh_s = time.perf_counter() - started
            assert report.imported is not None, report.error
            started = time.perf_counter()
            queued = asyncio.run(plan_push(db, config))
            push_s = time.perf_counter() - started
            settle_push(db)
            written = report.imported.changes.written
            print(
                f"run {run}: unchanged: {len(statuses)} request(s)"
                f" ({', '.join(map(str, statuses))}), {unchanged_s * 1000:.1f} ms;"
                f" {changed_rows:,} rows changed: {written:,} offers written,"
                f" {queued:,} SKUs queued for the stock push, refresh {refresh_s:.2f} s"
                f" + push plan {push_s:.2f} s"
            )
            for key, value in (
                ("requests", float(len(statuses))),
                ("unchanged", unchanged_s * 1000),
                ("written", float(written)),
                ("queued", float(queued)),
                ("refresh", refresh_s),
                ("push", push_s),
                ("total", refresh_s + push_s),
            ):
                figures.setdefault(key, []).append(value)
        summary: dict[str, Any] = figures
        print(f"summary over {args.runs} runs of {args.rows:,} rows:")
        print(f"  unchanged feed: requests {figure(summary['requests'], '', 0)}")
        print(f"  unchanged feed: time {figure(summary['unchanged'], 'ms', 1)}")
        print(f"  changed feed: offers written {figure(summary['written'], '', 0)}")
        print(f"  changed feed: SKUs queued for stock push {figure(summary['queued'], '', 0)}")
        print(f"  changed feed: refresh (download, read, diff, write) {figure(summary['refresh'])}")
        print(f"  changed feed: stock push planned in {figure(summary['push'])}")
        print(f"  changed feed: total {figure(summary['total'])}")
        db.dispose()


if __name__ == "__main__":
    main()
