"""The write-back worker keeps going when a write-back fails in a way nobody planned for:
the item goes back to the outbox (not left leased), the others are performed, and the
traceback goes to the log, not to the person running `tandem sync`."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr
from sqlalchemy import select

from tandem.adapters.shopify import worker, writeback
from tandem.adapters.shopify.client import ShopifyClient
from tandem.connector.configuration import TandemConfig
from tandem.connector.outbox import OutboxItem
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.helpers import T0, config, ingest, offers, order

URL = "https://demo.myshopify.com/admin/api/2026-07/graphql.json"
OK = {
    "tagsAdd": {"node": {"id": "x"}, "userErrors": []},
    "tagsRemove": {"node": {"id": "x"}, "userErrors": []},
    "metafieldsSet": {"metafields": [], "userErrors": []},
}


def test_an_unexpected_fault_sends_the_item_back_and_the_others_go_on(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(
        store={
            "platform": "shopify",
            "shop_url": "https://demo.myshopify.com",
            "access_token": "shpat_x",
        },
        rules={"default_mode": "drop_ship"},
    )
    offers(sqlite_db, cfg, "bloom", ("ROSE", 4, 10))
    ingest(sqlite_db, order(1, ("ROSE", 1)), order(2, ("ROSE", 1)))
    run_planner(sqlite_db, cfg, T0)  # one drop-ship PO per order: two status write-backs

    real = writeback.write_order_status

    async def faulty(db: Database, client: Any, c: TandemConfig, item: OutboxItem) -> None:
        if item.payload["order_id"] == 1:
            raise KeyError("po_id")  # a fault of Tandem's own
        await real(db, client, c, item)

    monkeypatch.setitem(worker.PERFORMERS, "store.order_status", faulty)

    async def run() -> worker.WorkReport:
        async with ShopifyClient("https://demo.myshopify.com", SecretStr("shpat_x")) as client:
            return await worker.perform_store_writes(
                sqlite_db, client, cfg, clock=lambda: T0 + timedelta(minutes=1)
            )

    with respx.mock, caplog.at_level(logging.ERROR, "tandem.shopify"):
        respx.post(URL).mock(side_effect=lambda request: httpx.Response(200, json={"data": OK}))
        report = asyncio.run(run())

    assert (report.done, report.retried, report.failed) == (1, 1, [])
    with sqlite_db.read() as conn:
        rows = conn.execute(
            select(t.outbox.c.status, t.outbox.c.last_error)
            .where(t.outbox.c.kind == "store.order_status")
            .order_by(t.outbox.c.id)
        ).all()
    assert [r.status for r in rows] == ["pending", "done"]
    assert rows[0].last_error == "unexpected KeyError performing store.order_status (see the log)"
    assert "Traceback" in caplog.text
