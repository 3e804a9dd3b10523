"""How POs travel to a supplier (`suppliers[].transport`): email, a REST API, an SFTP drop,
or by hand."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator

from tandem.connector.configuration.answers import SftpAnswers
from tandem.connector.configuration.fields import ConfigPath, Section

# `kind` (order, change, cancel) and `revision` lead, so a file read by a machine never takes a
# change or a cancellation for a new order.
DEFAULT_CSV_COLUMNS = [
    "kind",
    "po_number",
    "revision",
    "supplier_sku",
    "sku",
    "name",
    "quantity",
    "unit_cost",
]


class EmailTemplates(Section):
    """Jinja2 templates overriding the packaged ones (paths relative to the config file)."""

    subject: str | None = None  # a Jinja2 template string, e.g. "PO {{ po.number }}"
    html: ConfigPath | None = None
    text: ConfigPath | None = None


_EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class SentLookup(Section):
    """Where a copy of every PO email can be found over IMAP, so that a send interrupted by a
    crash is settled by looking its Message-ID up instead of asking a person: the sending
    account's Sent folder, or the mailbox of `bcc_archive`.

    `not_found` says what the absence of the message means. `resend` (the default when the
    mail server itself files every message it accepts into `folder`, as Gmail and Microsoft
    365 do): it was never accepted, send it again. `hold` (the default with `append_to_sent`
    or `bcc_archive`, whose copies are written after the SMTP server accepted the message,
    or delivered later): its absence proves nothing, so the supplier's `in_doubt` policy
    decides as if there were no lookup."""

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)  # 993 with tls: ssl, else 143
    username: str
    password: SecretStr | None = None
    # ssl: TLS from the first byte (993); starttls: upgrade on 143; none: in the clear (a
    # server on this machine only).
    tls: Literal["ssl", "starttls", "none"] = "ssl"
    folder: str = "Sent"
    # Tandem files its own copy into `folder` after the SMTP server accepted the message
    # (for servers that do not).
    append_to_sent: bool = False
    not_found: Literal["resend", "hold"] | None = None
    timeout_seconds: float = Field(default=30, gt=0)

    @property
    def imap_port(self) -> int:
        return self.port or (993 if self.tls == "ssl" else 143)


class EmailTransport(Section):
    type: Literal["email"]
    to: list[str] = Field(min_length=1)
    cc: list[str] = Field(default_factory=list)
    reply_to: str | None = None
    templates: EmailTemplates = Field(default_factory=EmailTemplates)
    attach_pdf: bool = True
    attach_csv: bool = True
    csv_columns: list[str] = Field(default_factory=lambda: list(DEFAULT_CSV_COLUMNS))
    # Every PO is Bcc'd to this address (not shown to the supplier), so its mailbox holds a
    # copy that `sent_lookup` can find.
    bcc_archive: str | None = None
    sent_lookup: SentLookup | None = None

    @field_validator("to", "cc", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("to", "cc")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not _EMAIL_ADDRESS.fullmatch(address):
                raise ValueError(f"{address!r} is not an email address")
        return value

    @field_validator("bcc_archive")
    @classmethod
    def _archive_address(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL_ADDRESS.fullmatch(value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    def absence_means_unsent(self) -> bool:
        """A message missing from `sent_lookup.folder` was never accepted (see SentLookup)."""
        lookup = self.sent_lookup
        if lookup is None:
            return False
        if lookup.not_found is not None:
            return lookup.not_found == "resend"
        return not lookup.append_to_sent and self.bcc_archive is None


class RestAuth(Section):
    type: Literal["none", "bearer", "basic", "header"] = "none"
    token: SecretStr | None = None  # bearer
    username: str | None = None  # basic
    password: SecretStr | None = None  # basic
    header: str = "X-API-Key"  # header
    value: SecretStr | None = None  # header


class RestEndpoint(Section):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str  # relative to base_url; Jinja2 ({{ po.number }}, {{ supplier_order_id }})
    # A Jinja2 template rendering the JSON body (file, relative to the config file) ...
    template: ConfigPath | None = None
    # ... or the JSON body as a mapping whose string values are Jinja2 expressions.
    body: dict[str, Any] | None = None


class RestResponseFields(Section):
    """Where Tandem reads each value in a supplier's answers: a dotted path (`result.id`;
    a step that meets a list applies to every element). A value left out is not read."""

    order_id: str | None = None  # the supplier's id for the order (create, lookup)
    found: str | None = None  # lookup: non-empty when the order exists (else: any answer)
    status: str | None = None  # the order's status, in the supplier's words (see status_map)
    message: str | None = None  # the supplier's explanation of that status
    carrier: str | None = None
    tracking_numbers: str | None = None
    tracking_urls: str | None = None
    rejected_skus: str | None = None  # the lines the supplier will not supply


# What a supplier's status can mean to Tandem (`status_map` values).
TandemStatus = Literal["acknowledged", "rejected", "shipped", "cancelled"]


class RestTransport(Section):
    type: Literal["rest"]
    base_url: str
    auth: RestAuth = Field(default_factory=RestAuth)
    timeout_seconds: float = Field(default=30, gt=0)
    create: RestEndpoint
    # Finds an order by our reference (in-doubt resolution); `response_fields.found` says
    # where its answer is non-empty when the order exists.
    lookup: RestEndpoint | None = None
    cancel: RestEndpoint | None = None
    change: RestEndpoint | None = None
    status: RestEndpoint | None = None
    response_fields: RestResponseFields = Field(
        default_factory=lambda: RestResponseFields(order_id="id", status="status")
    )
    # Supplier status value -> Tandem's.
    status_map: dict[str, TandemStatus] = Field(default_factory=dict)


class SftpTransport(Section):
    type: Literal["sftp"]
    host: str
    port: int = Field(default=22, ge=1, le=65535)
    username: str
    password: SecretStr | None = None
    private_key: ConfigPath | None = None
    # known_hosts file; host keys are checked unless `check_host_key: false` (not advised).
    known_hosts: ConfigPath | None = None
    check_host_key: bool = True
    directory: str = "/in"
    file_name: str = "{number}-rev{revision}-{kind}.csv"  # placeholders: number, revision, kind
    columns: list[str] = Field(default_factory=lambda: list(DEFAULT_CSV_COLUMNS))
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    # Where the supplier leaves acknowledgement and shipment files; unset: none are read.
    answers: SftpAnswers | None = None


class ManualTransport(Section):
    """POs are listed for a person to pass on (phone, portal); Tandem sends nothing."""

    type: Literal["manual"]


Transport = Annotated[
    EmailTransport | RestTransport | SftpTransport | ManualTransport, Field(discriminator="type")
]
