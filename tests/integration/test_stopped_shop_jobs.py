"""A shop Tandem was uninstalled from: its jobs leave it alone (no polling, no write-backs, no
stock) until the shop accepts Tandem again, which resumes its work."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from tandem.connector.clock import utcnow
from tandem.connector.configuration import load_config
from tandem.connector.daemon.jobs import Jobs
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.shop_stops import shop_stopped, stop_shop
from tests.standin import ShopifyStandin


def test_a_stopped_shop_is_left_alone_until_it_accepts_tandem_again(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database
) -> None:
    config = load_config(config_file)
    jobs = Jobs(tandem_db, config, worker="test")
    name = jobs.shop().name
    shop.add_order([("SPADE", 1)])
    with tandem_db.write() as conn:
        stop_shop(conn, name, "app/uninstalled, confirmed by Shopify", utcnow())
    work = jobs.shop()
    work._claimed_at = float("inf")  # asked a moment ago: not due to be asked again yet

    async def every_shop_job() -> None:
        await jobs.poll_orders()
        await jobs.store_writes()
        await jobs.stock_push()

    shop.clear_requests()
    asyncio.run(every_shop_job())
    assert shop.requests == []  # nothing reached the shop
    with tandem_db.read() as conn:
        assert shop_stopped(conn, name)

    # Time to ask again: the shop accepts Tandem's token, so its work resumes and the order
    # placed meanwhile is read.
    work._claimed_at = None
    asyncio.run(jobs.poll_orders())
    with tandem_db.read() as conn:
        assert not shop_stopped(conn, name)
    with tandem_db.read() as conn:
        stored = conn.execute(select(func.count()).select_from(t.orders)).scalar()
    assert stored == 1
