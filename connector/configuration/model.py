"""The shape of `tandem.yaml`: every key Tandem reads, its default and what it must satisfy.

The top-level keys `database_url`, `store`, `smtp`, `warehouse`, `po_number_prefix`, `rules`
and `suppliers` are a contract that documentation and scripts rely on; add keys, do not rename.
Relative paths are resolved against the directory of the configuration file.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from connector.domain import Address, Mode, QuantityBasis, Strategy
from connector.release import ReleasePolicy, cron_trigger


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _resolve_path(value: Any, info: ValidationInfo) -> Any:
    if value is None or value == "":
        return None
    base = (info.context or {}).get("base_dir")
    path = Path(str(value)).expanduser()
    if base is not None and not path.is_absolute():
        path = Path(base) / path
    return path


ConfigPath = Annotated[Path, BeforeValidator(_resolve_path)]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def _duration(value: Any) -> Any:
    """Accept `90s`, `30m`, `4h`, `2d` besides ISO 8601 (`PT4H`) and plain seconds."""
    if isinstance(value, str) and (m := _DURATION.match(value)):
        return timedelta(seconds=float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()])
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Berlin)"
        ) from None
    return name


class StoreConfig(Section):
    platform: Literal["shopify", "file"] = "file"
    shop_url: str | None = None
    access_token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    # Accepted as well while a webhook secret is being rotated.
    previous_webhook_secret: SecretStr | None = None
    api_version: str = "2026-07"
    # For the file platform: the JSON file `tandem sync` reads orders from.
    orders_file: ConfigPath | None = None
    # Only orders in one of these financial states are planned.
    planned_financial_statuses: list[str] = Field(
        default_factory=lambda: ["paid", "partially_paid", "partially_refunded", "authorized"]
    )

    @field_validator("planned_financial_statuses")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value]

    @model_validator(mode="after")
    def _platform_needs(self) -> StoreConfig:
        if self.platform == "shopify":
            missing = [k for k in ("shop_url", "access_token") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"platform shopify needs {' and '.join(missing)}")
        return self


class SmtpConfig(Section):
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    ssl: bool = False
    from_: str = Field(default="purchasing@localhost", alias="from")
    timeout_seconds: float = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _one_tls(self) -> SmtpConfig:
        if self.ssl and self.starttls:
            raise ValueError("choose starttls or ssl, not both")
        return self


class WarehouseConfig(Section):
    name: str = "Warehouse"
    address: Address = Field(default_factory=Address)
    # A CSV of on-hand stock (`sku,on_hand`), read by `tandem sync` when it changes.
    stock_file: ConfigPath | None = None


def _default_mode_tags() -> dict[str, Mode]:
    return {
        "drop-ship": Mode.DROP_SHIP,
        "dropship": Mode.DROP_SHIP,
        "back-to-back": Mode.BACK_TO_BACK,
        "b2b": Mode.BACK_TO_BACK,
        "from-stock": Mode.STOCK,
    }


class RulesConfig(Section):
    default_mode: Mode = Mode.STOCK
    supplier_strategy: Strategy = Strategy.PREFERRED
    quantity_basis: QuantityBasis = QuantityBasis.FULL
    # Line properties (custom attributes) that name the mode, first found wins.
    mode_properties: list[str] = Field(default_factory=lambda: ["_fulfilment", "_fulfillment"])
    # Order, customer and product tags that name a mode (compared without case).
    mode_tags: dict[str, Mode] = Field(default_factory=_default_mode_tags)
    # Product or variant metafield (namespace.key) that names the mode.
    mode_metafield: str = "tandem.fulfilment_mode"
    # For `cheapest`: value of one unit of a currency in the store currency.
    exchange_rates: dict[str, Decimal] = Field(default_factory=dict)

    @field_validator("mode_tags")
    @classmethod
    def _lower_tags(cls, value: dict[str, Mode]) -> dict[str, Mode]:
        return {k.strip().lower(): v for k, v in value.items()}


class CatalogueColumns(Section):
    """Our field -> the supplier's column header. Unset optional columns take the default."""

    sku: str | None = None  # store SKU; unset: the supplier SKU is the store SKU
    supplier_sku: str = "supplier_sku"
    name: str | None = "name"
    cost: str = "cost"
    currency: str | None = None
    stock: str | None = "stock"
    lead_time_days: str | None = None
    pack_size: str | None = None
    min_quantity: str | None = None


