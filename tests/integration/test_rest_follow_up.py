"""After the order: cancellations that name the supplier's own order id, and what the
supplier's status answers do to POs and orders — against the loopback supplier API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connector.clock import utcnow
from connector.configuration import TandemConfig
from connector.services import po_actions
from connector.services.dispatch import DispatchReport, dispatch
from connector.services.plan import run_planner
from connector.store import Database, open_database
from connector.store import schema as t
from tests.conftest import make_config
from tests.store.helpers import ingest, offers, order
from tests.suppliers.rest.supplier_server import SupplierServer

TOKEN = "api-token"


@pytest.fixture
def server() -> Iterator[SupplierServer]:
    with SupplierServer(token=TOKEN) as running:
        yield running


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'tandem.db'}")
    yield database
    database.dispose()


def api_config(base_url: str) -> TandemConfig:
    """A supplier whose cancel and status calls address the order by the id it gave it."""
    return make_config(
        {
            "suppliers": [
                {
                    "id": "api",
                    "name": "Print Partner",
                    "mode": "drop_ship",
                    "release": {"immediate": True},
                    "transport": {
                        "type": "rest",
                        "base_url": base_url,
                        "auth": {"type": "bearer", "token": TOKEN},
                        "create": {
                            "path": "/orders",
                            "body": {
                                "external_id": "{{ po.number }}",
                                "recipient": {"name": "{{ ship_to.name }}"},
                                "items": "{{ lines | map(attribute='supplier_sku') | list }}",
                            },
                        },
                        "lookup": {"method": "GET", "path": "/orders/@{{ po.number }}"},
                        "cancel": {"method": "DELETE", "path": "/orders/{{ supplier_order_id }}"},
                        "status": {"method": "GET", "path": "/orders/{{ supplier_order_id }}"},
                        "response_fields": {
                            "order_id": "result.id",
                            "found": "result.id",
                            "status": "result.status",
                            "message": "result.reason",
                            "rejected_skus": "result.rejected_items",
                        },
                        "status_map": {"pending": "acknowledged", "canceled": "cancelled"},
                    },
                }
            ]
        }
    )


def send(db: Database, config: TandemConfig, at: datetime | None = None) -> DispatchReport:
    return asyncio.run(dispatch(db, config, worker="w", now=lambda: at or utcnow()))


def test_a_cancellation_reaches_the_supplier_under_its_own_order_id(
    server: SupplierServer, db: Database
) -> None:
    config = api_config(server.url)
    offers(db, config, "api", ("MUG", 6, 100))
    ingest(db, order(1, ("MUG", 2)))
    run_planner(db, config, utcnow())
    assert send(db, config).sent == ["PO-00001 rev 1"]
    [created] = server.orders.values()

    po_actions.cancel(db, config, "PO-00001", utcnow())
    report = send(db, config)

    assert report.sent == ["PO-00001 rev 2"], report.failed
    assert ("DELETE", f"/orders/{created['id']}", report_key(db, 2)) in server.requests
    assert created["status"] == "canceled"


def report_key(db: Database, revision: int) -> Any:
    """The idempotency key of the PO's outbox item for `revision`."""
    with db.read() as conn:
        return conn.execute(
            select(t.outbox.c.idempotency_key).where(
                t.outbox.c.dedupe_key.like(f"po.%:rev{revision}")
            )
        ).scalar_one()
