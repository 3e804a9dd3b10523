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

from tandem.adapters.suppliers import make_channel
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.services import po_actions
from tandem.connector.services.dispatch import DispatchReport, dispatch
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database, open_database
from tandem.connector.store import schema as t
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


def api_config(base_url: str, **settings: Any) -> TandemConfig:
    """A supplier whose cancel and status calls address the order by the id it gave it, and
    a second supplier (POs passed on by hand) for what the first will not supply."""
    return make_config(
        {
            **settings,
            "suppliers": [
                {
                    "id": "backup",
                    "name": "Backup Prints",
                    "mode": "drop_ship",
                    "priority": 2,
                    "release": {"immediate": True},
                },
                {
                    "id": "api",
                    "name": "Print Partner",
                    "mode": "drop_ship",
                    "priority": 1,
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
                },
            ],
        }
    )


def send(db: Database, config: TandemConfig, at: datetime | None = None) -> DispatchReport:
    return asyncio.run(
        dispatch(db, config, worker="w", channels=make_channel, now=lambda: at or utcnow())
    )


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


def po_lines(db: Database) -> dict[str, list[tuple[str, int]]]:
    po, pl = t.purchase_orders, t.po_lines
    with db.read() as conn:
        rows = conn.execute(
            select(po.c.number, po.c.status, pl.c.supplier_sku, pl.c.quantity)
            .join(pl, pl.c.po_id == po.c.id)
            .order_by(po.c.id, pl.c.id)
        ).all()
    found: dict[str, list[tuple[str, int]]] = {}
    for number, status, sku, quantity in rows:
        found.setdefault(f"{number} {status}", []).append((sku, quantity))
    return found


def open_exceptions(db: Database) -> list[tuple[str, str]]:
    e = t.exceptions
    with db.read() as conn:
        rows = conn.execute(select(e.c.kind, e.c.message).where(e.c.status == "open")).all()
    return [(kind, message) for kind, message in rows]


def sent_to_api(db: Database, server: SupplierServer, **settings: Any) -> TandemConfig:
    """Order #1 for a mug and a tee, ordered from Print Partner (the backup also has mugs)."""
    config = api_config(server.url, **settings)
    offers(db, config, "api", ("MUG", 6, 100), ("TEE", 9, 100))
    offers(db, config, "backup", ("MUG", 7, 100))
    ingest(db, order(1, ("MUG", 1), ("TEE", 1)))
    run_planner(db, config, utcnow())
    assert send(db, config).sent == ["PO-00001 rev 1"]
    return config


def test_a_line_the_supplier_refuses_is_planned_again_elsewhere(
    server: SupplierServer, db: Database
) -> None:
    from tandem.connector.services.supplier_status import poll_supplier_status

    config = sent_to_api(db, server)
    server.refuse("PO-00001", "API-MUG", reason="mug discontinued")

    changed = asyncio.run(poll_supplier_status(db, config, utcnow(), channels=make_channel))

    assert any("Print Partner refused MUG (API-MUG) on PO-00001" in c for c in changed)
    [(kind, message)] = open_exceptions(db)
    assert kind == "po_rejected"
    assert "Print Partner refused MUG (API-MUG) on PO-00001: mug discontinued" in message
    assert "order #1 is planned again" in message
    assert po_lines(db) == {"PO-00001 acknowledged": [("API-MUG", 0), ("API-TEE", 1)]}

    run_planner(db, config, utcnow())
    assert po_lines(db) == {
        "PO-00001 acknowledged": [("API-MUG", 0), ("API-TEE", 1)],
        "PO-00002 released": [("BACKUP-MUG", 1)],
    }
    assert (
        asyncio.run(poll_supplier_status(db, config, utcnow(), channels=make_channel)) == []
    )  # said once
    assert len(open_exceptions(db)) == 1


def test_a_po_the_supplier_cancels_is_cancelled_and_its_order_planned_again(
    server: SupplierServer, db: Database
) -> None:
    from tandem.connector.services.supplier_status import poll_supplier_status

    config = sent_to_api(db, server)
    server.cancel("PO-00001", reason="out of stock")

    changed = asyncio.run(poll_supplier_status(db, config, utcnow(), channels=make_channel))

    assert changed and "Print Partner cancelled PO-00001: out of stock" in changed[0]
    [(kind, message)] = open_exceptions(db)
    assert kind == "po_rejected" and "order #1 is planned again" in message
    run_planner(db, config, utcnow())
    lines = po_lines(db)
    assert lines["PO-00001 cancelled"] == [("API-MUG", 1), ("API-TEE", 1)]
    assert lines["PO-00002 released"] == [("BACKUP-MUG", 1)]  # the tee has no other source
    kinds = sorted(kind for kind, _ in open_exceptions(db))
    assert kinds == ["no_stock", "po_rejected"]
    assert send(db, config).manual == ["PO-00002 rev 1"]  # nothing more goes to Print Partner
    assert [r for r in server.requests if r[0] == "DELETE"] == []


SHOPIFY = {"platform": "shopify", "shop_url": "https://demo.myshopify.com", "access_token": "x"}


def status_writes(db: Database) -> list[str]:
    """The store write-backs queued for order #1's status, oldest first."""
    o = t.outbox.c
    with db.read() as conn:
        return list(
            conn.execute(
                select(o.dedupe_key).where(o.kind == "store.order_status").order_by(o.id)
            ).scalars()
        )


def test_the_order_hears_when_the_supplier_refuses_one_of_its_lines(
    server: SupplierServer, db: Database
) -> None:
    from tandem.connector.services.supplier_status import poll_supplier_status

    config = sent_to_api(db, server, store=SHOPIFY)
    before = status_writes(db)
    server.refuse("PO-00001", "API-MUG", reason="mug discontinued")

    asyncio.run(poll_supplier_status(db, config, utcnow(), channels=make_channel))

    # The order's tags and metafield are written again (for the refusal, and for the
    # acknowledgement the same answer carried): PO-00001 now holds the tee only.
    after = status_writes(db)[len(before) :]
    assert after and {key.rsplit(":", 1)[1] for key in after} == {"1"}  # units held now


def test_a_po_refused_line_by_line_ends_like_a_refused_po(
    server: SupplierServer, db: Database
) -> None:
    from tandem.connector.services.supplier_status import poll_supplier_status

    config = sent_to_api(db, server, store=SHOPIFY)
    ingest(db, order(1, ("MUG", 1), version=1))  # the customer drops the tee
    assert run_planner(db, config, utcnow()).changes == ["PO-00001 rev 2"]
    server.refuse("PO-00001", "API-MUG", "API-TEE", reason="we stopped printing")

    asyncio.run(poll_supplier_status(db, config, utcnow(), channels=make_channel))

    assert po_lines(db) == {"PO-00001 rejected": [("API-MUG", 0), ("API-TEE", 0)]}
    assert status_writes(db)[-1].endswith(":rejected:2:0")  # the order hears it
    # The change queued before the refusal is moot: nothing more goes to Print Partner.
    report = send(db, config)
    assert report.sent == [] and report.failed == []
    assert [r for r in server.requests if r[0] != "GET"] == [("POST", "/orders", report_key(db, 1))]
