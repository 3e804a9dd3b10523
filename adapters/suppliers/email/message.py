"""One PO document as an email: headers, Message-ID, text and HTML bodies, PDF and CSV.

The Message-ID is the email channel's idempotency key (DESIGN §3.3-4): it is made from the PO
number, revision and kind alone, `<PO-00012.rev2.change@shop.example>`, so a resend of the
same revision carries the same Message-ID and the supplier's mail client shows one message.
Change and cancel messages reply to the original order (`<PO-00012.rev1.order@...>`) so they
land in the same thread. `X-Tandem-Key` carries the outbox item's idempotency key, so a
lookup in the Sent folder tells this message from one an earlier database sent under the
same PO number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from tandem.adapters.suppliers import csvfile
from tandem.adapters.suppliers.email import render
from tandem.connector.channels import PurchaseOrderDocument
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.configuration.transports import EmailTransport

# RFC 5322 dot-atom text: what may stand on either side of the @ of a Message-ID.
_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]")


def _atom(text: str) -> str:
    return _NOT_ATEXT.sub("_", text).strip(".") or "_"


def sender_address(from_header: str) -> str:
    """The bare address of `from` (`Purchasing <po@shop.example>` -> `po@shop.example`)."""
    return parseaddr(from_header)[1] or from_header.strip()


def domain_of(from_header: str) -> str:
    address = sender_address(from_header)
    return _atom(address.rpartition("@")[2] or "localhost")


def message_id(document: PurchaseOrderDocument, domain: str, kind: str | None = None) -> str:
    """`<{number}.rev{revision}.{kind}@{domain}>`. A test message adds the idempotency key, so
    two tests a person asked for are two messages (mail clients drop a repeated Message-ID)."""
    kind = kind or document.kind
    revision = 1 if kind == "order" and document.kind != "order" else document.revision
    left = f"{_atom(document.number)}.rev{revision}.{kind}"
    if kind == "test" and document.idempotency_key:
        left += f".{_atom(document.idempotency_key)}"
    return f"<{left}@{domain}>"


def original_message_id(document: PurchaseOrderDocument, domain: str) -> str:
    """The Message-ID of the PO's first sending, which changes and cancellations answer."""
    return message_id(document, domain, kind="order")


def file_name(document: PurchaseOrderDocument, extension: str) -> str:
    """`PO-00012.pdf` for the first revision, `PO-00012-rev2.pdf` after it."""
    stem = (
        document.number if document.revision <= 1 else f"{document.number}-rev{document.revision}"
    )
    return f"{safe_file_name(stem)}.{extension}"


def safe_file_name(text: str) -> str:
    """`text` usable as one file name anywhere: a `/` in a PO number never makes a folder."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text).strip(".") or "_"


def message_file_name(identifier: str, extension: str) -> str:
    """`PO-00012.rev2.change.eml` for `<PO-00012.rev2.change@shop.example>`: the Message-ID's
    unique part, so each message has a file of its own and a resend finds the same one."""
    local = identifier.strip().strip("<>").rpartition("@")[0] or identifier
    return f"{safe_file_name(local)}.{extension}"


def compose(
    document: PurchaseOrderDocument,
    *,
    from_header: str,
    transport: EmailTransport,
    supplier: SupplierConfig,
    renderer: render.Renderer,
    csv_columns: Sequence[str],
) -> EmailMessage:
    """The complete message for `document`, ready to send."""
    blind = document.blind_ship
    attachments: list[tuple[str, bytes, str, str]] = []
    if transport.attach_pdf:
        # The PDF library (fpdf2, fontTools) only here: `tandem config check` builds every
        # channel and sends nothing (issue 14).
        from tandem.adapters.suppliers.email import pdf

        content = pdf.render_pdf(document, supplier_name=supplier.name, blind=blind)
        attachments.append((file_name(document, "pdf"), content, "application", "pdf"))
    # A cancellation has nothing to import: a CSV of its lines could be read as an order.
    if transport.attach_csv and document.kind != "cancel":
        content = csvfile.render_csv(document, csv_columns)
        attachments.append((file_name(document, "csv"), content, "text", "csv"))

    values = render.context(
        document,
        supplier,
        attachments=[name for name, *_ in attachments],
        reply_to=transport.reply_to,
    )
    subject = renderer.subject(values)
    values["subject"] = subject
    domain = domain_of(from_header)

    message = EmailMessage()
    message["From"] = from_header
    message["To"] = [_address(a) for a in transport.to]
    if transport.cc:
        message["Cc"] = [_address(a) for a in transport.cc]
    if transport.reply_to:
        message["Reply-To"] = transport.reply_to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(document, domain)
    if document.kind in ("change", "cancel"):
        original = original_message_id(document, domain)
        message["In-Reply-To"] = original
        message["References"] = original
    message["X-Tandem-PO"] = document.number
    message["X-Tandem-Revision"] = str(document.revision)
    message["X-Tandem-Kind"] = document.kind
    if document.idempotency_key:
        message["X-Tandem-Key"] = document.idempotency_key
    # Quoted-printable keeps the message 7-bit: any server takes it, 8BITMIME or not.
    message.set_content(renderer.text(values), cte="quoted-printable")
    message.add_alternative(renderer.html(values), subtype="html", cte="quoted-printable")
    for name, content, maintype, subtype in attachments:
        # Text says its charset: without one it is US-ASCII (RFC 2046), and a mail client
        # shows every accented or CJK name as U+FFFD.
        params = {"charset": "utf-8"} if maintype == "text" else None
        message.add_attachment(
            content, maintype=maintype, subtype=subtype, filename=name, params=params
        )
    return message


def _address(text: str) -> Address:
    name, address = parseaddr(text)
    return Address(display_name=name, addr_spec=address or text)
