"""WooCommerce: the stock push of 10,000 changed variants, and orders polled per second, against
the WooCommerce stand-in (tests/standins/woocommerce.py, a real local HTTP server).

In each of several runs, on a fresh database:

- stock push: 100 variable products of 100 variations each, every figure changed; the batch
  requests the site saw (target: at most 100 items each, so at most 101 requests), and the
  lookups (`GET /products?sku=…`, 100 SKUs each) made the first time only;
- polling: orders (2 lines each) read by `modified_after`, 100 per page, mapped and stored by
  the real poll; orders per second over the whole poll.

    .venv/bin/python benchmarks/woocommerce.py [--variants 10000] [--orders 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tandem.adapters.woocommerce.storefront import WooCommerceStorefront  # noqa: E402
from tandem.connector.catalogue.importer import import_catalogue  # noqa: E402
from tandem.connector.clock import utcnow  # noqa: E402
from tandem.connector.configuration import TandemConfig  # noqa: E402
from tandem.connector.store import open_database  # noqa: E402
from tests.standins.woocommerce import WooCommerceStandin  # noqa: E402

PER_PARENT = 100


def config(shop: WooCommerceStandin, folder: Path, stock: bool) -> TandemConfig:
    return TandemConfig.model_validate(
        {
            "database_url": f"sqlite:///{folder / 'tandem.db'}",
            "store": {
                "platform": "woocommerce",
                "shop_url": shop.url,
                "consumer_key": shop.consumer_key,
                "consumer_secret": shop.consumer_secret,
                "first_poll_lookback": "1d",
                "stock_push": {"enabled": stock},
            },
            "suppliers": [
                {
                    "id": "acme",
                    "name": "Acme",
                    "release": {"immediate": True},
                    "catalogue": {"path": str(folder / "acme.csv")},
                }
            ],
        }
    )


def stock_run(shop: WooCommerceStandin, variants: int) -> dict[str, float]:
    shop.reset()
    rows = ["sku,supplier_sku,name,cost,stock"]
    for p in range((variants + PER_PARENT - 1) // PER_PARENT):
        skus = [f"V{p:04d}-{v:03d}" for v in range(min(PER_PARENT, variants - p * PER_PARENT))]
        shop.add_variable_product(f"P{p:04d}", skus, stock=0)
        rows += [f"{s},{s},Plant,1,{5 + v}" for v, s in enumerate(skus)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "acme.csv").write_text("\n".join(rows) + "\n")
        settings = config(shop, folder, stock=True)
        db = open_database(settings.database_url)
        import_catalogue(db, settings, "acme", now=utcnow())
        front = WooCommerceStorefront(settings)

        async def push() -> int:
            async with front.session(db) as session:
                pushed = await session.push_stock(utcnow())
                await session.perform_writes()
            return pushed.changed

        started = time.perf_counter()
        changed = asyncio.run(push())
        seconds = time.perf_counter() - started
        db.dispose()
    largest = max(len(r.body["update"]) for r in shop.seen if r.route.endswith("/batch"))
    return {
        "changed": changed,
        "batches": shop.batch_requests(),
        "largest": largest,
        "lookups": shop.counts["GET /products"],
        "seconds": seconds,
    }


def poll_run(shop: WooCommerceStandin, orders: int) -> dict[str, float]:
    shop.reset()
    shop.add_product("SPADE")
    shop.add_product("ROSE")
    for _ in range(orders):
        shop.add_order([("SPADE", 2), ("ROSE", 1)])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "acme.csv").write_text("sku,supplier_sku,name,cost,stock\nSPADE,A1,Spade,1,9\n")
        settings = config(shop, folder, stock=False)
        db = open_database(settings.database_url)
        front = WooCommerceStorefront(settings)

        async def poll() -> None:
            async with front.session(db) as session:
                await session.poll_orders(utcnow())

        started = time.perf_counter()
        asyncio.run(poll())
        seconds = time.perf_counter() - started
        db.dispose()
    return {"per_second": orders / seconds, "pages": shop.counts["GET /orders"]}


def figure(values: list[float], unit: str = "", digits: int = 0) -> str:
    return (
        f"median {statistics.median(values):,.{digits}f}{unit}"
        f" (min {min(values):,.{digits}f}, max {max(values):,.{digits}f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    stock: list[dict[str, float]] = []
    polls: list[dict[str, Any]] = []
    with WooCommerceStandin() as shop:
        for run in range(1, args.runs + 1):
            s = stock_run(shop, args.variants)
            p = poll_run(shop, args.orders)
            stock.append(s)
            polls.append(p)
            print(
                f"run {run}: stock push of {s['changed']:,.0f} changed variants:"
                f" {s['batches']:.0f} batch requests (largest {s['largest']:.0f} items),"
                f" {s['lookups']:.0f} lookups, {s['seconds']:.2f} s;"
                f" poll of {args.orders:,} orders: {p['per_second']:,.0f} orders/s"
                f" ({p['pages']:.0f} pages)"
            )
    print(f"summary over {args.runs} runs:")
    print(
        f"  stock push, {args.variants:,} changed variants: batch requests"
        f" {figure([s['batches'] for s in stock])} (target ≤ {args.variants // 100 + 1})"
    )
    print(f"  stock push: first-time lookups {figure([s['lookups'] for s in stock])}")
    print(f"  stock push: time {figure([s['seconds'] for s in stock], ' s', 2)}")
    print(f"  polling: orders/s {figure([p['per_second'] for p in polls])}")


if __name__ == "__main__":
    main()
