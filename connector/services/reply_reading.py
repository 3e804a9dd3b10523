"""Reading a supplier's reply: what it says about one PO, or why it cannot be read with
confidence.

A reply arrives as `Reply` (the mailbox adapter has taken the quoted text and signature off
and kept the CSV attachments); `read_reply` turns it into the answers of
`connector.services.supplier_answers`:

- tracking numbers in the text, recognised with their carrier by the `tracking-numbers`
  library (patterns and check digits); a number made of digits alone only counts on a line
  that speaks of tracking or names a carrier, since order numbers and phone numbers look
  alike;
- the supplier's phrases (`replies.confirm_phrases`, `replies.refuse_phrases`), as whole
  words, case-insensitive; a refusal names the SKUs on the PO it mentions, else the whole PO;
- attached shipment CSVs, in the supplier's columns (`replies.csv_columns`).

Nothing is guessed: a negated phrase ("not confirmed"), a refusal of the whole PO next to a
tracking number, a "tracking" without a number Tandem recognises, a CSV row it cannot read,
or a reply that says none of these, is `Reading.unread` with the reason.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tracking_numbers import get_tracking_number

from tandem.connector.configuration.answers import SupplierReplies
from tandem.connector.services.shipments import ShippedLine
from tandem.connector.services.supplier_answers import Action, Confirm, Refuse, Ship

MAX_CSV_ROWS = 10_000
QUOTE_CHARS = 2_000  # how much of the text an exception quotes
_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{8,40}(?![A-Za-z0-9])")
_TRACKING_WORDS = re.compile(
    r"\b(track\w*|trace|awb|waybill|parcel|shipment|shipped|dispatched|sent|consignment"
    r"|sendung\w*|paket\w*|colis|suivi)\b",
    re.IGNORECASE,
)
_TRACKING_TALK = re.compile(r"\b(track|tracking|sendungsnummer|suivi)\b", re.IGNORECASE)
# A negation just before a phrase, at most one word between: "not confirmed", "not yet
# confirmed", "cannot confirm"; "no problem, we confirm" is not one (the comma).
_NEGATION = re.compile(
    r"\b(not|no|never|cannot|can't|won't|isn't|unable|nicht|pas)\s+(\w+\s+)?$", re.IGNORECASE
)
COLUMNS = ("po_number", "sku", "quantity", "tracking_number", "carrier", "tracking_url")


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes


@dataclass(frozen=True)
class Reply:
    """A reply as it came out of the mailbox: who, about what, and what it says."""

    identity: str  # the Message-ID, or a digest of the message where it has none
    sender: str  # the From address
    subject: str
    refers_to: tuple[str, ...] = ()  # In-Reply-To, then References
    text: str = ""  # what the supplier wrote: quoted text and signature taken off
    attachments: tuple[Attachment, ...] = ()  # shipment CSVs
    problems: tuple[str, ...] = ()  # what the adapter could not read (size, encoding)
    message_id: str | None = None


@dataclass(frozen=True)
class PoLine:
    sku: str
    supplier_sku: str | None


@dataclass
class Reading:
    actions: list[Action] = field(default_factory=list)
    unread: str | None = None  # why the reply cannot be read with confidence


def read_reply(
    reply: Reply, number: str, lines: Sequence[PoLine], words: SupplierReplies
) -> Reading:
    """What `reply` says about PO `number`, whose lines are `lines`."""
    if reply.problems:
        return Reading(unread="; ".join(reply.problems))
    text = f"{_subject_words(reply.subject)}\n{reply.text}"
    shipped: list[Ship] = []
    for attachment in reply.attachments:
        found = read_shipments_csv(attachment, number, words.csv_columns)
        if isinstance(found, str):
            return Reading(unread=found)
        shipped.extend(found)
    negated = _negated(text, [*words.confirm_phrases, *words.refuse_phrases])
    if negated:
        return Reading(unread=f"it says {negated!r}, which Tandem does not read as an answer")
    refuses = _said(text, words.refuse_phrases)
    confirms = _said(text, words.confirm_phrases)
    named = _named_skus(reply.text, lines) if refuses else ()
    tracking = find_tracking(text, lines, number)
    in_csv = {n for ship in shipped for n in ship.tracking_numbers}
    if tracking is not None and in_csv:
        others = [n for n in tracking.tracking_numbers if n not in in_csv]
        if others:
            return Reading(unread=f"it names {', '.join(others)}, which its CSV does not")
    elif tracking is not None:
        shipped.append(tracking)
    actions: list[Action] = []
    if refuses:
        if not named and (shipped or confirms):
            what = "tracking numbers" if shipped else f"{confirms!r}"
            return Reading(
                unread=f"it says {refuses!r} without naming a SKU of {number}, and also {what}"
            )
        actions.append(Refuse(named, reason=_sentence(reply.text, refuses)))
    if shipped:
        actions.extend(shipped)
    elif confirms:
        actions.append(Confirm())
    if not actions and _TRACKING_TALK.search(text):
        return Reading(unread="it speaks of tracking, but names no tracking number Tandem knows")
    if not actions:
        return Reading(
            unread="it has no tracking number, shipments CSV or phrase Tandem reads"
            f" (confirm: {', '.join(words.confirm_phrases) or 'none'};"
            f" refuse: {', '.join(words.refuse_phrases) or 'none'})"
        )
    return Reading(actions)


def find_tracking(text: str, lines: Sequence[PoLine], number: str) -> Ship | None:
    """The tracking numbers in `text` as one shipment of everything open; None when it
    names none that the library recognises."""
    ours = {number.upper()} | {
        s.upper() for line in lines for s in (line.sku, line.supplier_sku) if s
    }
    numbers: dict[str, tuple[str, str | None]] = {}
    for line in text.splitlines():
        talks = bool(_TRACKING_WORDS.search(line))
        for match in _TOKEN.finditer(line):
            token = match.group().upper()
            if token in ours or not any(ch.isdigit() for ch in token):
                continue
            found = get_tracking_number(token)
            if found is None:
                continue
            carrier = str(found.courier.name)
            if token.isdigit() and not (talks or carrier.lower() in line.lower()):
                continue  # digits alone: an order or phone number just as well
            numbers.setdefault(token, (carrier, found.tracking_url))
    if not numbers:
        return None
    carriers = {carrier for carrier, _ in numbers.values()}
    return Ship(
        tuple(numbers),
        carrier=carriers.pop() if len(carriers) == 1 else None,
        tracking_urls=tuple(url for _, url in numbers.values() if url),
    )


def read_shipments_csv(
    attachment: Attachment, number: str, columns: dict[str, str]
) -> list[Ship] | str:
    """The shipments of PO `number` in an attached CSV, or why it cannot be read."""
    where = f"attachment {attachment.name!r}"
    try:
        content = attachment.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return f"{where} is not UTF-8 text"
    rows = csv.DictReader(io.StringIO(content))
    header = {name.strip().lower(): name for name in rows.fieldnames or []}
    column = {ours: header.get(columns.get(ours, ours).strip().lower()) for ours in COLUMNS}
    if column["tracking_number"] is None:
        wanted = columns.get("tracking_number", "tracking_number")
        return f"{where} has no column {wanted!r} (replies.csv_columns.tracking_number)"
    parcels: dict[str, list[ShippedLine]] = {}
    carriers: dict[str, str] = {}
    urls: dict[str, str] = {}
    problems: list[str] = []
    for line_number, row in enumerate(rows, start=2):
        if line_number > MAX_CSV_ROWS + 1:
            return f"{where} has more than {MAX_CSV_ROWS} rows"
        value = {
            ours: (row.get(name) or "").strip() if name else "" for ours, name in column.items()
        }
        if not any(value.values()):
            continue
        if value["po_number"] and value["po_number"].upper() != number.upper():
            problems.append(f"line {line_number} is about {value['po_number']}, not {number}")
            continue
        tracking = value["tracking_number"]
        if not tracking:
            problems.append(f"line {line_number} has no tracking number")
            continue
        lines = parcels.setdefault(tracking, [])
        if value["sku"] or value["quantity"]:
            quantity = value["quantity"]
            if not value["sku"] or not quantity.isdigit() or int(quantity) <= 0:
                problems.append(f"line {line_number}: a SKU needs a positive whole quantity")
                continue
            lines.append(ShippedLine(value["sku"], int(quantity)))
        if value["carrier"]:
            carriers[tracking] = value["carrier"]
        if value["tracking_url"]:
            urls[tracking] = value["tracking_url"]
    if problems:
        return f"{where}: {'; '.join(problems[:10])}"
    if not parcels:
        return f"{where} has no shipment rows"
    if all(not lines for lines in parcels.values()):  # parcels of everything still open
        carrier_names = set(carriers.values())
        return [
            Ship(
                tuple(parcels),
                carrier=carrier_names.pop() if len(carrier_names) == 1 else None,
                tracking_urls=tuple(urls.values()),
            )
        ]
    if not all(parcels.values()):
        return f"{where} names SKUs for some parcels and none for others"
    return [
        Ship(
            (tracking,),
            tuple(lines),
            carriers.get(tracking),
            tuple(filter(None, [urls.get(tracking)])),
        )
        for tracking, lines in parcels.items()
    ]


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """The reply's words for an exception, on one line and cut at `limit`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 1]}…"


