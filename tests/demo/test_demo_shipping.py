"""The demo's suppliers ship the drop-ship POs that went out; one they cannot ship is said
once in the log, not retried in silence."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from tandem.connector.cli.demo_cmd import supplier_shipping
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.dispatch_support import released, send_everything, statuses


def ship_until(db: Database, cfg: Any, done: Callable[[], bool], then: float = 0.2) -> None:
    """Let the demo suppliers look every 10 ms until `done()`, and `then` seconds more."""

    async def main() -> None:
        task = asyncio.create_task(
            supplier_shipping(db, cfg, random.Random(1), every=0.01, after=0)
        )
        for _ in range(1000):
            if done():
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(then)
        task.cancel()

    asyncio.run(main())


def test_the_demo_suppliers_ship_what_was_sent(sqlite_db: Database) -> None:
    cfg = released(sqlite_db, 2)
    send_everything(sqlite_db, cfg)
    ship_until(sqlite_db, cfg, lambda: statuses(sqlite_db) == ["shipped", "shipped"], then=0)
    assert statuses(sqlite_db) == ["shipped", "shipped"]
    with sqlite_db.read() as conn:
        carriers = set(conn.execute(select(t.shipments.c.carrier)).scalars())
    assert carriers == {"Royal Mail"}


def test_a_po_the_demo_cannot_ship_is_logged_once(sqlite_db: Database, lines: Any) -> None:
    cfg = released(sqlite_db, 2)
    send_everything(sqlite_db, cfg)
    with sqlite_db.write() as conn:  # PO-00001 holds nothing any more
        first = select(t.purchase_orders.c.id).where(t.purchase_orders.c.number == "PO-00001")
        conn.execute(update(t.po_lines).where(t.po_lines.c.po_id.in_(first)).values(quantity=0))

    ship_until(sqlite_db, cfg, lambda: statuses(sqlite_db)[1] == "shipped")

    assert statuses(sqlite_db) == ["sent", "shipped"]
    said = [line for line in lines() if line["event"] == "demo shipment not recorded"]
    assert len(said) == 1, said
    assert said[0]["po"] == "PO-00001" and "nothing left to ship" in said[0]["error"]
