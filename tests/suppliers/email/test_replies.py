"""Supplier replies by email, read from a real IMAP server (dovecot): a reply with a tracking
number ships the PO, "confirmed" confirms it, "out of stock" refuses what it names, an attached
CSV ships parcels; a stranger, an unreadable reply or one too large changes nothing and opens
an exception that quotes it; each message counts once, and one whose processing fails stays in
the mailbox for the next poll."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select

from tandem.adapters.suppliers.email.replies import read_inbox
from tandem.connector.configuration import TandemConfig
from tandem.connector.daemon.jobs import Jobs
from tandem.connector.daemon.runner import schedule
from tandem.connector.services import email_replies
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.conftest import make_config
from tests.store.helpers import T0, config, ingest, offers, order
from tests.store.test_shipments import SHOPIFY, outbox_keys, po_status
from tests.support.imap import ImapServer

SUPPLIER = "orders@bloom.example"
ORIGINAL = "<PO-00001.rev1.order@shop.example>"
QUOTED_PO = """
On Fri, 20 Nov 2026 at 09:00, Purchasing <po@shop.example> wrote:
> Purchase order PO-00001
> ROSE  BLOOM-ROSE  Rose  3
> TULIP BLOOM-TULIP Tulip 2
> Please reply to this message to confirm. We are out of stock of patience.
> Call us on 123456789012.
"""


def setup(db: Database, imap: ImapServer, **replies: Any) -> tuple[TandemConfig, str]:
    """Bloom drop-ships ROSE × 3 and TULIP × 2 to a customer; the PO went out by email."""
    cfg = config(
        store=SHOPIFY,
        smtp={"host": "127.0.0.1", "from": "Purchasing <po@shop.example>"},
        inbox={
            "host": imap.host,
            "port": imap.port,
            "username": "po@shop.example",
            "password": imap.accounts["po@shop.example"],
            "tls": "none",
            "timeout_seconds": 5,
        },
    )
    bloom = next(s for s in cfg.suppliers if s.id == "bloom")
    data = cfg.model_dump(by_alias=True, mode="python")
    for s in data["suppliers"]:
        if s["id"] == bloom.id:
            s["transport"] = {"type": "email", "to": [SUPPLIER]}
            s["replies"] = {**s["replies"], **replies}
    cfg = make_config(data)
    offers(db, cfg, "bloom", ("ROSE", 5, 100), ("TULIP", 3, 100))
    ingest(db, order(1, ("ROSE", 3), ("TULIP", 2), tags=("dropship",)))
    run_planner(db, cfg, T0)
    po = t.purchase_orders
    with db.write() as conn:
        number = conn.execute(select(po.c.number).where(po.c.supplier_id == "bloom")).scalar_one()
        conn.execute(
            po.update()
            .where(po.c.number == number)
            .values(status="sent", sent_at=T0, supplier_reference=ORIGINAL)
        )
    assert number == "PO-00001"
    return cfg, number


def reply(
    body: str,
    *,
    sender: str = f"Bloom Orders <{SUPPLIER}>",
    subject: str = "Re: Purchase order PO-00001 from Tandem Shop",
    message_id: str = "<r1@bloom.example>",
    in_reply_to: str | None = ORIGINAL,
    csv: tuple[str, str] | None = None,
    quoted: bool = True,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "po@shop.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(T0)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body + (QUOTED_PO if quoted else ""))
    if csv is not None:
        name, content = csv
        message.add_attachment(content.encode(), maintype="text", subtype="csv", filename=name)
    return message.as_bytes()


def deliver(imap: ImapServer, raw: bytes) -> None:
    imap.append(raw, folder="INBOX")


def timeline(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.execute(select(t.events.c.message).order_by(t.events.c.id)).scalars())


def open_exceptions(db: Database) -> list[tuple[str, str]]:
    e = t.exceptions.c
    with db.read() as conn:
        rows = conn.execute(select(e.kind, e.message).where(e.status == "open").order_by(e.id))
        return [(r.kind, r.message) for r in rows]


def folder(imap: ImapServer, name: str) -> list[str]:
    client = imap.client()
    try:
        found = {f[2] for f in client.list_folders()}
    finally:
        client.logout()
    if name not in found:
        return []
    return [str(m["Message-ID"]) for m in imap.messages(name)]


def inbound(db: Database) -> list[tuple[str, str, int]]:
    i = t.inbound_items.c
    with db.read() as conn:
        return [
            (r.key, r.status, r.attempts) for r in conn.execute(select(i.key, i.status, i.attempts))
        ]


def test_a_reply_with_a_ups_number_ships_the_po_and_its_customer_gets_a_fulfillment(
    db: Database, imap_server: ImapServer
) -> None:
    cfg, number = setup(db, imap_server)
    deliver(
        imap_server, reply("Hello, all shipped today with UPS: 1Z999AA10123456784\nBest, Bloom")
    )

    report = read_inbox(db, cfg, T0)

    assert report.failed == [] and report.exceptions == []
    [said] = report.processed
    assert said.startswith(f"{number} shipped by Bloom via email: 3 × ROSE, 2 × TULIP")
    assert po_status(db, number) == "shipped"
    assert len([k for k in outbox_keys(db) if k.startswith("store.fulfillment:")]) == 1
    assert any("tracking 1Z999AA10123456784 (UPS) by Bloom via email" in m for m in timeline(db))
    with db.read() as conn:
        urls = conn.execute(select(t.shipments.c.tracking_urls)).scalar_one()
    assert urls and "1Z999AA10123456784" in urls[0]
    # The quoted PO ("confirm", "out of stock", a 12-digit number) was not read as an answer.
    assert open_exceptions(db) == []
    assert folder(imap_server, "INBOX") == []
    assert folder(imap_server, "Tandem.Processed") == ["<r1@bloom.example>"]


def test_a_reply_by_subject_alone_confirms_the_po(db: Database, imap_server: ImapServer) -> None:
    cfg, number = setup(db, imap_server)
    deliver(
        imap_server,
        reply("Order confirmed, thank you.", subject="PO-00001", in_reply_to=None, quoted=False),
    )
    report = read_inbox(db, cfg, T0)
    assert report.processed == [f"{number} confirmed by Bloom via email"]
    assert po_status(db, number) == "acknowledged"


def test_out_of_stock_naming_a_sku_refuses_that_line_only(
    db: Database, imap_server: ImapServer
) -> None:
    cfg, _ = setup(db, imap_server)
    deliver(imap_server, reply("Sorry, BLOOM-TULIP is out of stock until spring."))
    report = read_inbox(db, cfg, T0)
    assert report.exceptions == [] and len(report.processed) == 1
    assert "Bloom refused TULIP" in report.processed[0]
    with db.read() as conn:
        quantities = dict(conn.execute(select(t.po_lines.c.sku, t.po_lines.c.quantity)).all())
    assert quantities == {"ROSE": 3, "TULIP": 0}
    assert [kind for kind, _ in open_exceptions(db)] == ["po_rejected"]


def test_an_attached_csv_in_the_suppliers_columns_ships_two_parcels(
    db: Database, imap_server: ImapServer
) -> None:
    cfg, number = setup(
        db,
        imap_server,
        csv_columns={
            "tracking_number": "Tracking",
            "sku": "Item",
            "quantity": "Qty",
            "carrier": "Carrier",
        },
    )
    rows = "Item,Qty,Tracking,Carrier\nBLOOM-ROSE,3,PARCEL-A1,DHL\nTULIP,2,PARCEL-B2,DHL\n"
    deliver(imap_server, reply("Shipment file attached.", csv=("shipped.csv", rows)))
    report = read_inbox(db, cfg, T0)
    assert report.exceptions == []
    assert report.processed == [
        f"{number} shipped by Bloom via email: 3 × ROSE; tracking PARCEL-A1;"
        f" {number} shipped by Bloom via email: 2 × TULIP; tracking PARCEL-B2"
    ]
    assert po_status(db, number) == "shipped"
    with db.read() as conn:
        parcels = conn.execute(
            select(t.shipments.c.tracking_numbers, t.shipments.c.carrier).order_by(t.shipments.c.id)
        ).all()
    assert [(list(n), c) for n, c in parcels] == [(["PARCEL-A1"], "DHL"), (["PARCEL-B2"], "DHL")]


def test_a_reply_from_a_stranger_changes_nothing_and_opens_an_exception(
    db: Database, imap_server: ImapServer
) -> None:
    cfg, number = setup(db, imap_server)
    deliver(
        imap_server,
        reply("Shipped: 1Z999AA10123456784", sender="Mallory <mallory@bloom-orders.example>"),
    )
    report = read_inbox(db, cfg, T0)
    assert report.processed == []
    assert po_status(db, number) == "sent"
    [(kind, message)] = open_exceptions(db)
    assert kind == "answer_unread"
    assert message.startswith(
        f"Reply about {number} from mallory@bloom-orders.example not applied:"
        " mallory@bloom-orders.example does not speak for Bloom."
    )
    assert "Message-ID <r1@bloom.example>" in message and "1Z999AA10123456784" in message


def test_a_colleague_at_the_suppliers_domain_speaks_for_it(
    db: Database, imap_server: ImapServer
) -> None:
    cfg, number = setup(db, imap_server)
    deliver(imap_server, reply("We confirm.", sender="Jo <jo@bloom.example>"))
    assert read_inbox(db, cfg, T0).processed == [f"{number} confirmed by Bloom via email"]


def test_a_reply_tandem_cannot_read_is_quoted_in_an_exception_never_guessed(
    db: Database, imap_server: ImapServer
) -> None:
    cfg, number = setup(db, imap_server)
    deliver(imap_server, reply("Will get back to you next week about the roses."))
    deliver(imap_server, reply("This is not confirmed yet.", message_id="<r2@bloom.example>"))
    report = read_inbox(db, cfg, T0)
    assert report.processed == [] and len(report.exceptions) == 2
    assert po_status(db, number) == "sent"
    [(_, first), (_, second)] = open_exceptions(db)
    assert "it has no tracking number, shipments CSV or phrase Tandem reads" in first
    assert "“Will get back to you next week about the roses.”" in first
    assert "Subject 'Re: Purchase order PO-00001 from Tandem Shop'" in first
    assert "it says 'not confirmed'" in second
    assert folder(imap_server, "INBOX") == []  # read and answered by an exception


def test_the_same_message_twice_is_processed_once(db: Database, imap_server: ImapServer) -> None:
    cfg, _ = setup(db, imap_server)
    raw = reply("Shipped with UPS 1Z999AA10123456784")
    deliver(imap_server, raw)
    deliver(imap_server, raw)
    report = read_inbox(db, cfg, T0)
    assert len(report.processed) == 1
    deliver(imap_server, raw)  # and once more, after the first was filed away
    assert read_inbox(db, cfg, T0).processed == []
    with db.read() as conn:
        assert len(conn.execute(select(t.shipments.c.id)).all()) == 1
    assert inbound(db) == [("<r1@bloom.example>", "processed", 1)]
    assert folder(imap_server, "INBOX") == []


def test_a_failure_mid_processing_keeps_the_message_for_the_next_poll(
    db: Database, imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, number = setup(db, imap_server)
    deliver(imap_server, reply("Shipped with UPS 1Z999AA10123456784"))
    real = email_replies.apply_answer

    def database_gone(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk I/O error")

    monkeypatch.setattr(email_replies, "apply_answer", database_gone)
    report = read_inbox(db, cfg, T0)
    assert report.failed == [
        "reply <r1@bloom.example> kept for the next poll: OSError: disk I/O error"
    ]
    assert folder(imap_server, "INBOX") == ["<r1@bloom.example>"]
    assert inbound(db) == [("<r1@bloom.example>", "failed", 1)]
    assert po_status(db, number) == "sent"

    assert open_exceptions(db) == []  # one failure: the next poll will likely do
    read_inbox(db, cfg, T0)
    read_inbox(db, cfg, T0)
    [(kind, message)] = open_exceptions(db)
    assert kind == "answer_unread" and "could not be processed 3 times" in message
    assert "It stays in the mailbox" in message

    monkeypatch.setattr(email_replies, "apply_answer", real)
    report = read_inbox(db, cfg, T0)
    assert len(report.processed) == 1 and report.failed == []
    assert po_status(db, number) == "shipped"
    assert inbound(db) == [("<r1@bloom.example>", "processed", 4)]
    assert open_exceptions(db) == []  # the failures' exception is resolved
    assert folder(imap_server, "INBOX") == []


def test_a_message_too_large_is_not_downloaded_but_raised(
    db: Database, imap_server: ImapServer
) -> None:
    cfg, number = setup(db, imap_server)
    assert cfg.inbox is not None
    cfg.inbox.max_message_bytes = 2_000
    deliver(imap_server, reply("Shipped 1Z999AA10123456784\n" + "x" * 5_000))
    report = read_inbox(db, cfg, T0)
    assert report.processed == []
    [(_, message)] = open_exceptions(db)
    assert (
        "more than inbox.max_message_bytes" in message
        and "Message-ID <r1@bloom.example>" in message
    )
    assert po_status(db, number) == "sent"


def test_without_a_processed_folder_replies_are_flagged_and_left(
    db: Database, imap_server: ImapServer
) -> None:
    cfg, _ = setup(db, imap_server)
    assert cfg.inbox is not None
    cfg.inbox.processed_folder = None
    deliver(imap_server, reply("Confirmed"))
    assert len(read_inbox(db, cfg, T0).processed) == 1
    assert folder(imap_server, "INBOX") == ["<r1@bloom.example>"]
    client = imap_server.client()
    try:
        client.select_folder("INBOX", readonly=True)
        [flags] = client.get_flags(client.search(["ALL"])).values()
    finally:
        client.logout()
    assert b"$TandemProcessed" in flags
    assert read_inbox(db, cfg, T0).processed == []  # not read again


def test_the_daemon_reads_the_inbox_on_its_own_schedule(
    db: Database, imap_server: ImapServer
) -> None:
    cfg, _ = setup(db, imap_server)
    assert cfg.inbox is not None
    cfg.inbox.every = cfg.inbox.every / 5  # a minute

    async def jobs() -> dict[str, float]:
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.start(paused=True)
        try:
            schedule(scheduler, Jobs(db, cfg), cfg)
            return {j.id: j.trigger.interval.total_seconds() for j in scheduler.get_jobs()}
        finally:
            scheduler.shutdown(wait=False)

    assert asyncio.run(jobs())["supplier_replies"] == 60


def test_confirming_a_change_message_acknowledges_that_revision(
    db: Database, imap_server: ImapServer
) -> None:
    cfg, number = setup(db, imap_server)
    with db.write() as conn:
        conn.execute(t.purchase_orders.update().values(revision=2))
    change = "<PO-00001.rev2.change@shop.example>"
    deliver(imap_server, reply("Change confirmed.", in_reply_to=change, subject="Re: Change"))
    report = read_inbox(db, cfg, T0)
    assert report.processed == [f"{number} revision 2 acknowledged by Bloom via email"]


def test_the_daemon_job_reads_the_replies(db: Database, imap_server: ImapServer) -> None:
    cfg, number = setup(db, imap_server)
    deliver(imap_server, reply("Confirmed"))
    asyncio.run(Jobs(db, cfg).supplier_replies())
    assert po_status(db, number) == "acknowledged"
    assert folder(imap_server, "INBOX") == []