def _subject_words(subject: str) -> str:
    return re.sub(r"^\s*((re|aw|sv|fw|fwd|wg|tr)\s*:\s*)+", "", subject, flags=re.IGNORECASE)


def _phrase(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(phrase.strip())}(?!\w)", re.IGNORECASE)


def _said(text: str, phrases: Sequence[str]) -> str | None:
    return next((p for p in phrases if p.strip() and _phrase(p).search(text)), None)


def _negated(text: str, phrases: Sequence[str]) -> str | None:
    """`not confirmed`, `no longer unavailable`: a phrase with a negation just before it."""
    for phrase in phrases:
        if not phrase.strip():
            continue
        for match in _phrase(phrase).finditer(text):
            before = text[max(0, match.start() - 40) : match.start()]
            said = _NEGATION.search(before)
            if said:
                return f"{said.group().strip()} {match.group()}"
    return None


def _named_skus(text: str, lines: Sequence[PoLine]) -> tuple[str, ...]:
    """The PO's SKUs (ours or the supplier's) the text names, as the store SKU."""
    named: list[str] = []
    for line in lines:
        for sku in (line.sku, line.supplier_sku):
            if sku and re.search(rf"(?<![\w-]){re.escape(sku)}(?![\w-])", text, re.IGNORECASE):
                named.append(line.sku)
                break
    return tuple(dict.fromkeys(named))


def _sentence(text: str, phrase: str) -> str:
    """The line that says `phrase`, as the reason of a refusal."""
    line = next((x for x in text.splitlines() if _phrase(phrase).search(x)), phrase)
    return quote(line, 200)
