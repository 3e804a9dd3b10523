"""A PO reaches a real SMTP server as the supplier would read it: headers, bodies, PDF, CSV."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tandem.adapters.suppliers.email import EmailSetupError, pdf
from tandem.connector.channels import LookupUnsupported, PermanentError
from tandem.connector.postal import postal_lines
from tests.suppliers.email.support import (
    CC,
    CUSTOMER,
    REPLY_TO,
    TO,
    WAREHOUSE,
    Recorder,
    attachments,
    back_to_back,
    change_of,
    channel,
    csv_rows,
    drop_ship,
    html_body,
    pdf_text,
    smtp_server,
    text_body,
)


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    with smtp_server(handler) as port:
        yield handler, port


def test_a_back_to_back_po_is_delivered_with_bodies_pdf_and_csv(server: tuple[Recorder, int]):
    handler, port = server
    result = asyncio.run(channel(port).send(back_to_back()))

    (envelope,) = handler.envelopes
    assert envelope.mail_from == "po@shop.example"
    assert envelope.rcpt_tos == [*TO, *CC]
    (message,) = handler.messages()
    assert message["To"] == ", ".join(TO)
    assert message["Cc"] == ", ".join(CC)
    assert message["Reply-To"] == REPLY_TO
    assert message["Subject"] == "Purchase order PO-00012 from Tandem Shop"
    assert message["Message-ID"] == "<PO-00012.rev1.order@shop.example>"
    assert message["X-Tandem-PO"] == "PO-00012"
    assert message["X-Tandem-Revision"] == "1"
    assert message["In-Reply-To"] is None

    text = text_body(message)
    assert "Dear ACME Supplies" in text
    assert "Your SKU: ACME-123" in text
    assert "Quantity: 5" in text
    assert "Unit cost: 12.50 EUR    Line total: 62.50 EUR" in text
    assert "Total: 100.90 EUR" in text
    assert "Deliver to:" in text
    assert "Lagerstraße 7" in text
    assert "#1001, #1002" in text
    html = html_body(message)
    assert "<td" in html and "ACME-456" in html and "38.40 EUR" in html

    files = attachments(message)
    assert sorted(files) == ["PO-00012.csv", "PO-00012.pdf"]
    printed = pdf_text(files["PO-00012.pdf"])
    for expected in ["PO-00012", "ACME-123", "ACME-456", "Blue widget", "#1001", "100.90"]:
        assert expected in printed
    for ship_to_line in postal_lines(WAREHOUSE):  # laid out as Germany writes it
        assert ship_to_line in printed
    rows = csv_rows(files["PO-00012.csv"])
    assert list(rows[0]) == [
        "kind",
        "po_number",
        "revision",
        "supplier_sku",
        "sku",
        "name",
        "quantity",
        "unit_cost",
    ]
    assert [(r["supplier_sku"], r["quantity"], r["unit_cost"]) for r in rows] == [
        ("ACME-123", "5", "12.50"),
        ("ACME-456", "12", "3.20"),
    ]
    assert {(r["kind"], r["revision"]) for r in rows} == {("order", "1")}  # never a change

    assert result.reference == "<PO-00012.rev1.order@shop.example>"
    assert result.details["to"] == TO
    assert result.details["message_id"] == result.reference
    assert result.details["attachments"] == ["PO-00012.pdf", "PO-00012.csv"]
    assert "Message-ID: <PO-00012.rev1.order@shop.example>" in result.sent
    assert 'filename="PO-00012.pdf"' in result.sent


def test_a_drop_ship_po_shows_the_customer_address_everywhere(server: tuple[Recorder, int]):
    handler, port = server
    columns = ["po_number", "supplier_sku", "quantity", "ship_to_name", "ship_to_address1"]
    columns += ["ship_to_city", "ship_to_zip", "ship_to_country", "line_total", "currency"]
    asyncio.run(channel(port, transport={"csv_columns": columns}).send(drop_ship()))

    (message,) = handler.messages()
    text = text_body(message)
    assert "ship them directly to our customer" in text
    assert "Ship to our customer:\n  Zoë Łukasiewicz\n  12 Rue de l’Église\n  75001 Paris" in text
    assert "Zoë Łukasiewicz" in html_body(message)
    files = attachments(message)
    printed = pdf_text(files["PO-00013.pdf"])
    assert "Ship to (our customer)" in printed
    for ship_to_line in postal_lines(CUSTOMER):  # as France writes it
        assert ship_to_line in printed
    rows = csv_rows(files["PO-00013.csv"])
    assert list(rows[0]) == columns
    assert rows[0]["ship_to_name"] == "Zoë Łukasiewicz"
    assert (rows[0]["ship_to_zip"], rows[0]["ship_to_country"]) == ("75001", "FR")
    assert [r["line_total"] for r in rows] == ["62.50", "38.40"]


def test_blind_ship_leaves_every_price_out(server):
    handler, port = server
    columns = ["po_number", "supplier_sku", "quantity", "unit_cost", "line_total", "currency"]
    document = drop_ship(blind_ship=True)
    asyncio.run(channel(port, transport={"csv_columns": columns}).send(document))

    (message,) = handler.messages()
    files = attachments(message)
    printed = pdf_text(files["PO-00013.pdf"])
    rows = csv_rows(files["PO-00013.csv"])
    assert list(rows[0]) == ["po_number", "supplier_sku", "quantity", "currency"]
    for shown in (text_body(message), html_body(message), printed):
        assert "ACME-123" in shown and "Zoë Łukasiewicz" in shown
        for price in ("12.50", "62.50", "100.90", "3.20", "Unit cost", "Total"):
            assert price not in shown


def test_a_change_says_old_and_new_quantity_per_line_and_answers_the_order(server):
    handler, port = server
    asyncio.run(channel(port).send(change_of(back_to_back())))

    (message,) = handler.messages()
    assert message["Subject"] == "Change to purchase order PO-00012 (revision 2)"
    assert message["Message-ID"] == "<PO-00012.rev2.change@shop.example>"
    assert message["In-Reply-To"] == "<PO-00012.rev1.order@shop.example>"
    assert message["References"] == "<PO-00012.rev1.order@shop.example>"
    assert message["X-Tandem-Revision"] == "2"
    text = text_body(message)
    assert "- ACME-123 Blue widget: quantity 5 → 3. Reason: customer changed the order" in text
    assert "- ACME-456 Gadget: quantity 12 → 0 (line cancelled). Reason: refunded" in text
    assert "The purchase order now reads:" in text
    assert "5 → 3" in html_body(message)
    files = attachments(message)
    assert sorted(files) == ["PO-00012-rev2.csv", "PO-00012-rev2.pdf"]
    printed = pdf_text(files["PO-00012-rev2.pdf"])
    assert "5 → 3" in printed and "customer changed the order" in printed
    assert [r["quantity"] for r in csv_rows(files["PO-00012-rev2.csv"])] == ["3"]


def test_a_cancellation_asks_not_to_ship(server):
    handler, port = server
    document = change_of(back_to_back())
    cancel = document.__class__(**{**document.__dict__, "kind": "cancel", "revision": 3})
    asyncio.run(channel(port, transport={"attach_pdf": False}).send(cancel))

    (message,) = handler.messages()
    assert message["Subject"] == "Cancellation of purchase order PO-00012"
    assert message["Message-ID"] == "<PO-00012.rev3.cancel@shop.example>"
    assert message["In-Reply-To"] == "<PO-00012.rev1.order@shop.example>"
    assert "please cancel purchase order PO-00012 and do not ship it" in text_body(message)
    # No CSV: a supplier importing it could take the cancelled lines for an order.
    assert attachments(message) == {}
    assert "Attached" not in text_body(message)


def test_the_same_revision_sent_twice_has_the_same_message_id(server):
    handler, port = server
    email_channel = channel(port, transport={"attach_pdf": False})
    first = asyncio.run(email_channel.send(back_to_back()))
    second = asyncio.run(email_channel.send(back_to_back(idempotency_key="another-attempt")))

    ids = [m["Message-ID"] for m in handler.messages()]
    assert ids == ["<PO-00012.rev1.order@shop.example>"] * 2
    assert first.reference == second.reference


def test_a_test_message_is_marked_in_subject_and_body(server):
    handler, port = server
    asyncio.run(channel(port).send(back_to_back(kind="test")))

    (message,) = handler.messages()
    assert message["Subject"] == "Test message from Tandem — please ignore"
    assert message["Message-ID"] == "<PO-00012.rev1.test.9f1c2d@shop.example>"
    assert "TEST MESSAGE FROM TANDEM - PLEASE IGNORE" in text_body(message)
    assert "Do not ship anything" in html_body(message)
    assert "TEST" in pdf_text(attachments(message)["PO-00012.pdf"])


def test_templates_and_subject_can_be_replaced_per_supplier(server, tmp_path: Path):
    handler, port = server
    (tmp_path / "po.html").write_text(
        "<p>{{ po.number }} for {{ ship_to.name }}</p>{% for l in lines %}<i>{{ l.supplier_sku }}"
        "</i>{% endfor %}",
        encoding="utf-8",
    )
    (tmp_path / "po.txt").write_text(
        "Order {{ po.number }}: {% for l in lines %}{{ l.quantity }}x{{ l.supplier_sku }} "
        "{% endfor %}total {{ total | money(currency) }}",
        encoding="utf-8",
    )
    templates = {
        "html": tmp_path / "po.html",
        "text": tmp_path / "po.txt",
        "subject": "Bestellung {{ po.number }} / {{ supplier.name }}",
    }
    document = back_to_back(ship_to=WAREHOUSE.__class__(name="<Müller & Söhne>"))
    transport = {"templates": templates, "attach_pdf": False}
    asyncio.run(channel(port, transport=transport).send(document))

    (message,) = handler.messages()
    assert message["Subject"] == "Bestellung PO-00012 / ACME Supplies"
    assert text_body(message) == "Order PO-00012: 5xACME-123 12xACME-456 total 100.90 EUR\n"
    assert "<p>PO-00012 for &lt;Müller &amp; Söhne&gt;</p><i>ACME-123</i>" in html_body(message)


def test_a_replaced_subject_still_marks_a_test(server):
    handler, port = server
    transport = {"templates": {"subject": "Bestellung {{ po.number }}"}, "attach_pdf": False}
    asyncio.run(channel(port, transport=transport).send(back_to_back(kind="test")))
    assert handler.messages()[0]["Subject"] == "[TEST] Bestellung PO-00012"


def test_attachments_can_be_switched_off(server):
    handler, port = server
    transport = {"attach_pdf": False, "attach_csv": False}
    asyncio.run(channel(port, transport=transport).send(back_to_back()))
    (message,) = handler.messages()
    assert attachments(message) == {}
    assert "Attached" not in text_body(message)


def test_settings_that_cannot_make_a_message_fail_when_the_channel_is_made(tmp_path: Path):
    with pytest.raises(EmailSetupError, match=r"unknown CSV column 'price' \(choose from po_nu"):
        channel(1, transport={"csv_columns": ["po_number", "price"]})
    broken = tmp_path / "broken.html"
    broken.write_text("<p>{{ po.number }</p>", encoding="utf-8")
    with pytest.raises(EmailSetupError, match=rf"{broken}:1: unexpected '}}'"):
        channel(1, transport={"templates": {"html": broken}})
    with pytest.raises(PermanentError, match=r"cannot read template .*missing\.txt"):
        channel(1, transport={"templates": {"text": tmp_path / "missing.txt"}})
    with pytest.raises(EmailSetupError, match=r"smtp\.from: .* is not an email address"):
        channel(1, smtp={"from": "po@shop.example\nBcc: everyone@example.com"})


def test_a_template_naming_something_unknown_fails_the_send_permanently(tmp_path: Path):
    (tmp_path / "po.txt").write_text("{{ po.nmuber }}", encoding="utf-8")
    email_channel = channel(1, transport={"templates": {"text": tmp_path / "po.txt"}})
    with pytest.raises(EmailSetupError, match=r"po\.txt: cannot render: .*nmuber"):
        asyncio.run(email_channel.send(back_to_back()))


def test_the_pdf_falls_back_to_a_core_font_without_losing_text(monkeypatch):
    monkeypatch.setattr(pdf, "unicode_font", lambda: None)
    content = pdf.render_pdf(change_of(drop_ship()), supplier_name="ACME", blind=False)
    printed = pdf_text(content)
    assert "Zoë Lukasiewicz" in printed  # Ł is not Latin-1: the accent goes, the letter stays
    assert "12 Rue de l'Eglise" in printed or "12 Rue de l'Église" in printed
    assert "5 -> 3" in printed


def test_lookup_cannot_tell():
    with pytest.raises(LookupUnsupported, match="PO-00012 revision 1"):
        asyncio.run(channel(1).lookup(back_to_back()))


def test_the_csv_says_it_is_utf8_so_a_mail_client_reads_every_name(
    server: tuple[Recorder, int],
) -> None:
    from dataclasses import replace

    from tests.suppliers.email.support import LINES

    handler, port = server
    lines = (replace(LINES[0], name="Gießkanne 如雨露"), *LINES[1:])
    asyncio.run(channel(port).send(back_to_back(lines=lines)))
    (message,) = handler.messages()
    (part,) = [p for p in message.iter_attachments() if p.get_filename() == "PO-00012.csv"]
    assert part.get_content_type() == "text/csv"
    assert part.get_content_charset() == "utf-8"
    decoded = part.get_content()  # what a standard client's decoder shows: str, by charset
    assert "Gießkanne 如雨露" in decoded
    assert "\ufffd" not in decoded