class CatalogueConfig(Section):
    path: ConfigPath | None = None
    format: Literal["csv", "xlsx", "json"] | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf8"
    sheet: str | int | None = None
    decimal_comma: bool = False
    columns: CatalogueColumns = Field(default_factory=CatalogueColumns)


class ReleaseConfig(Section):
    immediate: bool = False
    cron: str | None = None
    min_order_value: Decimal | None = Field(default=None, ge=0)
    max_wait: Duration | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            cron_trigger(value, "UTC")
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a cron expression: {exc}") from None
        return value

    def policy(self, timezone: str) -> ReleasePolicy:
        return ReleasePolicy(
            immediate=self.immediate,
            cron=self.cron,
            min_order_value=self.min_order_value,
            max_wait=self.max_wait,
            timezone=timezone,
        )


class EmailTransport(Section):
    type: Literal["email"]
    to: list[str] = Field(min_length=1)
    cc: list[str] = Field(default_factory=list)
    reply_to: str | None = None

    @field_validator("to", "cc", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("to", "cc")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
                raise ValueError(f"{address!r} is not an email address")
        return value


class ManualTransport(Section):
    """POs are listed for a person to pass on (phone, portal); Tandem sends nothing."""

    type: Literal["manual"]


Transport = Annotated[EmailTransport | ManualTransport, Field(discriminator="type")]


class SupplierConfig(Section):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    name: str
    active: bool = True
    mode: Literal[Mode.BACK_TO_BACK, Mode.DROP_SHIP] = Mode.BACK_TO_BACK
    # Modes the supplier accepts; unset: only its `mode`.
    modes: list[Literal[Mode.BACK_TO_BACK, Mode.DROP_SHIP]] | None = None
    priority: int = 100
    drop_ship_fee: Decimal = Field(default=Decimal(0), ge=0)
    currency: Currency | None = None
    consolidate: bool = True
    transport: Transport = Field(default_factory=lambda: ManualTransport(type="manual"))
    catalogue: CatalogueConfig = Field(default_factory=CatalogueConfig)
    release: ReleaseConfig = Field(default_factory=ReleaseConfig)

    def accepted_modes(self) -> frozenset[Mode]:
        return frozenset(self.modes or [self.mode])


class TandemConfig(Section):
    database_url: str = "sqlite:///tandem.db"
    timezone: str = "UTC"
    currency: Currency = "USD"
    po_number_prefix: str = Field(default="PO-", max_length=20)
    po_number_digits: int = Field(default=5, ge=1, le=12)
    store: StoreConfig = Field(default_factory=StoreConfig)
    smtp: SmtpConfig | None = None
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    rules: RulesConfig = Field(default_factory=RulesConfig)
    suppliers: list[SupplierConfig] = Field(default_factory=list)

    _check_tz = field_validator("timezone")(_check_timezone)

    @field_validator("suppliers")
    @classmethod
    def _unique_ids(cls, value: list[SupplierConfig]) -> list[SupplierConfig]:
        seen: set[str] = set()
        for supplier in value:
            if supplier.id in seen:
                raise ValueError(f"supplier id {supplier.id!r} is used twice")
            seen.add(supplier.id)
        return value

    @model_validator(mode="after")
    def _smtp_for_email(self) -> TandemConfig:
        emailing = [s.id for s in self.suppliers if isinstance(s.transport, EmailTransport)]
        if emailing and self.smtp is None:
            raise ValueError(
                f"smtp: required, since supplier {', '.join(emailing)} receives POs by email"
            )
        return self

    def supplier(self, supplier_id: str) -> SupplierConfig | None:
        return next((s for s in self.suppliers if s.id == supplier_id), None)

    def supplier_currency(self, supplier: SupplierConfig) -> str:
        return supplier.currency or self.currency
