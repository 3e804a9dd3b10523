"""What the email channel tests share: a real SMTP server (aiosmtpd) on a loopback port that
keeps what it receives, PO documents to send, and readers for the message, PDF and CSV."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pypdf import PdfReader

from tandem.adapters.suppliers.email import EmailChannel
from tandem.connector.channels import DocumentChange, DocumentLine, Party, PurchaseOrderDocument
from tandem.connector.configuration.model import SmtpConfig, SupplierConfig
from tandem.connector.configuration.transports import EmailTransport

FROM = "Tandem Shop purchasing <po@shop.example>"
TO = ["orders@acme.example", "desk@acme.example"]
CC = ["buyer@shop.example"]
REPLY_TO = "buyer@shop.example"

WAREHOUSE = Party(
    name="Main warehouse",
    company="Tandem Shop",
    address1="Lagerstraße 7",
    city="Berlin",
    zip="10115",
    country="Germany",
    country_code="DE",
    email="buyer@shop.example",
)
CUSTOMER = Party(
    name="Zoë Łukasiewicz",
    address1="12 Rue de l’Église",
    city="Paris",
    zip="75001",
    country="France",
    country_code="FR",
    phone="+33 1 23 45 67 89",
)
LINES = (
    DocumentLine(
        sku="W-1",
        supplier_sku="ACME-123",
        name="Blue widget",
        quantity=5,
        unit_cost=Decimal("12.5"),
    ),
    DocumentLine(
        sku="G-2", supplier_sku="ACME-456", name="Gadget", quantity=12, unit_cost=Decimal("3.20")
    ),
)


def back_to_back(**changes: Any) -> PurchaseOrderDocument:
    document = PurchaseOrderDocument(
        kind="order",
        number="PO-00012",
        revision=1,
        supplier_id="acme",
        supplier_name="ACME Supplies",
        mode="back_to_back",
        currency="EUR",
        buyer=WAREHOUSE,
        ship_to=WAREHOUSE,
        lines=LINES,
        issued_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
        idempotency_key="9f1c2d",
        order_names=("#1001", "#1002"),
    )
    return replace(document, **changes)


def drop_ship(**changes: Any) -> PurchaseOrderDocument:
    fields = {"mode": "drop_ship", "number": "PO-00013", "ship_to": CUSTOMER}
    return back_to_back(**{**fields, "order_names": ("#1003",), **changes})


def change_of(document: PurchaseOrderDocument) -> PurchaseOrderDocument:
    """Revision 2: the widget line reduced from 5 to 3, the gadget line cancelled."""
    widget, _gadget = document.lines
    return replace(
        document,
        kind="change",
        revision=2,
        lines=(replace(widget, quantity=3),),
        changes=(
            DocumentChange("reduce", "ACME-123", "Blue widget", 5, 3, "customer changed the order"),
            DocumentChange("cancel_line", "ACME-456", "Gadget", 12, 0, "refunded"),
        ),
    )


def channel(
    port: int,
    *,
    smtp: dict[str, Any] | None = None,
    transport: dict[str, Any] | None = None,
    supplier: dict[str, Any] | None = None,
    **kwargs: Any,
) -> EmailChannel:
    smtp_config = SmtpConfig.model_validate(
        {"host": "127.0.0.1", "port": port, "from": FROM, "timeout_seconds": 5, **(smtp or {})}
    )
    transport_config = EmailTransport.model_validate(
        {"type": "email", "to": TO, "cc": CC, "reply_to": REPLY_TO, **(transport or {})}
    )
    supplier_config = SupplierConfig.model_validate(
        {"id": "acme", "name": "ACME Supplies", **(supplier or {})}
    )
    return EmailChannel(smtp_config, transport_config, supplier_config, **kwargs)


@dataclass
class Recorder:
    """An aiosmtpd handler keeping every envelope; `rcpt_reply`/`data_reply` make it refuse."""

    envelopes: list[Envelope] = field(default_factory=list)
    authenticated: list[bool] = field(default_factory=list)
    rcpt_reply: str | None = None
    refuse: set[str] = field(default_factory=set)  # addresses refused with rcpt_reply
    data_reply: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.rcpt_reply and (not self.refuse or address in self.refuse):
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        self.envelopes.append(envelope)
        self.authenticated.append(bool(session.authenticated))
        return "250 2.0.0 queued as 4F2A"

    def messages(self) -> list[EmailMessage]:
        return [parse(e.original_content or e.content) for e in self.envelopes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(handler: Recorder, **smtp_parameters: Any) -> Iterator[int]:
    """A real SMTP server on 127.0.0.1; yields its port."""
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        server_hostname="mx.acme.example",
        **smtp_parameters,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_body(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def attachments(message: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in message.iter_attachments():
        name = part.get_filename()
        assert name is not None
        found[name] = part.get_payload(decode=True)
    return found


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
