"""How suppliers answer back: the supplier portal, the reply mailbox, SFTP answer files.

`portal` and `inbox` are top-level sections; each supplier says whether it uses the portal
(`portal: true|false`), which senders speak for it (`replies`), and, on SFTP, where it leaves
its answer files (`transport.answers`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from tandem.connector.configuration.fields import Duration, Section


class PortalConfig(Section):
    """The supplier portal: one page per PO behind a signed link, no account."""

    enabled: bool = False
    # The public address Tandem is reached at (https://tandem.example.com): links in POs.
    base_url: str | None = None
    # Signs the links (e.g. ${TANDEM_PORTAL_SECRET}); changing it revokes every link.
    secret: SecretStr | None = None
    # A link keeps working this long after its PO closed (received, cancelled, rejected).
    valid_after_close: Duration = timedelta(days=30)
    # A sent PO its supplier has not confirmed for this long raises an exception; a
    # supplier's own `confirm_within` wins. Unset: never.
    confirm_within: Duration | None = None
    # Answers one link may post per minute (double clicks and replays record once anyway).
    actions_per_minute: int = Field(default=30, ge=1, le=1000)
    # A supplier's link to its bulk shipments page (all its POs) works this long.
    supplier_link_valid: Duration = timedelta(days=90)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not a web address (e.g. https://tandem.example.com)")
        return value

    @model_validator(mode="after")
    def _complete(self) -> PortalConfig:
        if not self.enabled:
            return self
        if self.base_url is None:
            raise ValueError("portal.enabled needs portal.base_url (the address suppliers open)")
        if self.secret is None or len(self.secret.get_secret_value()) < 16:
            raise ValueError(
                "portal.enabled needs portal.secret, at least 16 characters"
                " (e.g. ${TANDEM_PORTAL_SECRET})"
            )
        return self


class InboxConfig(Section):
    """The mailbox suppliers reply to (the PO emails' Reply-To or From), read over IMAP."""

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)  # 993 with tls: ssl, else 143
    username: str
    password: SecretStr | None = None
    tls: Literal["ssl", "starttls", "none"] = "ssl"
    folder: str = "INBOX"
    # Where a processed reply is moved (created when missing); unset: it is only flagged.
    processed_folder: str | None = "Tandem/Processed"
    timeout_seconds: float = Field(default=30, gt=0)
    # Messages read per poll at most; the rest wait for the next one.
    batch: int = Field(default=200, ge=1, le=10_000)
    # A message larger than this is not read but raised as an exception.
    max_message_bytes: int = Field(default=20_000_000, ge=1_000)
    # An attached shipments CSV larger than this is not read (the reply becomes an exception).
    max_attachment_bytes: int = Field(default=5_000_000, ge=1_000)
    # How often `tandem run` reads the mailbox (`tandem sync` reads it once per run).
    every: Duration = timedelta(minutes=5)

    @property
    def imap_port(self) -> int:
        return self.port or (993 if self.tls == "ssl" else 143)


class SupplierReplies(Section):
    """Which email senders speak for a supplier, and the words its answers use."""

    # Addresses (po@acme.example) or whole domains (acme.example) a reply may come from;
    # empty: the addresses the PO was sent to, and their domains.
    senders: list[str] = Field(default_factory=list)
    # A reply saying one of these (case-insensitive) confirms the PO.
    confirm_phrases: list[str] = Field(
        default_factory=lambda: ["confirmed", "we confirm", "order confirmed"]
    )
    # A reply saying one of these refuses the PO (or, naming SKUs, those lines).
    refuse_phrases: list[str] = Field(
        default_factory=lambda: ["out of stock", "cannot supply", "unavailable"]
    )
    # Columns of an attached shipments CSV: our names -> the supplier's headers.
    csv_columns: dict[str, str] = Field(default_factory=dict)


# The columns an answer file may have (our names; `columns` maps them to the supplier's).
ANSWER_COLUMNS = (
    "po_number",
    "sku",
    "quantity",
    "status",
    "tracking_number",
    "carrier",
    "tracking_url",
    "ship_date",
    "reason",
)
# What a row's status says, in Tandem's words.
AnswerStatus = Literal["acknowledged", "shipped", "refused"]
DEFAULT_ANSWER_STATUSES: dict[str, AnswerStatus] = {
    "acknowledged": "acknowledged",
    "confirmed": "acknowledged",
    "accepted": "acknowledged",
    "shipped": "shipped",
    "dispatched": "shipped",
    "refused": "refused",
    "rejected": "refused",
    "out_of_stock": "refused",
    "out of stock": "refused",
}


class SftpAnswers(Section):
    """Where an SFTP supplier leaves acknowledgement and shipment files for Tandem."""

    directory: str = "/out"
    pattern: str = "*.csv"  # shell-style, matched against file names (any case)
    # Where a processed file is moved (created when missing; when the server allows it);
    # unset: left in place. Either way a file is read once (its name and digest are kept).
    processed_directory: str | None = "/out/processed"
    # Columns: our names (po_number, sku, quantity, status, tracking_number, carrier,
    # tracking_url, ship_date, reason) -> the supplier's headers; unset: the same names.
    columns: dict[str, str] = Field(default_factory=dict)
    # The supplier's status words (any case) -> Tandem's; added to the usual ones
    # (acknowledged, confirmed, shipped, refused, rejected, out_of_stock, ...).
    statuses: dict[str, AnswerStatus] = Field(default_factory=dict)
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    max_file_bytes: int = Field(default=50_000_000, ge=1_000)
    # A file with more rows is not read (it is reported and left where it is).
    max_rows: int = Field(default=100_000, ge=1)
    # Files read per poll at most; the rest wait for the next one.
    batch: int = Field(default=100, ge=1, le=10_000)

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(ANSWER_COLUMNS))
        if unknown:
            raise ValueError(
                f"unknown column {', '.join(map(repr, unknown))}; choose from"
                f" {', '.join(ANSWER_COLUMNS)}"
            )
        return value

    @field_validator("statuses")
    @classmethod
    def _status_words(cls, value: dict[str, AnswerStatus]) -> dict[str, AnswerStatus]:
        return {word.strip().lower(): status for word, status in value.items()}

    def status_words(self) -> dict[str, AnswerStatus]:
        return {**DEFAULT_ANSWER_STATUSES, **self.statuses}
