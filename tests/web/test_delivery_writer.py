"""Webhook deliveries arriving together are stored together: each request learns whether its
delivery was new, every delivery is stored once, and an error reaches every request it hit."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select, text

from tandem.connector.platforms import Delivery
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.db import DatabaseUnreachable
from tandem.connector.web.delivery_writer import DeliveryWriter
from tests.conftest import POSTGRES_URL, _postgres

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def delivery(webhook_id: str) -> Delivery:
    return Delivery(webhook_id, "demo.myshopify.com", "orders/create", webhook_id[3:], NOW)


def stored(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.execute(select(t.webhook_deliveries.c.webhook_id)).scalars())


async def store_all(writer: DeliveryWriter, ids: list[str]) -> list[bool]:
    return list(await asyncio.gather(*(writer.store(delivery(i)) for i in ids)))


def test_retries_in_the_same_rush_are_told_apart_from_new_deliveries(db: Database) -> None:
    writer = DeliveryWriter(db)
    assert asyncio.run(store_all(writer, ["wh-1", "wh-2"])) == [True, True]
    # Shopify retries wh-1 and wh-2 while new deliveries arrive, some of them twice at once.
    ids = ["wh-1"] + [f"wh-{n}" for n in range(3, 203)] + ["wh-2", "wh-7", "wh-150"]
    answers = asyncio.run(store_all(writer, ids))
    assert answers == [False] + [True] * 200 + [False, False, False]
    assert sorted(stored(db)) == sorted(f"wh-{n}" for n in range(1, 203))


def test_deliveries_waiting_for_a_turn_are_committed_together(sqlite_db: Database) -> None:
    commits = []
    event.listen(sqlite_db.engine, "commit", lambda conn: commits.append(1))
    job_writing, job_may_end = threading.Event(), threading.Event()

    def job() -> None:  # a planning run holding SQLite's one write turn
        with sqlite_db.write() as conn:
            conn.execute(text("UPDATE webhook_deliveries SET attempts = attempts + 1"))
            job_writing.set()
            job_may_end.wait(30)

    async def rush() -> list[bool]:
        pending = asyncio.ensure_future(store_all(DeliveryWriter(sqlite_db), ids))
        await asyncio.sleep(0.3)  # all of them are waiting now
        assert stored(sqlite_db) == []
        commits.clear()
        job_may_end.set()
        return await pending

    ids = [f"wh-{n}" for n in range(300)]
    holder = threading.Thread(target=job)
    holder.start()
    assert job_writing.wait(10)
    try:
        answers = asyncio.run(rush())
    finally:
        job_may_end.set()
        holder.join(30)
    assert answers == [True] * 300
    # The job's commit, then the one delivery that was taken first, then all the others.
    assert len(commits) <= 3
    assert sorted(stored(sqlite_db)) == sorted(ids)


@pytest.mark.skipif(not POSTGRES_URL, reason="set TANDEM_TEST_POSTGRES_URL: needs a second writer")
def test_a_delivery_another_replica_stores_meanwhile_is_a_duplicate_and_the_rest_are_kept() -> None:
    db = _postgres()
    other = Database(db.url)
    try:
        with other.engine.connect() as conn, conn.begin() as transaction:
            # Another replica has inserted wh-1 and not yet committed: this batch's check does
            # not see it, and its insert waits on the unique webhook id until that commits.
            conn.execute(
                t.webhook_deliveries.insert().values(
                    webhook_id="wh-1",
                    shop="demo.myshopify.com",
                    topic="orders/create",
                    received_at=NOW,
                    attempts=0,
                )
            )

            async def batch() -> list[bool]:
                pending = asyncio.ensure_future(store_all(DeliveryWriter(db), ["wh-1", "wh-2"]))
                await asyncio.sleep(0.5)
                assert not pending.done()
                transaction.commit()
                return await pending

            assert asyncio.run(batch()) == [False, True]
    finally:
        other.dispose()
    assert sorted(stored(db)) == ["wh-1", "wh-2"]


def test_a_database_that_cannot_be_reached_fails_every_request_of_the_batch(
    tmp_path: Path,
) -> None:
    gone = Database(f"sqlite:///{tmp_path}")  # a folder, not a database file
    writer = DeliveryWriter(gone)

    async def rush() -> list[BaseException | bool]:
        ids = ["wh-1", "wh-2", "wh-3"]
        return list(
            await asyncio.gather(*(writer.store(delivery(i)) for i in ids), return_exceptions=True)
        )

    answers = asyncio.run(rush())
    assert all(isinstance(answer, DatabaseUnreachable) for answer in answers)
    assert "cannot reach the database" in str(answers[0])
