"""Sends interrupted by a crash: the supplier is asked whether the PO arrived (REST lookup,
SFTP file check); where it cannot be asked (SMTP) the send is held for a person, who answers
`po arrived` or `po resend`. Never a second order, never a send left waiting unexplained."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tandem.connector import outbox
from tandem.connector.channels import PermanentError, TransientError
from tandem.connector.configuration import TandemConfig
from tandem.connector.errors import ConflictError
from tandem.connector.services import po_actions
from tandem.connector.services.dispatch import dispatch
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import AnswerNeeded, resolve_by_hand
from tests.store.dispatch_support import (
    FakeSupplier,
    document_with_key,
    factory,
    open_exceptions,
    released,
    run,
    statuses,
)
from tests.store.helpers import T0, config, ingest, offers, order


def crash_mid_send(db: Database) -> None:
    """A worker claims the PO, starts sending it, the supplier gets it, the worker dies
    before recording."""
    with db.write() as conn:
        [item] = outbox.claim(conn, "dead-worker", T0, timedelta(minutes=5), kinds=["po.send"])
        outbox.mark_transmitting(conn, item.id, "dead-worker", T0, timedelta(minutes=5))
    assert item.idempotency_key


def test_an_interrupted_send_is_found_by_lookup_not_sent_twice(db: Database) -> None:
    cfg = released(db)
    supplier = FakeSupplier()
    with db.read() as conn:
        key = conn.execute(select(t.outbox.c.idempotency_key)).scalar_one()
    crash_mid_send(db)
    # The supplier did receive it (the crash came after its answer).
    supplier.received.append(document_with_key(key))
    report = run(db, cfg, supplier, T0 + timedelta(minutes=10))
    assert report.sent == ["PO-00001 rev 1"]
    assert len(supplier.received) == 1
    assert statuses(db) == ["sent"]


def test_a_send_stays_in_doubt_until_a_lookup_answers(db: Database) -> None:
    cfg = released(db)
    supplier = FakeSupplier(lookup_failures=[TransientError("503 lookup unavailable")])
    with db.read() as conn:
        key = conn.execute(select(t.outbox.c.idempotency_key)).scalar_one()
    crash_mid_send(db)
    supplier.received.append(document_with_key(key))  # it did arrive before the crash

    first = run(db, cfg, supplier, T0 + timedelta(minutes=10))
    assert first.retried and "503 lookup unavailable" in first.retried[0]
    # Later the supplier answers again: it is asked once more, not sent the PO a second time.
    assert run(db, cfg, supplier, T0 + timedelta(hours=2)).sent == ["PO-00001 rev 1"]
    assert supplier.lookups == 2
    assert len(supplier.received) == 1
    assert statuses(db) == ["sent"]


def test_when_the_supplier_cannot_be_asked_the_send_ends_in_doubt_not_failed(
    db: Database,
) -> None:
    cfg = released(db, supplier_attempt_budget=2)
    supplier = FakeSupplier(lookup_failures=[TransientError("503 lookup unavailable")] * 5)
    crash_mid_send(db)
    run(db, cfg, supplier, T0 + timedelta(minutes=10))
    run(db, cfg, supplier, T0 + timedelta(hours=2))
    [problem] = open_exceptions(db)
    assert problem.kind == "send_in_doubt"
    assert "may or may not have reached Bloom" in problem.message
    assert "503 lookup unavailable" in problem.message
    assert supplier.received == []  # never sent blind


def test_in_doubt_email_is_held_for_a_person_by_default(db: Database) -> None:
    cfg = released(db)
    supplier = FakeSupplier(lookup=False)
    crash_mid_send(db)
    report = run(db, cfg, supplier, T0 + timedelta(minutes=10))
    assert report.held and supplier.received == []
    [problem] = open_exceptions(db)
    assert problem.kind == "send_in_doubt"
    assert "`tandem po arrived PO-00001` records it as sent" in problem.message
    assert "`tandem po resend PO-00001` sends it again" in problem.message


def test_a_send_in_doubt_handed_back_on_shutdown_is_still_held_not_sent_blind(
    db: Database,
) -> None:
    cfg = released(db)
    supplier = FakeSupplier(lookup=False)  # email: cannot ask whether it arrived
    crash_mid_send(db)
    later = T0 + timedelta(minutes=10)
    # The next worker claims it, then is told to stop before it starts it, and hands it back.
    asks = iter([False, True])
    asyncio.run(
        dispatch(
            db,
            cfg,
            worker="w2",
            channels=factory(supplier),
            now=lambda: later,
            stop=lambda: next(asks, True),
        )
    )
    with db.write() as conn:
        assert outbox.release_leases(conn, "w2", later) == 1

    report = run(db, cfg, supplier, later, worker="w3")

    assert report.held and supplier.received == []  # no second email
    [problem] = open_exceptions(db)
    assert problem.kind == "send_in_doubt"


def test_a_send_held_in_doubt_is_answered_not_closed_by_hand(db: Database) -> None:
    cfg = released(db)
    crash_mid_send(db)
    run(db, cfg, FakeSupplier(lookup=False), T0 + timedelta(minutes=10))
    [doubt] = open_exceptions(db)

    with db.write() as conn, pytest.raises(AnswerNeeded) as refused:
        resolve_by_hand(conn, doubt.id, "ada", "asked them", T0, answers="yes ({po}) or no")

    assert str(refused.value) == (
        f"exception {doubt.id} asks whether PO-00001 reached the supplier: answer with"
        " yes (PO-00001) or no; either closes it."
    )
    assert [e.id for e in open_exceptions(db)] == [doubt.id]


def test_a_failed_send_can_be_closed_by_hand(db: Database) -> None:
    cfg = released(db)
    run(db, cfg, FakeSupplier([PermanentError("550 no such mailbox")]))
    [failed] = open_exceptions(db)
    with db.write() as conn:
        assert resolve_by_hand(conn, failed.id, "ada", "phoned it in", T0, answers="")
        assert not resolve_by_hand(conn, failed.id, "ada", "again", T0, answers="")
    assert open_exceptions(db) == []


SHOPIFY = {"platform": "shopify", "shop_url": "https://demo.myshopify.com", "access_token": "x"}


def test_a_held_send_the_supplier_did_get_is_recorded_as_sent(db: Database) -> None:
    cfg = released(db, store=SHOPIFY)
    supplier = FakeSupplier(lookup=False)
    crash_mid_send(db)
    run(db, cfg, supplier, T0 + timedelta(minutes=10))

    result = po_actions.arrived(db, cfg, "PO-00001", T0 + timedelta(hours=1), who="ada")

    assert result.message == "PO-00001 revision 1 recorded as received by Bloom (said by ada)"
    assert statuses(db) == ["sent"]
    assert open_exceptions(db) == []
    with db.read() as conn:
        items = dict(conn.execute(select(t.outbox.c.kind, t.outbox.c.status)).all())
        [resolution] = conn.execute(select(t.exceptions.c.resolution)).scalars()
    assert items["po.send"] == "done"
    assert items["store.order_status"] == "pending"  # the order in the store hears it was sent
    assert "arrived" in resolution
    assert run(db, cfg, supplier, T0 + timedelta(hours=2)).sent == []
    assert supplier.received == []


def test_a_held_send_that_did_not_arrive_goes_again_with_the_same_key(db: Database) -> None:
    cfg = released(db)
    with db.read() as conn:
        key = conn.execute(select(t.outbox.c.idempotency_key)).scalar_one()
    supplier = FakeSupplier(lookup=False)
    crash_mid_send(db)
    run(db, cfg, supplier, T0 + timedelta(minutes=10))

    po_actions.resend(db, "PO-00001", T0 + timedelta(hours=1))
    assert run(db, cfg, supplier, T0 + timedelta(hours=1)).sent == ["PO-00001 rev 1"]
    assert [d.idempotency_key for d in supplier.received] == [key]
    assert statuses(db) == ["sent"] and open_exceptions(db) == []


def test_later_revisions_wait_while_a_send_is_held_in_doubt(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "bloom", ("ROSE", 5, 100))
    ingest(db, order(1, ("ROSE", 2), tags=("dropship",)))
    run_planner(db, cfg, T0)
    supplier = FakeSupplier(lookup=False)
    crash_mid_send(db)
    run(db, cfg, supplier, T0 + timedelta(minutes=10))
    ingest(db, order(1, ("ROSE", 1), tags=("dropship",), version=1))
    assert run_planner(db, cfg, T0 + timedelta(minutes=20)).changes == ["PO-00001 rev 2"]

    assert run(db, cfg, supplier, T0 + timedelta(minutes=30)).sent == []  # rev 1 undecided
    po_actions.arrived(db, cfg, "PO-00001", T0 + timedelta(hours=1))
    assert run(db, cfg, supplier, T0 + timedelta(hours=1)).sent == ["PO-00001 rev 2"]
    assert [(d.kind, d.revision) for d in supplier.received] == [("change", 2)]


def test_a_cancellation_goes_out_in_place_of_a_held_send(db: Database) -> None:
    cfg = released(db)
    supplier = FakeSupplier(lookup=False)
    crash_mid_send(db)
    run(db, cfg, supplier, T0 + timedelta(minutes=10))

    po_actions.cancel(db, cfg, "PO-00001", T0 + timedelta(minutes=20))

    assert run(db, cfg, supplier, T0 + timedelta(minutes=30)).sent == ["PO-00001 rev 2"]
    assert [(d.kind, d.revision) for d in supplier.received] == [("cancel", 2)]
    assert open_exceptions(db) == []  # nothing left to decide about revision 1
    with pytest.raises(ConflictError, match="no revision waiting for an answer"):
        po_actions.arrived(db, cfg, "PO-00001", T0 + timedelta(hours=1))


def test_arrived_needs_a_send_waiting_for_that_answer(db: Database) -> None:
    cfg = released(db)
    with pytest.raises(ConflictError, match="PO-00001 has no revision waiting"):
        po_actions.arrived(db, cfg, "PO-00001", T0)


def test_in_doubt_email_with_resend_policy_goes_again_with_the_same_key(db: Database) -> None:
    cfg = released(db)
    data = cfg.model_dump(by_alias=True)
    for s in data["suppliers"]:
        s["in_doubt"] = "resend"
    cfg = TandemConfig.model_validate(data)
    with db.read() as conn:
        key = conn.execute(select(t.outbox.c.idempotency_key)).scalar_one()
    supplier = FakeSupplier(lookup=False)
    crash_mid_send(db)
    assert run(db, cfg, supplier, T0 + timedelta(minutes=10)).sent
    assert [d.idempotency_key for d in supplier.received] == [key]


def send_exceptions(db: Database) -> list[Any]:
    """The open exceptions about sends (not the note that a change was asked for)."""
    return [e for e in open_exceptions(db) if e.kind in ("send_failed", "send_in_doubt")]


def crash_mid_change(db: Database) -> None:
    """As crash_mid_send, for the PO's change request."""
    with db.write() as conn:
        at = T0 + timedelta(minutes=1)
        [item] = outbox.claim(conn, "dead-worker", at, timedelta(minutes=5), kinds=["po.change"])
        outbox.mark_transmitting(conn, item.id, "dead-worker", at, timedelta(minutes=5))


