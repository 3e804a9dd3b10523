"""The daemon asks about POs their supplier has not confirmed in time: the supplier status job
opens one exception per PO ("not confirmed by Bloom after 24 h"), once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.daemon.jobs import Jobs
from tandem.connector.store import Database
from tandem.connector.store import schema as t


def test_the_status_job_raises_a_not_confirmed_exception_once(
    db: Database, cfg: TandemConfig, po: tuple[int, str]
) -> None:
    po_id, number = po
    cfg.portal.confirm_within = timedelta(hours=24)
    with db.write() as conn:
        conn.execute(
            update(t.purchase_orders)
            .where(t.purchase_orders.c.id == po_id)
            .values(status="sent", sent_at=utcnow() - timedelta(hours=25))
        )
    jobs = Jobs(db, cfg)
    asyncio.run(jobs.supplier_status())
    asyncio.run(jobs.supplier_status())
    with db.read() as conn:
        messages = list(conn.execute(select(t.exceptions.c.message)).scalars())
    assert len(messages) == 1
    assert messages[0].startswith(f"{number} not confirmed by Bloom after 24 h")
