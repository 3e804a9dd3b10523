"""A supplier's reply as raw RFC 5322 bytes, read down to a `Reply`: who sent it, which
messages it answers, what the supplier wrote, and its shipment CSVs.

What the supplier wrote is the plain-text body (else the HTML one, as text) without what it
quotes: lines starting with `>`, and everything from the first "On … wrote:", "-----Original
Message-----", Outlook "From:" block or signature separator on; in HTML, `<blockquote>` and
Gmail's quote. The PO email it answers says "reply to confirm" and lists every SKU, so a
quoted PO must never be read as the supplier's words.

Bounds: the text is cut at `MAX_TEXT` characters, at most `MAX_ATTACHMENTS` CSVs are kept,
and a CSV larger than `inbox.max_attachment_bytes` is not read: the reply then carries a
problem, and becomes an exception rather than half an answer.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import replace
from email.message import EmailMessage, Message
from email.utils import parseaddr
from html.parser import HTMLParser

from tandem.connector.services.reply_reading import Attachment, Reply

MAX_TEXT = 100_000
MAX_ATTACHMENTS = 10
MAX_REFERENCES = 50
MAX_IDENTITY = 200  # a longer Message-ID is known by its digest
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,500}>")
_QUOTE_STARTS = re.compile(
    r"^\s*(on\b.{0,300}\bwrote:|am\b.{0,300}\bschrieb.{0,100}:|le\b.{0,300}\ba écrit\s*:"
    r"|-{2,}\s*original message\s*-{2,}|_{8,}|from:\s.+|von:\s.+|de\s*:\s.+|-- ?)\s*$",
    re.IGNORECASE,
)


def parse_reply(raw: bytes, max_attachment_bytes: int) -> Reply:
    """The reply in `raw`; what cannot be read goes into `Reply.problems`."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    problems: list[str] = []
    text = ""
    try:
        text = _own_words(_body(message))
    except (LookupError, UnicodeError, ValueError):
        problems.append("its text cannot be decoded")
    attachments = _csvs(message, max_attachment_bytes, problems)
    return replace(
        headers(message, raw), text=text, attachments=tuple(attachments), problems=tuple(problems)
    )


def parse_headers_only(raw_headers: bytes, size: int, limit: int) -> Reply:
    """A message too large to read: what its headers say, and why it was not read."""
    message = email.message_from_bytes(raw_headers, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    why = (
        f"it is {size / 1_000_000:.1f} MB, more than inbox.max_message_bytes"
        f" ({limit / 1_000_000:.1f} MB), so it was not read"
    )
    return replace(headers(message, raw_headers), problems=(why,))


def headers(message: Message, raw: bytes) -> Reply:
    """The reply as its headers tell it: identity, Message-ID, sender, subject, the
    messages it answers."""
    message_id = _header(message, "Message-ID")
    found = _MESSAGE_ID.search(message_id)
    message_id = found.group() if found else ""
    identity = message_id
    if not identity or len(identity) > MAX_IDENTITY:
        identity = "sha256:" + hashlib.sha256(message_id.encode() or raw).hexdigest()
    replied = _MESSAGE_ID.findall(_header(message, "In-Reply-To"))
    referenced = _MESSAGE_ID.findall(_header(message, "References"))
    refers_to = list(dict.fromkeys([*replied, *reversed(referenced)]))[:MAX_REFERENCES]
    return Reply(
        identity=identity,
        message_id=message_id or None,
        sender=parseaddr(_header(message, "From"))[1].strip().lower()[:320],
        subject=" ".join(_header(message, "Subject").split())[:1000],
        refers_to=tuple(refers_to),
    )


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (IndexError, ValueError, TypeError):  # a header the parser cannot make sense of
        return ""
    return "" if value is None else str(value)[:10_000]


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None or not isinstance(part, EmailMessage):
        return ""
    content = part.get_content()
    text = content if isinstance(content, str) else ""
    text = text[: MAX_TEXT * 4]
    return _html_text(text) if part.get_content_subtype() == "html" else text


def _own_words(text: str) -> str:
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _QUOTE_STARTS.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()[:MAX_TEXT]


def _csvs(message: EmailMessage, limit: int, problems: list[str]) -> list[Attachment]:
    found: list[Attachment] = []
    for part in message.iter_attachments():
        name = part.get_filename() or ""
        if part.get_content_type() != "text/csv" and not name.lower().endswith(".csv"):
            continue  # a PDF, a picture: nothing Tandem reads
        name = name or "shipments.csv"
        if len(found) == MAX_ATTACHMENTS:
            problems.append(f"it has more than {MAX_ATTACHMENTS} CSV attachments")
            break
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        if len(content) > limit:
            problems.append(
                f"attachment {name!r} is larger than inbox.max_attachment_bytes ({limit} bytes)"
            )
            continue
        found.append(Attachment(name[:200], content))
    return found


class _Text(HTMLParser):
    """HTML as text, without what it quotes (`blockquote`, Gmail's `gmail_quote`)."""

    BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "table"})
    SKIPPED = frozenset({"blockquote", "style", "script", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: str | None = None  # the tag whose content is left out
        self.depth = 0  # how many of that tag are open

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping is not None:
            self.depth += tag == self.skipping
            return
        quoted = any(k == "class" and v and "quote" in v for k, v in attrs)
        if tag in self.SKIPPED or (tag == "div" and quoted):
            self.skipping, self.depth = tag, 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping is not None:
            if tag == self.skipping:
                self.depth -= 1
                if self.depth == 0:
                    self.skipping = None
            return
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skipping is None:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return re.sub(r"\n\s*\n+", "\n\n", "".join(parser.parts))
