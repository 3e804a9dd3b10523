"""The demo's supplier mailbox: real SMTP in, one .eml file per message out."""

from __future__ import annotations

import email
import email.policy
import re
import smtplib
import threading
from email.message import EmailMessage
from pathlib import Path

import pytest

from tandem.connector.demo.mailbox import Mailbox, MailboxHandler, message_id_part


def message(number: int, message_id: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Purchasing <purchasing@demo-garden.example>"
    msg["To"] = "orders@greenleaf-wholesale.example"
    msg["Subject"] = f"Purchase order PO-{number:05d}"
    if message_id is not None:
        msg["Message-ID"] = message_id
    msg.set_content(f"Please supply PO-{number:05d}.\n")
    msg.add_attachment(b"%PDF-1.4 demo", maintype="application", subtype="pdf", filename="po.pdf")
    return msg


def test_every_message_becomes_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "mailbox"
    with Mailbox(folder) as mailbox:
        assert mailbox.running and mailbox.port > 0
        with smtplib.SMTP("127.0.0.1", mailbox.port, timeout=10) as smtp:
            smtp.send_message(message(1, "<po-00001.r1@tandem.demo-garden.example>"))
            smtp.send_message(
                message(2, "<po-00002.r1@tandem.demo-garden.example>"),
                to_addrs=["trade@hortus-supplies.example", "copy@demo-garden.example"],
            )
            smtp.send_message(message(3))  # no Message-ID: a generated name
        files = mailbox.messages()
    assert not mailbox.running
    assert [p.name for p in sorted(folder.iterdir())] == [p.name for p in files]  # no temps
    assert len(files) == 3
    pattern = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-[A-Za-z0-9._-]+\.eml$")
    assert all(pattern.match(p.name) for p in files), [p.name for p in files]
    assert files[0].name.endswith("-po-00001.r1.eml")
    assert files[1].name.endswith("-po-00002.r1.eml")

    parsed = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]
    assert parsed[0]["Subject"] == "Purchase order PO-00001"
    assert parsed[0]["Return-Path"] == "<purchasing@demo-garden.example>"
    assert parsed[0].get_all("Delivered-To") == ["orders@greenleaf-wholesale.example"]
    assert parsed[1].get_all("Delivered-To") == [
        "trade@hortus-supplies.example",
        "copy@demo-garden.example",
    ]
    [attachment] = list(parsed[1].iter_attachments())
    assert attachment.get_filename() == "po.pdf"
    assert attachment.get_payload(decode=True) == b"%PDF-1.4 demo"


def test_same_second_same_id_never_overwrites(tmp_path: Path) -> None:
    handler = MailboxHandler(tmp_path)
    raw = message(7, "<same@x>").as_bytes()
    threads = [threading.Thread(target=handler.write, args=(raw,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(list(tmp_path.glob("*.eml"))) == 8
    assert not list(tmp_path.glob(".*"))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("<abc.123@host>", "abc.123"),
        ("<../../etc/passwd@evil>", "etc_passwd"),
        ("  <a b/c@d>  ", "a_b_c"),
    ],
)
def test_message_id_part_is_safe_in_a_file_name(header: str, expected: str) -> None:
    raw = f"Message-ID: {header}\r\nSubject: x\r\n\r\nbody\r\n".encode()
    assert message_id_part(raw) == expected


def test_without_a_message_id_a_fresh_one() -> None:
    first = message_id_part(b"Subject: x\r\n\r\nbody\r\n")
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert message_id_part(b"Subject: x\r\n\r\nbody\r\n") != first


def test_a_mailbox_on_a_chosen_port_restarts(tmp_path: Path) -> None:
    mailbox = Mailbox(tmp_path).start()
    port = mailbox.port
    mailbox.stop()
    with pytest.raises(RuntimeError):
        _ = mailbox.port
    again = Mailbox(tmp_path, port=port).start()
    try:
        assert again.port == port
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message(9, "<nine@x>"))
        assert [p.name.split("-", 1)[1] for p in again.messages()] == ["nine.eml"]
    finally:
        again.stop()
