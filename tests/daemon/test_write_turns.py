"""SQLite lets one writer in at a time. While a job holds the write lock, the webhook
deliveries arriving meanwhile wait for their turn without holding a pooled connection each:
the daemon's reads (/healthz, the dashboard, the jobs' own) are answered at once, and every
delivery is stored, once, as soon as the job commits."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import select, text

from tandem.connector.platforms import Delivery, store_delivery
from tandem.connector.store import Database
from tandem.connector.store import schema as t

WAITING = 40  # as many as the web server's threadpool runs at once


def test_a_read_is_answered_while_many_deliveries_wait_to_be_written(
    sqlite_db: Database,
) -> None:
    now = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    job_writing, job_may_end = threading.Event(), threading.Event()

    def job() -> None:
        with sqlite_db.write() as conn:
            conn.execute(text("UPDATE webhook_deliveries SET attempts = attempts + 1"))
            job_writing.set()
            job_may_end.wait(30)

    def deliver(n: int) -> None:
        delivery = Delivery(f"wh-{n}", "demo.myshopify.com", "orders/create", None, now)
        with sqlite_db.write() as conn:
            store_delivery(conn, delivery, now)

    holder = threading.Thread(target=job)
    holder.start()
    assert job_writing.wait(10)
    writers = [threading.Thread(target=deliver, args=(n,)) for n in range(WAITING)]
    for writer in writers:
        writer.start()
    time.sleep(0.5)  # for them to reach their wait (for a turn, or, each, for the lock)
    try:
        with sqlite_db.read() as conn:  # past the pool's 15 connections if each held one
            assert conn.execute(select(t.webhook_deliveries.c.id)).all() == []
    finally:
        job_may_end.set()
        holder.join(30)
        for writer in writers:
            writer.join(60)
    with sqlite_db.read() as conn:
        stored = conn.execute(select(t.webhook_deliveries.c.webhook_id)).scalars().all()
    assert sorted(stored) == sorted(f"wh-{n}" for n in range(WAITING))
