"""The outbox: each effect once, under a lease, with its key kept across attempts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tandem.connector import outbox
from tandem.connector.outbox import Effect
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.conftest import POSTGRES_URL
from tests.store.helpers import T0

LEASE = timedelta(minutes=5)


def effect(n: int) -> Effect:
    return Effect("po.send", f"po.send:{n}:rev1", {"n": n})


def test_enqueueing_the_same_effect_twice_adds_it_once(db: Database) -> None:
    with db.write() as conn:
        assert outbox.enqueue(conn, [effect(1), effect(1), effect(2)], T0) == 2
        assert outbox.enqueue(conn, [effect(1)], T0) == 0


def test_the_idempotency_key_stays_the_same_on_every_attempt(db: Database) -> None:
    with db.write() as conn:
        outbox.enqueue(conn, [effect(1)], T0)
    with db.write() as conn:
        [first] = outbox.claim(conn, "w1", T0, LEASE)
        assert outbox.retry(conn, first.id, "w1", "SMTP 451", T0 + timedelta(seconds=30))
    with db.write() as conn:
        assert outbox.claim(conn, "w1", T0, LEASE) == []  # not due yet
        [second] = outbox.claim(conn, "w1", T0 + timedelta(minutes=1), LEASE)
    assert second.idempotency_key == first.idempotency_key
    assert (first.attempts, second.attempts) == (1, 2)
    assert not second.in_doubt  # the first attempt's failure was recorded


def test_an_expired_lease_comes_back_in_doubt_and_the_old_owner_cannot_complete(
    db: Database,
) -> None:
    with db.write() as conn:
        outbox.enqueue(conn, [effect(1)], T0)
        [item] = outbox.claim(conn, "w1", T0, LEASE)
        assert outbox.mark_transmitting(conn, item.id, "w1", T0, LEASE)
    later = T0 + LEASE + timedelta(seconds=1)
    with db.write() as conn:
        [again] = outbox.claim(conn, "w2", later, LEASE)
        assert again.in_doubt and again.id == item.id
        assert not outbox.complete(conn, item.id, "w1", later)  # fenced off
        assert outbox.complete(conn, item.id, "w2", later)
    with db.write() as conn:
        assert outbox.claim(conn, "w3", later + LEASE * 2, LEASE) == []


def test_dead_letter_and_requeue_keep_the_key(db: Database) -> None:
    with db.write() as conn:
        outbox.enqueue(conn, [effect(1)], T0)
        [item] = outbox.claim(conn, "w1", T0, LEASE)
        assert outbox.dead_letter(conn, item.id, "w1", "550 mailbox unknown", T0)
        assert outbox.depth(conn, T0)["dead"] == 1
        assert outbox.requeue(conn, item.dedupe_key, T0)
        [again] = outbox.claim(conn, "w1", T0, LEASE)
    assert again.idempotency_key == item.idempotency_key


def test_release_on_shutdown_makes_items_due_again_without_counting_an_attempt(
    db: Database,
) -> None:
    with db.write() as conn:
        outbox.enqueue(conn, [effect(1), effect(2)], T0)
        outbox.claim(conn, "w1", T0, LEASE)
        assert outbox.release_leases(conn, "w1", T0) == 2
        items = outbox.claim(conn, "w2", T0, LEASE)
    assert [i.attempts for i in items] == [1, 1] and not any(i.in_doubt for i in items)


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="set TANDEM_TEST_POSTGRES_URL to run")
def test_two_workers_on_postgresql_claim_each_item_exactly_once() -> None:
    from tests.conftest import _postgres

    db = _postgres()
    with db.write() as conn:
        outbox.enqueue(conn, [effect(n) for n in range(500)], T0)
    claimed: dict[str, list[int]] = {"a": [], "b": []}

    def work(name: str) -> None:
        while True:
            with db.write() as conn:
                items = outbox.claim(conn, name, T0, LEASE, limit=7)
            if not items:
                return
            with db.write() as conn:
                for item in items:
                    assert outbox.complete(conn, item.id, name, T0)
            claimed[name].extend(i.id for i in items)

    threads = [threading.Thread(target=work, args=(n,)) for n in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = claimed["a"] + claimed["b"]
    assert len(everything) == 500 and len(set(everything)) == 500
    assert claimed["a"] and claimed["b"]  # both did work
    with db.read() as conn:
        assert set(conn.execute(select(t.outbox.c.status)).scalars()) == {"done"}


def test_an_item_handed_back_on_shutdown_stays_in_doubt_when_it_was_claimed_in_doubt(
    db: Database,
) -> None:
    with db.write() as conn:
        outbox.enqueue(conn, [effect(1)], T0)
        [item] = outbox.claim(conn, "w1", T0, LEASE)
        outbox.mark_transmitting(conn, item.id, "w1", T0, LEASE)  # w1 dies while sending it
    later = T0 + LEASE + timedelta(seconds=1)
    with db.write() as conn:
        [again] = outbox.claim(conn, "w2", later, LEASE)
        assert again.in_doubt
        # w2 stops before it starts the item and hands it back.
        assert outbox.release_leases(conn, "w2", later) == 1
    with db.write() as conn:
        [third] = outbox.claim(conn, "w3", later, LEASE)
    assert third.in_doubt  # w1's attempt may still have happened: look before acting
    assert third.attempts == 2


def test_an_item_answered_after_doubt_is_no_longer_in_doubt(db: Database) -> None:
    with db.write() as conn:
        outbox.enqueue(conn, [effect(1)], T0)
        [item] = outbox.claim(conn, "w1", T0, LEASE)
        outbox.mark_transmitting(conn, item.id, "w1", T0, LEASE)
    later = T0 + LEASE + timedelta(seconds=1)
    with db.write() as conn:
        [again] = outbox.claim(conn, "w2", later, LEASE)
        # The lookup said it never arrived, and the send failed for now: a known outcome.
        assert outbox.retry(conn, again.id, "w2", "SMTP 451", later)
    with db.write() as conn:
        [third] = outbox.claim(conn, "w3", later + timedelta(minutes=1), LEASE)
    assert not third.in_doubt
