"""Tandem's vocabulary as types: orders and their lines, addresses, fulfilment modes and offers.

Orders arrive from a store adapter (Shopify, a JSON file, ...) already mapped to these models;
the core never sees a platform's own shapes. Offers are supplier catalogue rows as the planner
sees them. Quantities on order lines are in the store's units; an offer's `pack_size` says how
many store units one supplier unit holds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tandem.connector.text import clean_deep

# Bounds the state store holds (column widths, integer range): an order outside them is
# refused as bad input, naming the field, instead of failing the whole batch at insert.
Ident = Annotated[str, Field(min_length=1, max_length=255)]
MAX_LINE_QUANTITY = 1_000_000


class Mode(StrEnum):
    """How an order line is supplied."""

    STOCK = "stock"
    BACK_TO_BACK = "back_to_back"
    DROP_SHIP = "drop_ship"


MODE_SYNONYMS: dict[str, Mode] = {
    "stock": Mode.STOCK,
    "in_stock": Mode.STOCK,
    "warehouse": Mode.STOCK,
    "back_to_back": Mode.BACK_TO_BACK,
    "back-to-back": Mode.BACK_TO_BACK,
    "backtoback": Mode.BACK_TO_BACK,
    "b2b": Mode.BACK_TO_BACK,
    "drop_ship": Mode.DROP_SHIP,
    "drop-ship": Mode.DROP_SHIP,
    "dropship": Mode.DROP_SHIP,
    "drop ship": Mode.DROP_SHIP,
}


def parse_mode(value: str) -> Mode | None:
    """Read a mode from free text (a line property, a metafield); None when it is not one."""
    return MODE_SYNONYMS.get(value.strip().lower())


class Strategy(StrEnum):
    """How the supplier for a line is chosen among those that list its SKU."""

    PREFERRED = "preferred"
    CHEAPEST = "cheapest"
    FASTEST = "fastest"
    IN_STOCK_FIRST = "in_stock_first"


class QuantityBasis(StrEnum):
    """Order the whole line, or only what warehouse stock and open POs do not cover."""

    FULL = "full"
    SHORTFALL = "shortfall"


class POStatus(StrEnum):
    DRAFT = "draft"
    RELEASED = "released"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


# POs whose goods may still arrive: their unallocated quantity can cover new demand.
OPEN_PO_STATUSES = frozenset(
    {POStatus.RELEASED, POStatus.SENT, POStatus.ACKNOWLEDGED, POStatus.PARTIALLY_RECEIVED}
)


class ExceptionKind(StrEnum):
    """Why Tandem stopped and asks a person: the planner's and the channels' reasons."""

    NO_SKU = "no_sku"
    UNKNOWN_MODE = "unknown_mode"
    NO_ADDRESS = "no_address"
    UNMAPPED_SKU = "unmapped_sku"
    SUPPLIER_INACTIVE = "supplier_inactive"
    NO_SUPPLIER_FOR_MODE = "no_supplier_for_mode"
    PACK_SIZE = "pack_size"
    NO_STOCK = "no_stock"
    CHANGED_AFTER_SEND = "changed_after_send"
    PO_CHANGE_REQUESTED = "po_change_requested"
    ORDER_UNREADABLE = "order_unreadable"
    STORE_WRITE_FAILED = "store_write_failed"
    APP_UNINSTALLED = "app_uninstalled"
    SEND_FAILED = "send_failed"
    SEND_IN_DOUBT = "send_in_doubt"
    PO_REJECTED = "po_rejected"
    # Something Tandem depends on fails: a missing or stale feed, an unreadable orders file,
    # a supplier's server that refuses, the store's credentials. Closed when it works again.
    DEPENDENCY_FAILED = "dependency_failed"
    # The store says the order was already handled (another Tandem database's PO on it, or
    # its fulfilment done or held there): nothing is ordered until a person decides.
    HANDLED_ELSEWHERE = "handled_elsewhere"
    # A sent PO its supplier has not confirmed within the configured time.
    NOT_CONFIRMED = "not_confirmed"
    # A supplier's reply or file Tandem could not read with confidence, or from a sender
    # that does not speak for the supplier: quoted for a person, never guessed at.
    ANSWER_UNREAD = "answer_unread"
    # A privacy request the merchant must finish: pass a customer's data export on to them,
    # or decide about an order whose unsent drop-ship PO was cancelled by an erasure.
    PRIVACY_REQUEST = "privacy_request"


# Exceptions the planner owns: it raises them and closes them again when a later run
# finds the line served. The others stay open until a person resolves them.
PLANNING_EXCEPTIONS = frozenset(
    {
        ExceptionKind.NO_SKU,
        ExceptionKind.UNKNOWN_MODE,
        ExceptionKind.NO_ADDRESS,
        ExceptionKind.UNMAPPED_SKU,
        ExceptionKind.SUPPLIER_INACTIVE,
        ExceptionKind.NO_SUPPLIER_FOR_MODE,
        ExceptionKind.PACK_SIZE,
        ExceptionKind.NO_STOCK,
        ExceptionKind.HANDLED_ELSEWHERE,
    }
)

# A PO's sending stopped and waits for a person: refused for good, or held because it may have
# reached the supplier. Resending or cancelling the PO answers either.
SEND_FAILURES = frozenset({ExceptionKind.SEND_FAILED, ExceptionKind.SEND_IN_DOUBT})


class CleanModel(BaseModel):
    """A model whose text is cleaned as it is made (connector.text): no NUL character, no lone
    surrogate reaches the database from any store adapter."""

    @model_validator(mode="before")
    @classmethod
    def _clean_text(cls, data: Any) -> Any:
        return clean_deep(data) if isinstance(data, dict) else data


class Address(CleanModel):
    """A postal address: the customer's for drop-ship, the warehouse's for back-to-back."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None  # "KY", "ON": what supplier APIs ask for as state_code
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    phone: str | None = None
    email: str | None = None

    def key(self) -> str:
        """A short stable fingerprint: equal addresses (ignoring case and spacing) match."""
        parts = [
            self.name,
            self.company,
            self.address1,
            self.address2,
            self.city,
            self.province,
            self.zip,
            self.country_code or self.country,
        ]
        text = "|".join(" ".join((p or "").lower().split()) for p in parts)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def lines(self) -> list[str]:
        """The address as printed on a label, one part per line."""
        city_line = " ".join(p for p in (self.zip, self.city) if p)
        parts = [
            self.name,
            self.company,
            self.address1,
            self.address2,
            city_line,
            self.province,
            self.country or self.country_code,
        ]
        return [p for p in parts if p]


