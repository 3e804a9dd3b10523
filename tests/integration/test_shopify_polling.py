"""Polling by `updated_at` is the safety net under webhooks: an order that changes while a
poll runs is found by the next poll, because the cursor stays at the poll's start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import select

from tandem.adapters.suppliers import make_channel
from tandem.connector.configuration import load_config
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.sync import store_pass
from tests.integration.shopify_support import config_data, tandem, write_config
from tests.standin import ShopifyStandin


class MerchantDuringThePoll(httpx.AsyncBaseTransport):
    """HTTP to the stand-in as usual; right after the poll's search is answered, the merchant
    creates an order, and the poll then takes over a second more to finish."""

    def __init__(self, shop: ShopifyStandin) -> None:
        self.shop = shop
        self.late_order: str | None = None
        self._http = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._http.handle_async_request(request)
        if self.late_order is None and b"query OrdersUpdated" in request.content:
            self.late_order = self.shop.add_order([("SPADE", 1)], name="#late")
            await asyncio.sleep(1.2)  # the cursor is written to the second
        return response

    async def aclose(self) -> None:
        await self._http.aclose()


def order_names(db: Database) -> list[str]:
    with db.read() as conn:
        return sorted(conn.execute(select(t.orders.c.name)).scalars())


def test_an_order_changed_while_a_poll_runs_is_found_by_the_next_poll(
    shop: ShopifyStandin, config_file: Path, tandem_db: Database, tmp_path: Path
) -> None:
    data = config_data(shop, tmp_path)
    data["store"]["poll_overlap"] = "0s"  # no overlap to hide a cursor that ran ahead
    config_path = write_config(config_file, data)
    shop.add_order([("SPADE", 2)], name="#early")

    merchant = MerchantDuringThePoll(shop)
    first = asyncio.run(
        store_pass(tandem_db, load_config(config_path), transport=merchant, channels=make_channel)
    )
    assert first.failures == []
    assert merchant.late_order is not None
    assert order_names(tandem_db) == ["#early"]  # the search ran before #late existed

    tandem("sync", "--config", str(config_path))
    assert order_names(tandem_db) == ["#early", "#late"]
