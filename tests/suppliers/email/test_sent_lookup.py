"""Email in doubt settled without a person: the PO's Message-ID looked up over IMAP (a real
dovecot) in the sending account's Sent folder, or in the mailbox of a BCC archive.

The SMTP server here (aiosmtpd) files every message it accepts in the Sent folder, as Gmail
and Microsoft 365 do, unless a test says otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from tandem.adapters.suppliers import make_channel
from tandem.adapters.suppliers.email import EmailChannel, message_id
from tandem.connector import leases, transmission
from tandem.connector.channels import (
    Channel,
    LookupUnsupported,
    PurchaseOrderDocument,
    SendResult,
    TransientError,
)
from tandem.connector.configuration import TandemConfig
from tandem.connector.services.dispatch import DispatchReport, dispatch
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.dispatch_support import open_exceptions, released, statuses
from tests.store.helpers import T0
from tests.suppliers.email.support import Recorder, back_to_back, channel, smtp_server
from tests.support.imap import PASSWORD, USER, ImapServer, dovecot, free_port
from tests.support.processes import dead_owner

ARCHIVE = "archive@shop.example"


@dataclass
class Filing(Recorder):
    """An SMTP server that files each message it accepts: in the sender's Sent folder
    (`sent`), and in the INBOX of `archive` when the archive is one of its recipients."""

    sent: ImapServer | None = None
    archive: ImapServer | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        if reply.startswith("250") and self.sent is not None:
            self.sent.append(raw)
        if reply.startswith("250") and self.archive is not None and ARCHIVE in envelope.rcpt_tos:
            self.archive.append(raw, "INBOX", user=ARCHIVE)
        return reply


@pytest.fixture
def filing(imap_server: ImapServer) -> Iterator[tuple[Filing, int]]:
    handler = Filing(sent=imap_server)
    with smtp_server(handler) as port:
        yield handler, port


def looking(port: int, imap: ImapServer, **settings: Any) -> EmailChannel:
    transport = settings.pop("transport", {})
    lookup = imap.sent_lookup(**settings)
    return channel(port, transport={"sent_lookup": lookup, **transport})


# --- The channel ---------------------------------------------------------------------------


def test_a_message_the_server_filed_in_sent_is_found(
    filing: tuple[Filing, int], imap_server: ImapServer
) -> None:
    _, port = filing
    email = looking(port, imap_server)
    document = back_to_back()
    asyncio.run(email.send(document))

    found = asyncio.run(email.lookup(document))
    assert found is not None
    assert found.reference == "<PO-00012.rev1.order@shop.example>"
    assert found.details["found_in"] == f"folder 'Sent' on IMAP server 127.0.0.1:{imap_server.port}"
    assert "X-Tandem-Key: 9f1c2d" in found.sent


def test_a_message_not_in_sent_was_never_accepted_when_the_server_files_it(
    filing: tuple[Filing, int], imap_server: ImapServer
) -> None:
    _, port = filing
    email = looking(port, imap_server)
    asyncio.run(email.send(back_to_back(number="PO-00120")))  # a longer number holding 0012
    assert asyncio.run(email.lookup(back_to_back())) is None


def test_absence_proves_nothing_where_copies_are_filed_after_acceptance(
    filing: tuple[Filing, int], imap_server: ImapServer
) -> None:
    _, port = filing
    for email in (
        looking(port, imap_server, append_to_sent=True),
        looking(port, imap_server, transport={"bcc_archive": ARCHIVE}),
        looking(port, imap_server, not_found="hold"),
    ):
        with pytest.raises(LookupUnsupported, match="its absence does not prove"):
            asyncio.run(email.lookup(back_to_back()))


def test_the_same_message_id_from_another_database_is_not_taken_for_this_po(
    filing: tuple[Filing, int], imap_server: ImapServer
) -> None:
    _, port = filing
    email = looking(port, imap_server)
    asyncio.run(email.send(back_to_back(idempotency_key="earlier-database")))
    with pytest.raises(LookupUnsupported, match="sent for another Tandem item"):
        asyncio.run(email.lookup(back_to_back()))


def test_an_imap_server_that_does_not_answer_is_asked_again_later(
    filing: tuple[Filing, int], imap_server: ImapServer
) -> None:
    _, port = filing
    email = looking(port, imap_server)
    imap_server.stop()
    with pytest.raises(TransientError, match=f"IMAP server 127.0.0.1:{imap_server.port}"):
        asyncio.run(email.lookup(back_to_back()))


def test_a_refused_login_or_a_missing_folder_cannot_tell(
    filing: tuple[Filing, int], imap_server: ImapServer
) -> None:
    _, port = filing
    wrong = looking(port, imap_server, password="not-the-password")
    with pytest.raises(LookupUnsupported, match=r"login as 'po@shop\.example' refused") as said:
        asyncio.run(wrong.lookup(back_to_back()))
    assert "not-the-password" not in str(said.value)
    missing = looking(port, imap_server, folder="Gesendet")
    with pytest.raises(LookupUnsupported, match="cannot open the folder"):
        asyncio.run(missing.lookup(back_to_back()))


def test_append_to_sent_files_tandems_own_copy(imap_server: ImapServer) -> None:
    handler = Filing()  # a server that keeps no copy
    with smtp_server(handler) as port:
        email = looking(port, imap_server, append_to_sent=True)
        result = asyncio.run(email.send(back_to_back()))
        assert asyncio.run(email.lookup(back_to_back())) is not None
    assert result.details["sent_copy"].startswith("filed in folder 'Sent'")
    [copy] = imap_server.messages()
    assert copy["Message-ID"] == "<PO-00012.rev1.order@shop.example>"


def test_a_copy_that_cannot_be_filed_does_not_fail_the_send(imap_server: ImapServer) -> None:
    handler = Filing()
    with smtp_server(handler) as port:
        email = looking(port, imap_server, append_to_sent=True, folder="Nowhere")
        result = asyncio.run(email.send(back_to_back()))
    assert len(handler.envelopes) == 1
    assert result.details["sent_copy"].startswith("not filed:")


def test_a_bcc_archive_gets_every_po_unseen_by_the_supplier(tmp_path: Path) -> None:
    with dovecot(tmp_path, {USER: PASSWORD, ARCHIVE: "archive-pw"}) as imap:
        handler = Filing(archive=imap)
        with smtp_server(handler) as port:
            email = looking(
                port, imap, user=ARCHIVE, folder="INBOX", transport={"bcc_archive": ARCHIVE}
            )
            asyncio.run(email.send(back_to_back()))
            assert asyncio.run(email.lookup(back_to_back())) is not None
        [envelope] = handler.envelopes
        assert ARCHIVE in envelope.rcpt_tos
        [received] = handler.messages()
        assert "Bcc" not in received and ARCHIVE not in received.as_string()


def test_without_sent_lookup_smtp_cannot_tell() -> None:
    with pytest.raises(LookupUnsupported, match=r"transport\.sent_lookup would look"):
        asyncio.run(channel(free_port()).lookup(back_to_back()))


def test_the_message_id_is_the_same_for_every_attempt_at_a_revision() -> None:
    first, again = back_to_back(idempotency_key="a"), back_to_back(idempotency_key="b")
    assert message_id(first, "shop.example") == message_id(again, "shop.example")


# --- Dispatch: a worker SIGKILLed while sending a PO by email --------------------------------


class WorkerKilled(BaseException):
    """The dispatching process died here: nothing after this point runs or is recorded."""


class KilledWhileSending:
    """The supplier's real email channel in a worker killed once it started transmitting:
    after the SMTP server accepted the message (`delivered`), or before a byte went out."""

    marks_transmission = True

    def __init__(self, inner: Channel, *, delivered: bool) -> None:
        self.inner, self.delivered = inner, delivered

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        if self.delivered:
            await self.inner.send(document)
        else:
            await transmission.transmitting()
        raise WorkerKilled

    async def lookup(self, document: PurchaseOrderDocument) -> SendResult | None:
        return await self.inner.lookup(document)


def email_config(db: Database, smtp_port: int, imap: ImapServer, **supplier: Any) -> TandemConfig:
    return released(
        db,
        smtp={"host": "127.0.0.1", "port": smtp_port, "from": "po@shop.example"},
        suppliers=[
            {
                "id": "bloom",
                "name": "Bloom",
                "mode": "drop_ship",
                "priority": 1,
                "release": {"immediate": True},
                "transport": {
                    "type": "email",
                    "to": "orders@bloom.example",
                    "sent_lookup": imap.sent_lookup(),
                },
                **supplier,
            }
        ],
    )


def crash_while_sending(db: Database, cfg: TandemConfig, *, delivered: bool) -> None:
    """A worker of this host sends the PO and is killed: its process is gone."""
    [supplier] = cfg.suppliers
    inner = make_channel(supplier, cfg)
    assert inner is not None
    dying = KilledWhileSending(inner, delivered=delivered)
    with pytest.raises(WorkerKilled):
        asyncio.run(
            dispatch(db, cfg, worker=dead_owner(), channels=lambda _s, _c: dying, now=lambda: T0)
        )


def restart(db: Database, cfg: TandemConfig) -> DispatchReport:
    """The restarted process, seconds later: it reclaims the dead worker's lease at once."""
    return asyncio.run(
        dispatch(
            db,
            cfg,
            worker=leases.owner(),
            channels=make_channel,
            now=lambda: T0 + timedelta(seconds=5),
        )
    )


