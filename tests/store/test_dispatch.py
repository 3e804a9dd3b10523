"""Dispatch: every released PO reaches its supplier exactly once, and failures are retried or
handed to a person (sends interrupted by a crash: test_in_doubt)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from tandem.adapters.suppliers import make_channel
from tandem.connector import outbox
from tandem.connector.channels import (
    PermanentError,
    PurchaseOrderDocument,
    SendResult,
    TransientError,
)
from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import Address
from tandem.connector.services import po_actions
from tandem.connector.services.dispatch import dispatch
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.dispatch_support import (
    FakeSupplier,
    factory,
    open_exceptions,
    released,
    run,
    statuses,
)
from tests.store.helpers import T0, config, ingest, offers, order


def test_each_po_is_sent_once_and_recorded(db: Database) -> None:
    cfg = released(db, 3)
    supplier = FakeSupplier()
    report = run(db, cfg, supplier)
    assert len(report.sent) == 3
    assert sorted(d.number for d in supplier.received) == ["PO-00001", "PO-00002", "PO-00003"]
    assert statuses(db) == ["sent"] * 3
    with db.read() as conn:
        refs = set(conn.execute(select(t.purchase_orders.c.supplier_reference)).scalars())
        sent_events = (
            conn.execute(select(t.events.c.data).where(t.events.c.kind == "po.sent"))
            .scalars()
            .all()
        )
    assert refs == {"SUP-PO-00001", "SUP-PO-00002", "SUP-PO-00003"}
    assert all(e["sent"].startswith("order PO-") for e in sent_events)  # the message, kept
    assert run(db, cfg, supplier).sent == []
    assert len(supplier.received) == 3


def test_transient_failures_are_retried_with_the_same_key(db: Database) -> None:
    cfg = released(db)
    supplier = FakeSupplier(
        [TransientError("451 try later"), TransientError("timeout", retry_after=5)]
    )
    assert run(db, cfg, supplier).retried
    assert run(db, cfg, supplier, T0 + timedelta(hours=1)).retried
    assert run(db, cfg, supplier, T0 + timedelta(hours=2)).sent == ["PO-00001 rev 1"]
    assert len(supplier.received) == 1
    assert statuses(db) == ["sent"]


def test_a_permanent_failure_quotes_the_supplier_and_resend_recovers(db: Database) -> None:
    cfg = released(db)
    supplier = FakeSupplier([PermanentError("550 5.1.1 mailbox unavailable")])
    report = run(db, cfg, supplier)
    assert report.failed and "550 5.1.1 mailbox unavailable" in report.failed[0]
    [problem] = open_exceptions(db)
    assert problem.kind == "send_failed"
    assert "550 5.1.1 mailbox unavailable" in problem.message
    assert "tandem po resend PO-00001" in problem.message
    po_actions.resend(db, "PO-00001", T0)
    assert open_exceptions(db) == []
    assert run(db, cfg, supplier).sent == ["PO-00001 rev 1"]


def test_the_attempt_budget_ends_in_an_exception(db: Database) -> None:
    cfg = released(db)
    budget = 3
    data = cfg.model_dump(by_alias=True)
    for s in data["suppliers"]:
        s["attempt_budget"] = budget
    cfg = TandemConfig.model_validate(data)
    supplier = FakeSupplier([TransientError("503")] * 10)
    for hour in range(budget):
        run(db, cfg, supplier, T0 + timedelta(hours=hour * 3))
    [problem] = open_exceptions(db)
    assert "gave up after 3 attempts" in problem.message
    assert supplier.received == []


def test_a_supplier_whose_settings_cannot_be_used_has_its_pos_stopped_not_left_in_doubt(
    db: Database,
) -> None:
    bloom = {
        "id": "bloom",
        "name": "Bloom",
        "mode": "drop_ship",
        "priority": 1,
        "release": {"immediate": True},
        "transport": {
            "type": "email",
            "to": "orders@bloom.example",
            "csv_columns": ["po_number", "skew"],  # a typo for "sku"
        },
    }
    cfg = released(
        db, suppliers=[bloom], smtp={"host": "127.0.0.1", "port": 1, "from": "po@shop.example"}
    )

    report = asyncio.run(dispatch(db, cfg, worker="w1", channels=make_channel, now=lambda: T0))

    assert report.failed and report.sent == []
    [problem] = open_exceptions(db)
    assert problem.kind == "send_failed"
    assert "PO-00001 revision 1 could not be sent to Bloom" in problem.message
    assert "transport.csv_columns: unknown CSV column 'skew'" in problem.message
    assert problem.details["never_reached"] is True  # a cancellation needs no message
    # Nothing is left leased to come back in doubt once the lease would have run out.
    later = T0 + timedelta(minutes=10)
    again = asyncio.run(dispatch(db, cfg, worker="w2", channels=make_channel, now=lambda: later))
    assert again.outcomes == []
    assert [e.kind for e in open_exceptions(db)] == ["send_failed"]


def test_cancelling_a_po_not_yet_sent_withdraws_it(db: Database) -> None:
    cfg = released(db)
    po_actions.cancel(db, cfg, "PO-00001", T0)
    supplier = FakeSupplier()
    run(db, cfg, supplier)
    assert supplier.received == []


def test_cancelling_a_sent_po_sends_a_cancellation(db: Database) -> None:
    cfg = released(db)
    supplier = FakeSupplier()
    run(db, cfg, supplier)
    po_actions.cancel(db, cfg, "PO-00001", T0)
    run(db, cfg, supplier)
    assert [(d.number, d.kind, d.revision) for d in supplier.received] == [
        ("PO-00001", "order", 1),
        ("PO-00001", "cancel", 2),
    ]


def test_a_blind_shipping_supplier_gets_drop_ship_pos_without_prices_and_others_with(
    db: Database,
) -> None:
    cfg = config()
    data = cfg.model_dump(by_alias=True)
    data["suppliers"][0]["blind_ship"] = True  # Acme: back-to-back, and drop-ships too
    cfg = TandemConfig.model_validate(data)
    offers(db, cfg, "acme", ("SPADE", 18, 100))
    ingest(db, order(1, ("SPADE", 1), tags=("dropship",)), order(2, ("SPADE", 1), tags=("b2b",)))
    run_planner(db, cfg, T0)

    supplier = FakeSupplier()
    run(db, cfg, supplier)

    blind = {(d.mode, d.blind_ship) for d in supplier.received}
    assert blind == {("drop_ship", True), ("back_to_back", False)}


class SlowSupplier(FakeSupplier):
    """Each send takes `minutes` of the clock; `before[n]` runs as the n-th send starts."""

    def __init__(
        self, clock: list[datetime], minutes: int, before: dict[int, Any] | None = None
    ) -> None:
        super().__init__()
        self.clock, self.minutes, self.before = clock, minutes, dict(before or {})
        self.calls = 0

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        self.calls += 1
        if self.calls in self.before:
            self.before.pop(self.calls)()
        self.clock[0] += timedelta(minutes=self.minutes)
        return await super().send(document)


def test_a_worker_whose_lease_ran_out_does_not_send_what_another_took(db: Database) -> None:
    cfg = released(db, 3)
    clock = [T0]
    taken: list[outbox.OutboxItem] = []

    def other_worker_claims() -> None:
        # Six minutes after w1 claimed its batch, w2 takes every item whose lease ran out.
        clock[0] = T0 + timedelta(minutes=6)
        with db.write() as conn:
            taken.extend(outbox.claim(conn, "w2", clock[0], timedelta(minutes=5), limit=10))

    supplier = SlowSupplier(clock, minutes=4, before={2: other_worker_claims})
    report = asyncio.run(
        dispatch(db, cfg, worker="w1", channels=factory(supplier), batch=3, now=lambda: clock[0])
    )
    # w1 renewed PO-00002's lease before sending it; PO-00003 had gone to w2 by its turn.
    assert [d.number for d in supplier.received] == ["PO-00001", "PO-00002"]
    assert report.sent == ["PO-00001 rev 1", "PO-00002 rev 1"]
    # w1 had not started transmitting PO-00003: w2 takes it as never attempted, not in doubt.
    assert [(i.payload["number"], i.in_doubt) for i in taken] == [("PO-00003", False)]
    with db.read() as conn:
        owners = conn.execute(
            select(t.outbox.c.lease_owner).where(t.outbox.c.status == "in_progress")
        ).scalars()
        assert list(owners) == ["w2"]


def test_a_slow_batch_renews_its_lease_before_each_send(db: Database) -> None:
    cfg = released(db, 3)
    clock = [T0]
    supplier = SlowSupplier(clock, minutes=4)
    report = asyncio.run(
        dispatch(db, cfg, worker="w1", channels=factory(supplier), batch=3, now=lambda: clock[0])
    )
    assert len(report.sent) == 3 and len(supplier.received) == 3
    with db.write() as conn:  # twelve minutes on, nothing is left in progress to be in doubt
        assert outbox.claim(conn, "w2", clock[0] + timedelta(minutes=1), timedelta(minutes=5)) == []


def test_two_workers_deliver_500_pos_exactly_once(db: Database) -> None:
    cfg = released(db, 500)
    supplier = FakeSupplier()
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            asyncio.run(dispatch(db, cfg, worker=name, channels=factory(supplier), batch=5))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{n}",), name=f"w{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = Counter(d.number for d in supplier.received)
    assert len(counts) == 500
    assert set(counts.values()) == {1}
    assert statuses(db) == ["sent"] * 500
    # Both workers delivered some: their claims interleave rather than one doing it all.
    shares = Counter(supplier.senders)
    assert set(shares) == {"w0", "w1"}, shares


def test_the_customers_province_code_reaches_the_supplier(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "bloom", ("ROSE", 5, 100))
    ship_to = Address(
        name="Jo Doe",
        address1="1 Main St",
        city="Louisville",
        province="Kentucky",
        province_code="KY",
        zip="40202",
        country_code="US",
    )
    ingest(db, order(1, ("ROSE", 1), tags=("dropship",), ship_to=ship_to))
    run_planner(db, cfg, T0)
    supplier = FakeSupplier()
    run(db, cfg, supplier)
    [po] = supplier.received
    assert (po.ship_to.province, po.ship_to.province_code) == ("Kentucky", "KY")
