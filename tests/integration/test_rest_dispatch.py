"""Acceptance: with the supplier API failing 30% of calls (500 / timeout / 429 mix),
answering 500 after accepting a few, and the worker killed right after the supplier accepted
a few others, 1,000 POs are each created exactly once at the supplier."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tandem.adapters.suppliers import make_channel
from tandem.adapters.suppliers.rest import RestChannel
from tandem.connector.channels import PurchaseOrderDocument, SendResult
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.transports import RestTransport
from tandem.connector.services.dispatch import dispatch
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database, open_database
from tandem.connector.store import schema as t
from tests.conftest import make_config
from tests.store.helpers import ingest, offers, order
from tests.suppliers.rest.supplier_server import SupplierServer

TOKEN = "api-token"
COUNT = 1000
KILLS = 15


class WorkerKilled(BaseException):
    """The dispatching process died: nothing after this point runs, nothing is recorded."""


class KilledAfterAccept:
    """The supplier's real channel, in a worker that is killed right after the supplier
    accepted each of its first `kills` orders (the HTTP answer came back; Tandem never
    recorded it)."""

    def __init__(self, channel: RestChannel, kills: int) -> None:
        self.channel, self.kills = channel, kills
        self.killed: list[str] = []

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        result = await self.channel.send(document)
        if len(self.killed) < self.kills:
            self.killed.append(document.number)
            raise WorkerKilled
        return result

    async def lookup(self, document: PurchaseOrderDocument) -> SendResult | None:
        return await self.channel.lookup(document)


@pytest.fixture
def server() -> Iterator[SupplierServer]:
    with SupplierServer(token=TOKEN, failure_rate=0.3, seed=11, hang_seconds=0.3) as running:
        yield running


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'tandem.db'}")
    yield database
    database.dispose()


def api_config(base_url: str) -> TandemConfig:
    return make_config(
        {
            "suppliers": [
                {
                    "id": "api",
                    "name": "Print Partner",
                    "mode": "drop_ship",
                    "attempt_budget": 50,
                    "release": {"immediate": True},
                    "transport": {
                        "type": "rest",
                        "base_url": base_url,
                        "auth": {"type": "bearer", "token": TOKEN},
                        "timeout_seconds": 0.15,
                        "create": {
                            "path": "/orders",
                            "body": {
                                "external_id": "{{ po.number }}",
                                "recipient": {"name": "{{ ship_to.name }}"},
                                "items": "{{ lines | map(attribute='supplier_sku') | list }}",
                            },
                        },
                        "lookup": {"method": "GET", "path": "/orders/@{{ po.number }}"},
                        "response_fields": {"order_id": "result.id", "found": "result.id"},
                    },
                }
            ]
        }
    )


def test_a_thousand_pos_through_a_flaky_api_are_each_created_once(
    server: SupplierServer, db: Database
) -> None:
    config = api_config(server.url)
    offers(db, config, "api", ("MUG", 6, 1_000_000))
    ingest(db, *(order(n, ("MUG", 1)) for n in range(1, COUNT + 1)))
    run_planner(db, config, utcnow())
    server.crash_after_accept = 20  # the supplier takes these, then answers 500
    [supplier] = config.suppliers
    assert isinstance(supplier.transport, RestTransport)
    channel = KilledAfterAccept(RestChannel(supplier.transport, supplier), KILLS)

    clock = utcnow()
    for round_ in range(100):
        # Each round is a later dispatcher run: backoff has passed and leases have expired.
        at = clock + timedelta(hours=round_)
        # A killed worker ends its round; the next is another, after the lease ran out.
        with contextlib.suppress(WorkerKilled):
            asyncio.run(
                dispatch(
                    db,
                    config,
                    worker=f"w{round_ % 2}",
                    channels=lambda _s, _c: channel,
                    now=lambda at=at: at,
                )
            )
        with db.read() as conn:
            waiting = conn.execute(
                select(func.count()).select_from(t.outbox).where(t.outbox.c.status != "done")
            ).scalar()
        if not waiting:
            break
    assert waiting == 0, f"{waiting} POs still not sent after {round_ + 1} rounds"
    assert len(server.injected) > COUNT * 0.2  # the API really did fail that much
    assert len(server.created) == COUNT
    assert set(server.created.values()) == {1}
    with db.read() as conn:
        statuses = conn.execute(select(t.purchase_orders.c.status).distinct()).scalars().all()
        found = conn.execute(
            select(t.events.c.message).where(
                t.events.c.kind == "po.sent", t.events.c.message.like("%interrupted attempt%")
            )
        ).scalars()
        resolved = sorted(message.split()[0] for message in found)
    assert statuses == ["sent"]
    # Each PO whose worker died after the supplier took it was found by asking, not resent.
    assert len(channel.killed) == KILLS
    assert resolved == sorted(channel.killed)
    asked = {path for method, path, _ in server.requests if method == "GET"}
    assert {f"/orders/@{number}" for number in channel.killed} <= asked


def test_supplier_status_polling_records_acknowledgement_and_tracking(db: Database) -> None:
    from tandem.connector.services.supplier_status import poll_supplier_status

    with SupplierServer(token=TOKEN) as server:
        base = api_config(server.url).model_dump(by_alias=True)
        transport = base["suppliers"][0]["transport"]
        transport["status"] = {"method": "GET", "path": "/orders/@{{ po.number }}"}
        transport["response_fields"].update(
            status="result.status",
            tracking_numbers="result.shipments.tracking_number",
            carrier="result.shipments.carrier",
        )
        transport["status_map"] = {"pending": "acknowledged", "fulfilled": "shipped"}
        # A Shopify store, so the orders are told (store write-backs queued in the outbox).
        base["store"] = {
            "platform": "shopify",
            "shop_url": "https://garden.myshopify.com",
            "access_token": "shpat_test",
        }
        config = TandemConfig.model_validate(base)
        offers(db, config, "api", ("MUG", 6, 100))
        ingest(db, order(1, ("MUG", 2)), order(2, ("MUG", 1)))
        run_planner(db, config, utcnow())
        asyncio.run(dispatch(db, config, worker="w", channels=make_channel))
        server.ship("PO-00002", "1Z-TRACK-2", carrier="DPD")
        changed = asyncio.run(poll_supplier_status(db, config, utcnow(), channels=make_channel))
        assert "PO-00001 acknowledged" in changed
        assert "PO-00002 shipped: 1Z-TRACK-2" in changed
        with db.read() as conn:
            status = dict(
                conn.execute(select(t.purchase_orders.c.number, t.purchase_orders.c.status)).all()
            )
            [tracking] = conn.execute(select(t.shipments.c.tracking_numbers)).scalars()
        assert status == {"PO-00001": "acknowledged", "PO-00002": "shipped"}
        assert tracking == ["1Z-TRACK-2"]
        with db.read() as conn:
            told = conn.execute(
                select(t.outbox.c.dedupe_key).where(t.outbox.c.kind == "store.order_status")
            ).scalars()
            statuses = {key.split(":")[3] for key in told}
        assert {"acknowledged", "shipped"} <= statuses
        # Asked again, nothing changes twice.
        assert asyncio.run(poll_supplier_status(db, config, utcnow(), channels=make_channel)) == []
