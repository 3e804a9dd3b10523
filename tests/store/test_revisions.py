"""PO revisions: a supplier receives what was decided, in the order it was decided, and
nothing about a PO it never saw."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tandem.connector.channels import PermanentError, TransientError
from tandem.connector.configuration import TandemConfig
from tandem.connector.services import po_actions
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.views import show_po
from tests.store.dispatch_support import FakeSupplier, open_exceptions, run, send_everything
from tests.store.helpers import T0, config, ingest, offers, order

LATER = T0 + timedelta(minutes=1)


def released_to_bloom(db: Database, quantity: int) -> TandemConfig:
    """Order #1 for `quantity` roses, released to Bloom as PO-00001 and not yet sent."""
    cfg = config()
    offers(db, cfg, "bloom", ("ROSE", 5, 100))
    ingest(db, order(1, ("ROSE", quantity), tags=("dropship",)))
    assert run_planner(db, cfg, T0).released == ["PO-00001"]
    return cfg


def edit(db: Database, cfg: TandemConfig, quantity: int, version: int) -> list[str]:
    cancelled = quantity == 0
    ingest(
        db,
        order(1, ("ROSE", quantity or 1), tags=("dropship",), cancelled=cancelled, version=version),
    )
    return run_planner(db, cfg, T0).changes


def outbox_statuses(db: Database) -> list[tuple[str, str]]:
    with db.read() as conn:
        return [
            (r.dedupe_key.split(":")[0] + ":" + r.dedupe_key.split(":")[2], r.status)
            for r in conn.execute(select(t.outbox).order_by(t.outbox.c.id))
        ]


def test_an_order_lowered_before_the_first_sending_just_amends_it(db: Database) -> None:
    cfg = released_to_bloom(db, 3)
    assert edit(db, cfg, 1, version=1) == ["PO-00001 amended before it was sent"]

    supplier = send_everything(db, cfg, LATER)

    assert supplier.got() == [("PO-00001", "order", 1, [("BLOOM-ROSE", 1)])]
    assert open_exceptions(db) == []
    with db.read() as conn:
        po = show_po(conn, "PO-00001")
    assert (po["status"], po["revision"], po["changes"]) == ("sent", 1, [])
    assert any("Amended before it was sent: BLOOM-ROSE 3 → 1" in e["message"] for e in po["events"])


def test_an_order_cancelled_before_the_first_sending_tells_the_supplier_nothing(
    db: Database,
) -> None:
    cfg = released_to_bloom(db, 2)
    assert edit(db, cfg, 0, version=1) == ["PO-00001 withdrawn before it was sent"]

    supplier = send_everything(db, cfg, LATER)

    assert supplier.got() == []
    assert open_exceptions(db) == []
    assert outbox_statuses(db) == [("po.send:rev1", "withdrawn")]
    with db.read() as conn:
        po = show_po(conn, "PO-00001")
    assert (po["status"], po["revision"]) == ("cancelled", 1)


def test_a_change_waits_for_the_first_sending_it_changes(db: Database) -> None:
    cfg = released_to_bloom(db, 3)
    supplier = FakeSupplier([TransientError("451 try again in an hour", retry_after=3600)])
    assert run(db, cfg, supplier, T0).retried  # attempted: the supplier may have it now

    assert edit(db, cfg, 1, version=1) == ["PO-00001 rev 2"]
    run(db, cfg, supplier, LATER)  # the change is due, the order it changes is not yet
    assert supplier.got() == []

    run(db, cfg, supplier, T0 + timedelta(hours=2))
    assert supplier.got() == [
        ("PO-00001", "order", 1, [("BLOOM-ROSE", 3)]),  # as it was when first attempted
        ("PO-00001", "change", 2, [("BLOOM-ROSE", 1)]),
    ]