def first_sending_gave_up_then_changed(db: Database) -> TandemConfig:
    """PO-00001 for 2 roses: its first sending gave up after one failed attempt (it may have
    arrived), then the customer took one rose off, which asks the supplier for revision 2."""
    data = config().model_dump(by_alias=True)
    for s in data["suppliers"]:
        s["attempt_budget"] = 1
    cfg = TandemConfig.model_validate(data)
    offers(db, cfg, "bloom", ("ROSE", 5, 100))
    ingest(db, order(1, ("ROSE", 2), tags=("dropship",)))
    run_planner(db, cfg, T0)
    run(db, cfg, FakeSupplier([TransientError("451 try later")]))
    ingest(db, order(1, ("ROSE", 1), tags=("dropship",), version=1))
    assert run_planner(db, cfg, T0 + timedelta(minutes=1)).changes == ["PO-00001 rev 2"]
    return cfg


def test_arrived_answers_one_revision_and_leaves_the_next_one_asking(db: Database) -> None:
    cfg = first_sending_gave_up_then_changed(db)
    crash_mid_change(db)
    email = FakeSupplier(lookup=False)
    assert run(db, cfg, email, T0 + timedelta(minutes=10)).held

    first = po_actions.arrived(db, cfg, "PO-00001", T0 + timedelta(hours=1), who="ada")

    assert first.message == "PO-00001 revision 1 recorded as received by Bloom (said by ada)"
    # Revision 2 is still held, and its exception still says so.
    [still] = send_exceptions(db)
    assert (still.kind, still.details["outbox"]) == (
        "send_in_doubt",
        f"po.change:{still.po_id}:rev2",
    )
    second = po_actions.arrived(db, cfg, "PO-00001", T0 + timedelta(hours=2), who="ada")
    assert second.message.startswith("PO-00001 revision 2 recorded as received")
    assert send_exceptions(db) == []


def test_resend_closes_only_what_it_sends_again(db: Database) -> None:
    cfg = first_sending_gave_up_then_changed(db)
    supplier = FakeSupplier()
    assert run(db, cfg, supplier, T0 + timedelta(minutes=2)).sent == ["PO-00001 rev 2"]

    # The latest revision went out, so resending means sending it again; rev 1 is not resent
    # and its failure stays open for a person to look at.
    result = po_actions.resend(db, "PO-00001", T0 + timedelta(hours=1))

    assert result.message == "PO-00001 revision 2 queued to be sent again by cli"
    [still] = send_exceptions(db)
    assert (still.kind, still.details["outbox"]) == ("send_failed", f"po.send:{still.po_id}:rev1")
