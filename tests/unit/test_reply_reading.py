"""Reading a supplier's reply, without a mailbox: what counts as the supplier's own words,
which numbers are tracking numbers, which phrases answer, who speaks for a supplier — and
that whatever is not clear is reported as unread, never guessed."""

from __future__ import annotations

from email.message import EmailMessage

from tandem.adapters.suppliers.email.reply_message import parse_reply
from tandem.connector.configuration.answers import SupplierReplies
from tandem.connector.services.email_replies import speaks_for
from tandem.connector.services.reply_reading import PoLine, Reply, read_reply
from tandem.connector.services.supplier_answers import Confirm, Refuse, Ship
from tests.conftest import make_config

LINES = [PoLine("ROSE", "BL-ROSE"), PoLine("TULIP", "BL-TULIP")]
WORDS = SupplierReplies()


def said(text: str, subject: str = "Re: Purchase order PO-00001") -> Reply:
    return Reply(
        identity="<x@bloom.example>", sender="orders@bloom.example", subject=subject, text=text
    )


def raw(body: str, *, message_id: str | None = "<m@b.example>") -> bytes:
    message = EmailMessage()
    message["From"] = "Bloom <orders@bloom.example>"
    message["Subject"] = "Re: PO-00001"
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


def test_only_the_suppliers_own_words_are_read_not_the_po_it_quotes() -> None:
    outlook = raw(
        "Confirmed.\n\n________________________________\nFrom: Purchasing <po@shop.example>\n"
        "Sent: Friday\nSubject: PO-00001\n\nTULIP is out of stock? Please reply to confirm."
    )
    assert parse_reply(outlook, 10_000).text == "Confirmed."
    message = EmailMessage()
    message["From"] = "Bloom <orders@bloom.example>"
    message.set_content("<p>We confirm.</p><blockquote>unavailable</blockquote>", subtype="html")
    assert parse_reply(message.as_bytes(), 10_000).text == "We confirm."
    gmail = EmailMessage()
    gmail.set_content(
        "<div>Shipped, UPS 1Z999AA10123456784</div><div class='gmail_quote'><div>On Friday"
        " wrote:</div><blockquote>BL-TULIP out of stock</blockquote></div><div>Jo</div>",
        subtype="html",
    )
    assert parse_reply(gmail.as_bytes(), 10_000).text == "Shipped, UPS 1Z999AA10123456784\n\nJo"


def test_a_message_without_message_id_is_known_by_its_digest() -> None:
    reply = parse_reply(raw("Confirmed", message_id=None), 10_000)
    assert reply.identity.startswith("sha256:") and reply.message_id is None
    assert reply.identity == parse_reply(raw("Confirmed", message_id=None), 10_000).identity


def test_digits_alone_are_a_tracking_number_only_where_the_line_speaks_of_one() -> None:
    phone = read_reply(
        said("Confirmed. Call me on 123456789012 if needed."), "PO-00001", LINES, WORDS
    )
    assert phone.actions == [Confirm()]
    fedex = read_reply(said("FedEx tracking: 123456789012"), "PO-00001", LINES, WORDS)
    [ship] = fedex.actions
    assert isinstance(ship, Ship) and ship.tracking_numbers == ("123456789012",)
    assert ship.carrier == "FedEx" and ship.tracking_urls


def test_a_confirmation_that_promises_tracking_later_is_a_confirmation() -> None:
    assert read_reply(said("Confirmed, tracking to follow."), "PO-00001", LINES, WORDS).actions == [
        Confirm()
    ]
    unread = read_reply(said("Tracking: ABC-NOT-A-NUMBER"), "PO-00001", LINES, WORDS)
    assert unread.unread == "it speaks of tracking, but names no tracking number Tandem knows"


def test_a_partial_refusal_with_a_confirmation_refuses_the_named_line_and_confirms() -> None:
    reading = read_reply(
        said("Order confirmed, but TULIP is out of stock."), "PO-00001", LINES, WORDS
    )
    assert reading.actions == [
        Refuse(("TULIP",), "Order confirmed, but TULIP is out of stock."),
        Confirm(),
    ]


def test_contradictions_are_not_guessed() -> None:
    both = read_reply(said("Out of stock. Shipped 1Z999AA10123456784"), "PO-00001", LINES, WORDS)
    assert both.unread is not None and "without naming a SKU" in both.unread
    negated = read_reply(said("Sorry, we cannot confirm this order"), "PO-00001", LINES, WORDS)
    assert negated.actions == [] and negated.unread is not None


def test_the_subject_can_carry_the_answer() -> None:
    reading = read_reply(said("", subject="Re: PO-00001 confirmed"), "PO-00001", LINES, WORDS)
    assert reading.actions == [Confirm()]


def test_who_speaks_for_a_supplier() -> None:
    cfg = make_config(
        {
            "smtp": {"host": "localhost"},
            "suppliers": [
                {
                    "id": "gm",
                    "name": "Gmail Gardens",
                    "transport": {"type": "email", "to": "gg@gmail.com"},
                },
                {
                    "id": "acme",
                    "name": "Acme",
                    "transport": {"type": "email", "to": "po@acme.example"},
                    "replies": {"senders": ["acme.example", "owner@gmail.com"]},
                },
            ],
        }
    )
    gm, acme = cfg.suppliers
    assert speaks_for("gg@gmail.com", gm) and not speaks_for("someone@gmail.com", gm)
    assert speaks_for("ship@eu.acme.example", acme) and speaks_for("owner@gmail.com", acme)
    assert not speaks_for("po@acme.example.evil", acme) and not speaks_for("", acme)