def test_each_revision_says_what_was_decided_when_it_was_made(db: Database) -> None:
    cfg = released_to_bloom(db, 3)
    send_everything(db, cfg)
    assert edit(db, cfg, 2, version=1) == ["PO-00001 rev 2"]
    assert edit(db, cfg, 1, version=2) == ["PO-00001 rev 3"]

    supplier = send_everything(db, cfg, LATER)

    assert supplier.got() == [
        ("PO-00001", "change", 2, [("BLOOM-ROSE", 2)]),
        ("PO-00001", "change", 3, [("BLOOM-ROSE", 1)]),
    ]
    assert [(c.old_quantity, c.new_quantity) for d in supplier.received for c in d.changes] == [
        (3, 2),
        (2, 1),
    ]


def test_a_cancellation_never_overtakes_the_order_it_cancels(db: Database) -> None:
    cfg = released_to_bloom(db, 2)
    supplier = FakeSupplier([TransientError("timeout", retry_after=3600)])
    run(db, cfg, supplier, T0)

    po_actions.cancel(db, cfg, "PO-00001", LATER)
    run(db, cfg, supplier, LATER)
    assert supplier.got() == []
    run(db, cfg, supplier, T0 + timedelta(hours=2))

    assert [(number, kind, rev) for number, kind, rev, _ in supplier.got()] == [
        ("PO-00001", "order", 1),
        ("PO-00001", "cancel", 2),
    ]
    assert supplier.received[1].order_names == ("#1",)


def test_an_order_cancelled_after_sending_is_cancelled_at_the_supplier(db: Database) -> None:
    cfg = released_to_bloom(db, 2)
    send_everything(db, cfg)
    assert edit(db, cfg, 0, version=1) == ["PO-00001 rev 2"]

    supplier = send_everything(db, cfg, LATER)

    [cancellation] = supplier.received
    assert (cancellation.kind, cancellation.lines, cancellation.order_names) == (
        "cancel",
        (),
        ("#1",),
    )
    assert [e.kind for e in open_exceptions(db)] == ["po_change_requested"]


def test_a_po_the_supplier_refused_is_cancelled_without_telling_it(db: Database) -> None:
    cfg = released_to_bloom(db, 2)
    supplier = FakeSupplier([PermanentError("550 5.1.1 mailbox unavailable")])
    run(db, cfg, supplier, T0)
    [failed] = open_exceptions(db)
    assert failed.kind == "send_failed"

    result = po_actions.cancel(db, cfg, "PO-00001", LATER)
    run(db, cfg, supplier, LATER)

    assert result.message == "PO-00001 cancelled by cli"
    assert supplier.got() == []
    assert open_exceptions(db) == []
    with db.read() as conn:
        closed = conn.execute(select(t.exceptions)).one()
    assert closed.status == "resolved"
    assert "never reached Bloom" in closed.resolution


def test_an_order_lowered_after_the_supplier_refused_the_po_is_sent_as_lowered(
    db: Database,
) -> None:
    cfg = released_to_bloom(db, 3)
    run(db, cfg, FakeSupplier([PermanentError("550 5.1.1 mailbox unavailable")]), T0)
    assert edit(db, cfg, 1, version=1) == ["PO-00001 amended before it was sent"]

    po_actions.resend(db, "PO-00001", LATER)  # the address was fixed
    supplier = send_everything(db, cfg, LATER)

    assert supplier.got() == [("PO-00001", "order", 1, [("BLOOM-ROSE", 1)])]
    assert open_exceptions(db) == []


def test_a_po_that_may_have_arrived_before_it_failed_is_cancelled_at_the_supplier(
    db: Database,
) -> None:
    cfg = released_to_bloom(db, 2)
    supplier = FakeSupplier(
        [TransientError("timeout after DATA"), PermanentError("554 5.7.1 message rejected")]
    )
    run(db, cfg, supplier, T0)
    run(db, cfg, supplier, T0 + timedelta(hours=2))  # the first attempt may have got through

    po_actions.cancel(db, cfg, "PO-00001", T0 + timedelta(hours=3))
    run(db, cfg, supplier, T0 + timedelta(hours=3))
    assert [(kind, rev) for _, kind, rev, _ in supplier.got()] == [("cancel", 2)]