def timeline(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.execute(select(t.events.c.message).order_by(t.events.c.id)).scalars())


def test_an_email_found_in_sent_after_a_crash_is_recorded_not_sent_again(
    db: Database, filing: tuple[Filing, int], imap_server: ImapServer
) -> None:
    handler, port = filing
    cfg = email_config(db, port, imap_server)
    crash_while_sending(db, cfg, delivered=True)
    assert len(handler.envelopes) == 1

    report = restart(db, cfg)
    assert report.sent == ["PO-00001 rev 1"] and not report.held
    assert len(handler.envelopes) == 1  # the SMTP server saw one message, not two
    assert statuses(db) == ["sent"] and open_exceptions(db) == []
    assert any(
        "found in folder 'Sent' on IMAP server" in line and "after an interrupted attempt" in line
        for line in timeline(db)
    )


def test_an_email_absent_from_sent_after_a_crash_goes_out_once(
    db: Database, filing: tuple[Filing, int], imap_server: ImapServer
) -> None:
    handler, port = filing
    cfg = email_config(db, port, imap_server)
    crash_while_sending(db, cfg, delivered=False)
    assert handler.envelopes == []

    report = restart(db, cfg)
    assert report.sent == ["PO-00001 rev 1"]
    [message] = handler.messages()
    assert message["Message-ID"] == "<PO-00001.rev1.order@shop.example>"
    assert statuses(db) == ["sent"] and open_exceptions(db) == []


def test_an_email_in_doubt_is_held_when_the_imap_server_is_down(
    db: Database, filing: tuple[Filing, int], imap_server: ImapServer
) -> None:
    handler, port = filing
    cfg = email_config(db, port, imap_server, attempt_budget=1)
    crash_while_sending(db, cfg, delivered=True)
    imap_server.stop()

    report = restart(db, cfg)
    assert report.sent == [] and len(handler.envelopes) == 1
    [exception] = open_exceptions(db)
    assert exception.kind == "send_in_doubt"
    assert "asking the supplier kept failing" in exception.message
    assert f"IMAP server 127.0.0.1:{imap_server.port}" in exception.message


def test_with_attempts_left_an_unreachable_imap_server_is_asked_again(
    db: Database, filing: tuple[Filing, int], imap_server: ImapServer
) -> None:
    handler, port = filing
    cfg = email_config(db, port, imap_server, attempt_budget=3)
    crash_while_sending(db, cfg, delivered=True)
    imap_server.stop()
    report = restart(db, cfg)
    assert report.retried and open_exceptions(db) == []
    with db.read() as conn:
        assert conn.execute(select(t.outbox.c.in_doubt)).scalar_one()
    assert len(handler.envelopes) == 1