class Customer(CleanModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str | None = None
    email: str | None = None
    name: str | None = None
    tags: tuple[str, ...] = ()


class OrderLine(CleanModel):
    """One line of a storefront order, as the store reports it now (after edits)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: Ident
    sku: str | None = Field(default=None, max_length=255)
    title: str = ""
    quantity: int = Field(ge=0, le=MAX_LINE_QUANTITY)
    price: Decimal | None = Field(default=None, decimal_places=6, ge=-(10**9), le=10**9)
    properties: dict[str, str] = Field(default_factory=dict)
    product_tags: tuple[str, ...] = ()
    # A mode set on the product or variant through a metafield (its raw text).
    product_mode: str | None = Field(default=None, max_length=100)
    variant_id: Ident | None = None
    product_id: Ident | None = None
    # Units the store already reports as fulfilled (by anyone: Tandem, a person, an app).
    fulfilled_quantity: int = Field(default=0, ge=0, le=MAX_LINE_QUANTITY)


class PriorPO(CleanModel):
    """A PO the store says already serves an order, as a Tandem wrote it there."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    number: str = Field(min_length=1, max_length=40)
    # The Tandem database that wrote it, when the store says (PO numbers repeat across them).
    database: str | None = Field(default=None, max_length=64)
    supplier: str | None = Field(default=None, max_length=200)
    status: str | None = Field(default=None, max_length=24)


class PriorHandling(BaseModel):
    """What the store already says about an order, read with it: POs written on it and whether
    its fulfilment is held or closed there. Before a line is first ordered the planner checks
    it, so a second or fresh database cannot order again what another one (or a person)
    already handled."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    purchase_orders: tuple[PriorPO, ...] = ()
    on_hold: bool = False  # the store holds the order's fulfilment
    closed: bool = False  # the store has no fulfilment left open for the order


class Order(CleanModel):
    """A storefront order. `lines` holds every line still on the order."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: Ident
    name: str = Field(min_length=1, max_length=100)
    created_at: datetime
    updated_at: datetime
    financial_status: str | None = Field(default=None, max_length=40)
    cancelled_at: datetime | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    tags: tuple[str, ...] = ()
    customer: Customer = Field(default_factory=Customer)
    shipping_address: Address | None = None
    lines: tuple[OrderLine, ...] = ()
    prior_handling: PriorHandling = Field(default_factory=PriorHandling)


@dataclass(frozen=True, slots=True)
class Offer:
    """A supplier catalogue row: what one supplier sells under a store SKU, and on what terms."""

    id: int
    supplier_id: str
    sku: str
    supplier_sku: str
    name: str
    cost: Decimal
    currency: str
    stock: int | None  # in supplier units; None when the supplier does not report stock
    lead_time_days: int | None
    pack_size: int = 1  # store units per supplier unit
    min_quantity: int = 1  # supplier units per PO line at least

    def available_units(self) -> int | None:
        return None if self.stock is None else self.stock * self.pack_size

    def unit_cost(self) -> Decimal:
        """Cost of one store unit."""
        return self.cost / self.pack_size


@dataclass(frozen=True, slots=True)
class SupplierTerms:
    """What the planner needs to know of a supplier (the rest lives in configuration)."""

    id: str
    active: bool
    default_mode: Mode
    modes: frozenset[Mode]
    priority: int
    drop_ship_fee: Decimal
    consolidate: bool = True
    across_shops: bool = False  # one PO for the orders of several shops
