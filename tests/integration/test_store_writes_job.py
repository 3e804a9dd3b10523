"""A shop that is slow to take Tandem's write-backs never holds up the POs to suppliers.

Write-backs to the shop (order status, fulfillments) are a job of their own, apart from
dispatch. Before, dispatch sent the POs due and then worked through up to 1,000 write-backs
in the same run; with the shop throttling them (about 3 a second after a restart with a
backlog) a PO released meanwhile waited minutes for the next dispatch run: the crash-recovery
benchmark's final drain took 403 s for 1,000 orders.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tandem.adapters.shopify import worker
from tandem.connector.daemon.jobs import Jobs
from tandem.connector.daemon.runner import SENDING_JOBS
from tandem.connector.services import store_updates
from tandem.connector.store import open_database
from tandem.connector.store import schema as t
from tests.conftest import make_config
from tests.standin.shopify import ShopifyStandin
from tests.suppliers.email.support import Recorder, smtp_server


def config_for(shop: ShopifyStandin, folder: Path, smtp_port: int) -> Any:
    (folder / "acme.csv").write_text("sku,supplier_sku,name,cost,stock\nSPADE,A-1,Spade,5,50\n")
    return make_config(
        {
            "database_url": f"sqlite:///{folder / 'tandem.db'}",
            "currency": "USD",
            "store": {
                "platform": "shopify",
                "shop_url": shop.url,
                "access_token": shop.token,
                "webhook_secret": "whsec-test",
                "first_poll_lookback": "1d",
            },
            "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "po@shop.example"},
            "rules": {"default_mode": "back_to_back"},
            "suppliers": [
                {
                    "id": "acme",
                    "name": "Acme",
                    "mode": "back_to_back",
                    "release": {"immediate": True},
                    "catalogue": {"path": "acme.csv"},
                    "transport": {"type": "email", "to": "orders@acme.example"},
                }
            ],
        },
        base_dir=folder,
    )


def test_a_po_goes_out_while_the_shop_still_holds_a_write_back(
    shopify_standin: ShopifyStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = shopify_standin
    shop.add_variant("SPADE")
    shop.add_order([("SPADE", 2)])
    recorder = Recorder()
    with smtp_server(recorder) as port:
        config = config_for(shop, tmp_path, port)
        db = open_database(config.database_url)
        jobs = Jobs(db, config, worker="test")
        for name in ("catalogues", "poll_orders", "plan"):
            asyncio.run(jobs.guarded(name, getattr(jobs, name)))
        with db.read() as conn:  # the PO is due, and so is the order's write-back
            due = {tuple(row) for row in conn.execute(select(t.outbox.c.kind, t.outbox.c.status))}
        assert {("po.send", "pending"), (store_updates.ORDER_STATUS, "pending")} <= due

        shop_answers = asyncio.Event()  # never set: the shop holds the write-back

        async def held_by_the_shop(*_: Any) -> None:
            await shop_answers.wait()

        monkeypatch.setitem(worker.PERFORMERS, store_updates.ORDER_STATUS, held_by_the_shop)

        # Dispatch sends the PO and returns, the write-back left to its own job...
        asyncio.run(asyncio.wait_for(jobs.dispatch(), timeout=10))
        assert len(recorder.messages()) == 1

        async def writing() -> bool:  # ... which is the one the shop holds up
            job = asyncio.create_task(jobs.store_writes())
            await asyncio.sleep(0.5)
            held = not job.done()
            job.cancel()
            return held

        assert asyncio.run(writing())
        db.dispose()
    assert "store_writes" in SENDING_JOBS  # its leases are kept while it runs at shutdown
