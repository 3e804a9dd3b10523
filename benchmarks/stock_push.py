"""Stock push benchmark: 10,000 changed supplier stock figures pushed to the Shopify stand-in.

The stand-in charges Shopify's calculated cost against a Standard-plan bucket (2,000 points,
100 points/s restore). A first pass looks the 10,000 SKUs up and pushes their stock; the
supplier then sends a new feed in which every figure changed, and the second pass is measured:
calls made (target ≤ 41), points spent, throttled answers (target 0), wall time against the
bucket's theoretical minimum.

    .venv/bin/python benchmarks/stock_push.py [--variants 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tandem.adapters.shopify.stock import plan_stock_push  # noqa: E402
from tandem.adapters.shopify.sync import make_client, shop_key  # noqa: E402
from tandem.adapters.shopify.worker import perform_store_writes  # noqa: E402
from tandem.connector.catalogue import import_catalogue  # noqa: E402
from tandem.connector.clock import utcnow  # noqa: E402
from tandem.connector.configuration.model import TandemConfig  # noqa: E402
from tandem.connector.store import Database, open_database  # noqa: E402
from tandem_shopify_standin import ShopifyStandin  # noqa: E402

BUCKET, RESTORE = 2000, 100


def write_feed(path: Path, skus: list[str], rng: random.Random) -> None:
    lines = ["sku,supplier_sku,name,cost,stock"]
    lines += [
        f"{s},SUP-{s},Item {s},{rng.randint(100, 9999) / 100:.2f},{rng.randint(0, 500)}"
        for s in skus
    ]
    path.write_text("\n".join(lines) + "\n")


async def push(db: Database, config: TandemConfig, shop: ShopifyStandin) -> dict[str, float]:
    shop.clear_requests()
    spent_before = shop.points_spent
    throttled_before = shop.throttled_count
    started = time.perf_counter()
    async with make_client(config) as client:
        plan = await plan_stock_push(db, client, config, shop_key(config), utcnow())
        work = await perform_store_writes(db, client, config)
    seconds = time.perf_counter() - started
    assert not work.failed, work.failed
    requested = sum(r.requested_cost or 0 for r in shop.requests)
    return {
        "changed": plan.changed,
        "looked_up": plan.looked_up,
        "calls": len(shop.requests),
        "points": shop.points_spent - spent_before,
        "requested": requested,
        "throttled": shop.throttled_count - throttled_before,
        "seconds": seconds,
    }


def report(label: str, figures: dict[str, float]) -> None:
    minimum = max(0.0, (figures["requested"] - BUCKET) / RESTORE)
    print(
        f"{label}: {int(figures['changed']):,} changed SKUs"
        f" ({int(figures['looked_up']):,} looked up) in {int(figures['calls'])} calls,"
        f" {int(figures['points']):,} points spent ({int(figures['requested']):,} requested),"
        f" {int(figures['throttled'])} throttled, {figures['seconds']:.2f} s"
        f" (bucket-limited minimum {minimum:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(7)
    skus = [f"{n:06d}-SKU" for n in range(args.variants)]
    with (
        ShopifyStandin(bucket_size=BUCKET, restore_rate=RESTORE) as shop,
        tempfile.TemporaryDirectory() as tmp,
    ):
        folder = Path(tmp)
        seeding = time.perf_counter()
        location = shop.add_location("Suppliers")
        for sku in skus:
            shop.add_variant(sku, inventory_quantity=0, location_id=location)
        print(
            f"stand-in seeded with {len(skus):,} variants in {time.perf_counter() - seeding:.1f} s"
        )
        feed = folder / "feed.csv"
        config = TandemConfig.model_validate(
            {
                "database_url": f"sqlite:///{folder / 'tandem.db'}",
                "store": {
                    "platform": "shopify",
                    "shop_url": shop.url,
                    "access_token": shop.token,
                    "stock_push": {"enabled": True, "location": "Suppliers"},
                },
                "suppliers": [{"id": "acme", "name": "Acme", "catalogue": {"path": str(feed)}}],
            }
        )
        db = open_database(config.database_url)
        write_feed(feed, skus, rng)
        import_catalogue(db, config, "acme")
        report("first push (look-up + push)", asyncio.run(push(db, config, shop)))
        write_feed(feed, skus, rng)  # every figure changes
        import_catalogue(db, config, "acme")
        figures = asyncio.run(push(db, config, shop))
        report("changed feed (the measured pass)", figures)
        print("targets: calls <= 41, throttled = 0")
        db.dispose()


if __name__ == "__main__":
    main()
