"""The port to suppliers: what every supplier channel (email, REST API, SFTP) receives and
promises. The channels themselves live in `adapters.suppliers`; the core only knows this.

A channel gets a `PurchaseOrderDocument` — everything the supplier must see, already read from
the database — and delivers it. It never touches the database: dispatch records the outcome.
Channels that can be asked about a PO later (a status API) are also `StatusChannel`s.
A channel calls `connector.transmission.transmitting()` right before the bytes that deliver
the document go out, and says so with a class attribute `marks_transmission = True`: dispatch
then knows that a worker which died before that moment sent nothing.

Errors say what to do next:

ChannelError (a TandemError: the message is the supplier's own words where there are any)
├── TransientError     try again later (SMTP 4xx, HTTP 5xx/429, timeouts, connection refused);
│                      `retry_after` in seconds when the supplier said
└── PermanentError     retrying cannot help (SMTP 5xx, HTTP 4xx, rejected address, bad
                       credentials): a person must act
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

from tandem.connector.configuration.model import SupplierConfig, TandemConfig
from tandem.connector.errors import TandemError

DocumentKind = Literal["order", "change", "cancel", "test"]


class ChannelError(TandemError):
    pass


class TransientError(ChannelError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ChannelError):
    pass


@dataclass(frozen=True)
class Party:
    """A name and postal address: the buyer (bill-to) or the ship-to."""

    name: str
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None  # "KY", "ON": the region's code, where there is one
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    phone: str | None = None
    email: str | None = None

    def lines(self) -> list[str]:
        """The address as printed on a label, one line each, empty parts left out."""
        city = " ".join(p for p in (self.zip, self.city) if p)
        return [
            p
            for p in (
                self.name,
                self.company,
                self.address1,
                self.address2,
                city,
                self.province,
                self.country or self.country_code,
                self.phone,
            )
            if p
        ]


@dataclass(frozen=True)
class DocumentLine:
    sku: str  # the store's SKU
    supplier_sku: str
    name: str
    quantity: int  # supplier units
    unit_cost: Decimal
    pack_size: int = 1

    @property
    def total(self) -> Decimal:
        return self.unit_cost * self.quantity


@dataclass(frozen=True)
class DocumentChange:
    """One line of a change request: `kind` is reduce, cancel_line or cancel_po."""

    kind: str
    supplier_sku: str | None
    name: str | None
    old_quantity: int | None
    new_quantity: int | None
    reason: str


@dataclass(frozen=True)
class PurchaseOrderDocument:
    kind: DocumentKind
    number: str  # "PO-00012"
    revision: int  # 1 for the original order; each change request adds one
    supplier_id: str
    supplier_name: str
    mode: Literal["back_to_back", "drop_ship"]
    currency: str
    buyer: Party  # the retailer (warehouse name and address)
    ship_to: Party  # warehouse (back-to-back) or the customer (drop-ship)
    lines: tuple[DocumentLine, ...]  # the PO as it stands after this revision
    changes: tuple[DocumentChange, ...] = ()  # kind change/cancel: what changed
    issued_at: datetime | None = None
    # Made once per outbox item and the same on every attempt: the Idempotency-Key header, the
    # Message-ID's unique part, the SFTP file's name part.
    idempotency_key: str = ""
    # The customer orders served (names like "#1001"), for the supplier's reference.
    order_names: tuple[str, ...] = ()
    blind_ship: bool = False  # drop-ship without prices on the paperwork
    notes: str | None = None
    # The supplier's own id for the order, once it gave one (REST: `supplier_order_id` in
    # paths and bodies of cancellations, changes, lookups and status calls).
    supplier_reference: str | None = None
    # Tandem's id of the PO, for recording what came of the document; None for a test
    # message (`tandem supplier test`), which is about no PO.
    po_id: int | None = None
    # The paperwork's extras, each printed only when configured (configuration.documents):
    # our VAT number, the supplier's address, our account number with it, the payment terms,
    # the delivery date asked for, and the supplier portal's page for this PO.
    vat_number: str | None = None
    supplier_address: Party | None = None
    account_number: str | None = None
    payment_terms: str | None = None
    requested_delivery: date | None = None
    portal_url: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))


@dataclass
class SendResult:
    """What happened, for the PO's timeline: the supplier's reference (REST order id, SMTP
    Message-ID, SFTP path) and the exact message or request sent."""

    reference: str | None
    sent: str  # the message as sent (email source, request body, CSV), for the dashboard
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class StatusUpdate:
    """What a supplier reports about a PO (REST status polling)."""

    status: Literal["acknowledged", "rejected", "shipped", "cancelled"] | None
    tracking_numbers: tuple[str, ...] = ()
    carrier: str | None = None
    tracking_urls: tuple[str, ...] = ()
    rejected_skus: tuple[str, ...] = ()
    message: str | None = None


class Channel(Protocol):
    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        """Deliver the document. Must be safe to call again with the same document after a
        crash (same Message-ID / Idempotency-Key / file name)."""
        ...

    async def lookup(self, document: PurchaseOrderDocument) -> SendResult | None:
        """Did an earlier attempt reach the supplier? The result if it did, None if it did not.
        Raises `LookupUnsupported` when the channel cannot tell (SMTP)."""
        ...


class LookupUnsupported(ChannelError):
    """The channel cannot find out whether an earlier attempt arrived."""


@runtime_checkable
class StatusChannel(Protocol):
    async def poll_status(self, document: PurchaseOrderDocument) -> StatusUpdate | None:
        """What the supplier says about the order now (about `document.supplier_reference`,
        once it gave one); None when it has nothing to say."""
        ...


# The channel for a supplier's `transport`, or None where a person passes the PO on
# (`manual`). The shell (CLI, daemon) hands `adapters.suppliers.make_channel` to the services.
ChannelFactory = Callable[[SupplierConfig, TandemConfig], Channel | None]
