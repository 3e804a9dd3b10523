"""Recovery after a crash, hands-off: an item claimed by a worker that died is handed back at
once when the worker was a process of this host, and it is in doubt only when the worker had
started transmitting it. A PO a dead worker never started goes out once, never held."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

from sqlalchemy import select, update

from tandem.connector import leases, outbox, transmission
from tandem.connector.channels import PurchaseOrderDocument, SendResult
from tandem.connector.configuration import TandemConfig
from tandem.connector.outbox import Effect
from tandem.connector.services.dispatch import dispatch
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.dispatch_support import (
    FakeSupplier,
    document_with_key,
    factory,
    open_exceptions,
    released,
    run,
    statuses,
)
from tests.store.helpers import T0
from tests.support.processes import dead_owner

LEASE = timedelta(minutes=5)


def effect(n: int, kind: str = "po.send") -> Effect:
    return Effect(kind, f"{kind}:{n}:rev1", {"n": n})


def claimed_by(db: Database, owner: str, *, marked: bool, kind: str = "po.send") -> int:
    with db.write() as conn:
        outbox.enqueue(conn, [effect(1, kind)], T0)
        [item] = outbox.claim(conn, owner, T0, LEASE)
        if marked:
            assert outbox.mark_transmitting(conn, item.id, owner, T0, LEASE)
    return item.id


def test_an_item_a_dead_worker_never_started_is_pending_again_at_once(db: Database) -> None:
    owner = dead_owner()
    claimed_by(db, owner, marked=False)
    with db.write() as conn:  # a second later, long before the lease runs out
        [again] = outbox.claim(conn, leases.owner(), T0 + timedelta(seconds=1), LEASE)
    assert not again.in_doubt
    assert again.attempts == 1 and again.first_attempt  # the dead worker's claim not counted


def test_an_item_a_dead_worker_was_transmitting_comes_back_in_doubt_at_once(
    db: Database,
) -> None:
    owner = dead_owner()
    claimed_by(db, owner, marked=True)
    with db.write() as conn:
        [again] = outbox.claim(conn, leases.owner(), T0 + timedelta(seconds=1), LEASE)
    assert again.in_doubt and again.attempts == 2
    with db.read() as conn:
        row = conn.execute(select(t.outbox)).one()
    assert row.last_error == f"stopped while performing it: {owner}"
    assert row.transmitting_at is None  # this attempt has not started


def test_a_pid_reused_by_another_process_does_not_keep_the_lease(db: Database) -> None:
    start = int(leases.process_start(os.getpid()) or 0)
    claimed_by(db, f"{leases.host_name()}:{os.getpid()}:{start + 7}", marked=False)
    with db.write() as conn:
        assert len(outbox.claim(conn, "w2", T0 + timedelta(seconds=1), LEASE)) == 1


def test_a_live_worker_of_this_host_keeps_its_lease(db: Database) -> None:
    claimed_by(db, leases.owner(os.getppid()), marked=True)
    with db.write() as conn:
        assert outbox.claim(conn, leases.owner(), T0 + timedelta(minutes=1), LEASE) == []


def test_a_worker_on_another_host_keeps_its_lease_until_it_runs_out(db: Database) -> None:
    claimed_by(db, "another-host:4242:4242", marked=False)
    with db.write() as conn:
        assert outbox.claim(conn, leases.owner(), T0 + timedelta(minutes=1), LEASE) == []
        [again] = outbox.claim(conn, leases.owner(), T0 + LEASE + timedelta(seconds=1), LEASE)
    assert not again.in_doubt  # never marked: never performed, whoever held it


def test_store_writes_which_are_not_marked_count_as_started_once_claimed(
    db: Database,
) -> None:
    claimed_by(db, dead_owner(), marked=False, kind="store.tags")
    with db.write() as conn:
        [again] = outbox.claim(conn, "w2", T0 + timedelta(seconds=1), LEASE)
    assert again.in_doubt and again.attempts == 2


def test_reclaim_reports_what_it_handed_back(db: Database) -> None:
    owner = dead_owner()
    with db.write() as conn:
        outbox.enqueue(conn, [effect(1), effect(2)], T0)
        _first, second = outbox.claim(conn, owner, T0, LEASE, limit=2)
        outbox.mark_transmitting(conn, second.id, owner, T0, LEASE)
    with db.write() as conn:
        found = outbox.reclaim(conn, leases.owner(), T0)
    assert found == outbox.Reclaimed(handed_back=1, in_doubt=1)


def test_a_worker_that_lost_the_item_cannot_mark_it(db: Database) -> None:
    item_id = claimed_by(db, "w1", marked=False)
    later = T0 + LEASE + timedelta(seconds=1)
    with db.write() as conn:
        [again] = outbox.claim(conn, "w2", later, LEASE)
        assert not outbox.mark_transmitting(conn, item_id, "w1", later, LEASE)
        assert outbox.mark_transmitting(conn, again.id, "w2", later, LEASE)


def test_an_item_stopped_mid_transmission_is_handed_back_in_doubt(db: Database) -> None:
    claimed_by(db, "w1", marked=True)
    with db.write() as conn:  # shutdown cancelled the send after it started
        assert outbox.release_leases(conn, "w1", T0) == 1
        [again] = outbox.claim(conn, "w2", T0, LEASE)
    assert again.in_doubt and again.attempts == 2


# --- Through dispatch: the transmitting mark decides what a crash leaves behind ---------------


class WorkerKilled(BaseException):
    """The dispatching process died here: nothing after this point runs or is recorded."""


class Dies(FakeSupplier):
    """A channel that marks its transmission, in a worker killed before or after the mark
    (after: the supplier got the PO, the answer was never recorded)."""

    marks_transmission = True

    def __init__(self, *, after_mark: bool, arrives: bool = False) -> None:
        super().__init__(lookup=False)
        self.after_mark, self.arrives = after_mark, arrives

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        if not self.after_mark:
            raise WorkerKilled  # rendering the PDF, connecting: nothing went out
        await transmission.transmitting()
        if self.arrives:
            self.received.append(document)
        raise WorkerKilled


def killed(db: Database, cfg: TandemConfig, channel: FakeSupplier, worker: str) -> None:
    try:
        asyncio.run(dispatch(db, cfg, worker=worker, channels=factory(channel), now=lambda: T0))
    except WorkerKilled:
        return
    raise AssertionError("the worker was not killed")


def test_a_po_whose_worker_died_before_transmitting_goes_out_once_without_a_person(
    db: Database,
) -> None:
    cfg = released(db)
    killed(db, cfg, Dies(after_mark=False), dead_owner())
    supplier = FakeSupplier(lookup=False)  # email without a Sent folder: cannot be asked
    report = run(db, cfg, supplier, T0 + timedelta(seconds=5), worker=leases.owner())
    assert report.sent == ["PO-00001 rev 1"] and not report.held
    assert len(supplier.received) == 1 and supplier.lookups == 0
    assert statuses(db) == ["sent"] and open_exceptions(db) == []


def test_a_po_whose_worker_died_transmitting_is_in_doubt_at_once(db: Database) -> None:
    cfg = released(db)
    killed(db, cfg, Dies(after_mark=True), dead_owner())
    supplier = FakeSupplier(lookup=False)
    report = run(db, cfg, supplier, T0 + timedelta(seconds=5), worker=leases.owner())
    [held] = report.held
    assert "may or may not have reached" in held
    assert supplier.received == []


def test_a_po_found_at_the_supplier_after_the_crash_is_not_sent_again(db: Database) -> None:
    cfg = released(db)
    with db.read() as conn:
        key = conn.execute(select(t.outbox.c.idempotency_key)).scalar_one()
    killed(db, cfg, Dies(after_mark=True), dead_owner())
    supplier = FakeSupplier()
    supplier.received.append(document_with_key(key))  # it did arrive before the crash
    report = run(db, cfg, supplier, T0 + timedelta(seconds=5), worker=leases.owner())
    assert report.sent == ["PO-00001 rev 1"] and supplier.lookups == 1
    assert len(supplier.received) == 1


class LosesItsLease(FakeSupplier):
    """While the channel connects, another worker takes the item over."""

    marks_transmission = True

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        with self.db.write() as conn:
            conn.execute(update(t.outbox).values(lease_owner="w2"))
        await transmission.transmitting()
        return await super().send(document)


def test_a_worker_that_lost_its_lease_before_transmitting_sends_nothing(db: Database) -> None:
    cfg = released(db)
    channel = LosesItsLease(db)
    report = run(db, cfg, channel)
    assert channel.received == [] and report.sent == [] and report.failed == []
    with db.read() as conn:
        row = conn.execute(select(t.outbox)).one()
    assert (row.status, row.lease_owner, row.transmitting_at) == ("in_progress", "w2", None)


def test_a_channel_that_does_not_say_when_it_transmits_is_marked_before_send(
    db: Database,
) -> None:
    cfg = released(db)
    seen: list[object] = []

    class Silent(FakeSupplier):
        async def send(self, document: PurchaseOrderDocument) -> SendResult:
            with db.read() as conn:
                seen.append(conn.execute(select(t.outbox.c.transmitting_at)).scalar_one())
            return await super().send(document)

    assert run(db, cfg, Silent()).sent == ["PO-00001 rev 1"]
    assert seen == [T0]
