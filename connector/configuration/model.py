"""The shape of `tandem.yaml`: every key Tandem reads, its default and what it must satisfy.

The top-level keys `database_url`, `store`, `smtp`, `warehouse`, `po_number_prefix`, `rules`
and `suppliers` are a contract that documentation and scripts rely on; add keys, do not rename.
Relative paths are resolved against the directory of the configuration file.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    SecretStr,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from tandem.connector.configuration.answers import InboxConfig, PortalConfig, SupplierReplies
from tandem.connector.configuration.documents import CompanyConfig, SupplierPaperwork
from tandem.connector.configuration.feeds import FeedSource, InboxFeed
from tandem.connector.configuration.fields import (
    ConfigPath,
    Currency,
    DatabaseUrl,
    Duration,
    Section,
    check_timezone,
)
from tandem.connector.configuration.transports import EmailTransport, ManualTransport, Transport
from tandem.connector.domain import Address, Mode, QuantityBasis, Strategy
from tandem.connector.release import ReleasePolicy, cron_trigger


class StockPushConfig(Section):
    """Supplier stock written to the store's inventory for supplier-served variants."""

    enabled: bool = False
    # The store location whose `available` quantity holds supplier stock (name or GID);
    # unset: the store's first active location.
    location: str | None = None
    # Units held back from each supplier figure, so a stale feed does not oversell.
    buffer: int = Field(default=0, ge=0)
    # Keep back-to-back variants sellable at zero stock (inventoryPolicy CONTINUE).
    continue_selling_back_to_back: bool = False


class ShopRules(Section):
    """A shop's own reading of the mode (`stores[].rules`); unset keys: the top-level rules."""

    default_mode: Mode | None = None
    mode_properties: list[str] | None = None
    mode_tags: dict[str, Mode] | None = None
    mode_metafield: str | None = None

    @field_validator("mode_tags")
    @classmethod
    def _lower_tags(cls, value: dict[str, Mode] | None) -> dict[str, Mode] | None:
        return None if value is None else {k.strip().lower(): v for k, v in value.items()}


class StoreConfig(Section):
    # The platform the shop runs on: one of the installed platforms (`connector.platforms`).
    platform: str = "file"
    shop_url: str | None = None
    access_token: SecretStr | None = None
    # How Tandem gets its Admin API token (adapters/shopify/auth.py): `token`, the permanent
    # `access_token` of a legacy custom app; `client_credentials`, the Dev Dashboard app's
    # client id and secret exchanged for a token that lasts a day (an app of the merchant's
    # own organisation, installed on their shop); `oauth`, an app installed with `tandem
    # shopify connect --oauth`, whose offline token (and refresh token) Tandem keeps in its
    # database. Unset: `client_credentials` when the app's client id or secret is set and
    # access_token is not, else `token` (tandem.adapters.shopify.auth.auth_mode).
    auth: Literal["token", "client_credentials", "oauth"] | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    # Encrypts the tokens Tandem keeps in its database; unset: derived from client_secret.
    # Changing it (or the secret) only makes the stored token unreadable: client credentials
    # fetch a new one, an OAuth install needs `tandem shopify connect --oauth` again.
    token_key: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    # Accepted as well while a webhook secret is being rotated.
    previous_webhook_secret: SecretStr | None = None
    api_version: str = "2026-07"
    # Polling: each poll re-reads this much before the last one's start (search lags behind).
    poll_overlap: Duration = timedelta(minutes=5)
    # How far the first poll of a shop reaches back; unset: not at all (it starts now, and
    # older orders are planned only deliberately, with `tandem backfill --since`).
    first_poll_lookback: Duration | None = None
    # Tags added to every order a PO serves: its number, and this (empty: none) with the PO
    # status filled in. Tandem never removes a tag it did not add.
    status_tag: str = "tandem:{status}"
    # fulfillmentCreate tells the customer about drop-ship tracking.
    notify_customer: bool = True
    stock_push: StockPushConfig = Field(default_factory=StockPushConfig)
    # For a REST platform with API keys (WooCommerce: adapters/woocommerce/): the consumer key
    # and secret, sent as HTTPS basic auth, or in the query string only if query_string_auth
    # (for servers that strip the Authorization header); the order completed once suppliers
    # shipped every line (complete_when_shipped); and where tracking goes besides the
    # customer note: `shipment_tracking`, the Shipment Tracking extension's order meta.
    consumer_key: str | None = None
    consumer_secret: SecretStr | None = None
    query_string_auth: bool = False
    complete_when_shipped: bool = False
    tracking_meta: Literal["shipment_tracking", "none"] = "none"
    # For the file platform: the JSON file `tandem sync` reads orders from.
    orders_file: ConfigPath | None = None
    # How this shop's orders name their mode, where it differs from the top-level `rules`.
    rules: ShopRules | None = None
    # Only orders in one of these financial states are planned.
    planned_financial_statuses: list[str] = Field(
        default_factory=lambda: ["paid", "partially_paid", "partially_refunded", "authorized"]
    )

    @field_validator("planned_financial_statuses")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value]

    @field_validator("platform")
    @classmethod
    def _installed(cls, value: str) -> str:
        from tandem.connector.platforms import UnknownPlatform, platform

        try:
            platform(value)
        except UnknownPlatform as exc:
            raise ValueError(str(exc).removeprefix("store.platform ")) from None
        return value

    @field_validator("*")
    @classmethod
    def _platform_field(cls, value: Any, info: ValidationInfo) -> Any:
        """Each key as the configured platform reads it (a Shopify API version, say)."""
        from tandem.connector.platforms import platform

        name = info.data.get("platform")
        if name is None or info.field_name == "platform":
            return value
        problem = platform(name).field_problem(info.field_name or "", value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("shop_url")
    @classmethod
    def _shop_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if "://" not in value:
            value = f"https://{value}"
        if not re.match(r"^https?://[^/\s]+$", value):
            raise ValueError(f"{value!r} is not a shop address (e.g. https://shop.example.com)")
        return value

    @field_validator("status_tag")
    @classmethod
    def _status_tag(cls, value: str) -> str:
        try:
            value.format(status="released")
        except (KeyError, IndexError, ValueError):
            raise ValueError(f"{value!r} may only use the placeholder {{status}}") from None
        return value

    @property
    def shop_name(self) -> str:
        """The shop as Tandem names it in its tables and messages (its host, for instance)."""
        from tandem.connector.platforms import platform

        return platform(self.platform).shop_name(self)

    @model_validator(mode="after")
    def _platform_needs(self) -> StoreConfig:
        from tandem.connector.platforms import platform

        missing = platform(self.platform).missing(self)
        if missing:
            raise ValueError("; ".join(missing))
        return self


class SmtpConfig(Section):
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    # STARTTLS: true requires it, false never asks; unset upgrades whenever the server
    # offers it. `ssl` is TLS from the first byte (usually port 465).
    starttls: bool | None = None
    ssl: bool = False
    # Send the username and password over a connection that is not encrypted. Only for a
    # relay on a network you trust; without it Tandem refuses to log in in the clear.
    allow_plaintext_auth: bool = False
    from_: str = Field(default="purchasing@localhost", alias="from")
    timeout_seconds: float = Field(default=30, gt=0)
    # Write each message as an .eml file into this folder instead of sending it (trying
    # Tandem out, checking templates, mail systems with a pickup directory).
    pickup_directory: ConfigPath | None = None

    @model_validator(mode="after")
    def _one_tls(self) -> SmtpConfig:
        if self.ssl and self.starttls:
            raise ValueError("choose starttls or ssl, not both")
        return self


class WarehouseAddress(Address):
    """The warehouse's address as the configuration gives it: a misspelt key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class WarehouseConfig(Section):
    name: str = "Warehouse"
    address: WarehouseAddress = Field(default_factory=WarehouseAddress)
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

    sku: str | None = "sku"  # store SKU; a file without it: the supplier SKU is the store SKU
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
    # A feed the supplier has not renewed for this long is reported as failing (exception,
    # /healthz, metric): its stock figures may no longer be true.
    max_age: Duration | None = None
    # Fetched on a schedule instead of read from `path`: a URL, an SFTP path, or the latest
    # attachment in the inbox (tandem.connector.configuration.feeds).
    source: FeedSource | None = None
    every: Duration = Field(default=timedelta(hours=1), ge=timedelta(seconds=1))
    # A feed that has not arrived (or could not be read) for this long is reported as failing
    # (exception, /healthz, metric); until then a failed fetch is only logged.
    fail_after: Duration = Field(default=timedelta(hours=6), ge=timedelta(0))
    # Bounds on one catalogue file, so a bad feed cannot take the machine's memory
    # (tandem.connector.catalogue.limits): its size, any one value, its rows, and what a spreadsheet
    # (a zip of XML) unpacks to.
    max_file_bytes: int = Field(default=200_000_000, ge=1)
    max_field_bytes: int = Field(default=1_000_000, ge=1)
    max_rows: int = Field(default=5_000_000, ge=1)
    max_unpacked_bytes: int = Field(default=500_000_000, ge=1)

    @model_validator(mode="after")
    def _one_origin(self) -> CatalogueConfig:
        if self.path is not None and self.source is not None:
            raise ValueError("choose path (a local file) or source (fetched), not both")
        return self


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


# Also `address`, `account_number`, `payment_terms`, `delivery_lead_time`: see SupplierPaperwork.
class SupplierConfig(SupplierPaperwork):
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
    # With several shops (`stores`): one PO for the orders of every shop (each order's shop
    # named on it), instead of one per shop.
    consolidate_shops: bool = False
    transport: Transport = Field(default_factory=lambda: ManualTransport(type="manual"))
    # A send whose outcome is unknown (a crash after sending): `hold` raises an exception for
    # a person; `resend` sends again (same Message-ID / Idempotency-Key). Channels that can
    # ask the supplier (REST lookup) ask first either way.
    in_doubt: Literal["hold", "resend"] = "hold"
    attempt_budget: int = Field(default=8, ge=1, le=100)  # attempts before giving up
    blind_ship: bool = False  # drop-ship paperwork without prices
    catalogue: CatalogueConfig = Field(default_factory=CatalogueConfig)
    release: ReleaseConfig = Field(default_factory=ReleaseConfig)
    # Its POs carry a link to the supplier portal (when `portal.enabled`).
    portal: bool = True
    # Not confirmed this long after it was sent: an exception (default: portal.confirm_within).
    confirm_within: Duration | None = None
    replies: SupplierReplies = Field(default_factory=SupplierReplies)

    def accepted_modes(self) -> frozenset[Mode]:
        return frozenset(self.modes or [self.mode])


class DashboardUser(Section):
    name: str = Field(min_length=1, max_length=100)
    # From `tandem dashboard hash-password`; never the password itself.
    password_hash: SecretStr


class DashboardConfig(Section):
    users: list[DashboardUser] = Field(default_factory=list)
    # Signs session cookies; set it (e.g. ${TANDEM_SECRET_KEY}) so sessions survive restarts.
    secret_key: SecretStr | None = None
    session_hours: float = Field(default=12, gt=0)


class IntervalsConfig(Section):
    """How often each job of `tandem run` runs."""

    poll_orders: Duration = timedelta(minutes=1)
    plan: Duration = timedelta(minutes=1)
    dispatch: Duration = timedelta(seconds=30)
    supplier_status: Duration = timedelta(minutes=15)
    stock_push: Duration = timedelta(minutes=15)
    catalogues: Duration = timedelta(minutes=30)
    reconcile: Duration = timedelta(hours=6)


class DaemonConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    intervals: IntervalsConfig = Field(default_factory=IntervalsConfig)
    # On SIGTERM: how long in-flight work may take before leases are handed back.
    shutdown_grace: Duration = timedelta(seconds=20)
    # Bounds on the web server (connector.daemon.http, connector.web.limits): open connections
    # (past it: 503), time to send a request's headers and then its body (past it: closed /
    # 408), an idle keep-alive, the header block's size, and any body but a webhook's (413).
    max_connections: int = Field(default=1000, ge=1)
    header_timeout: Duration = timedelta(seconds=10)
    body_timeout: Duration = timedelta(seconds=10)
    keep_alive_timeout: Duration = timedelta(seconds=5)
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # POST /webhooks/shopify refuses a larger body (413) before buffering it; Shopify's order
    # payloads are far below 1 MB.
    max_webhook_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)


class TandemConfig(Section):
    # A relative SQLite file (the default too) is relative to the configuration file.
    database_url: DatabaseUrl = Field(default="sqlite:///tandem.db", validate_default=True)
    timezone: str = "UTC"
    currency: Currency = "USD"
    po_number_prefix: str = Field(default="PO-", max_length=20)
    po_number_digits: int = Field(default=5, ge=1, le=12)
    store: StoreConfig = Field(default_factory=StoreConfig)
    # Several shops in one Tandem (an agency's): each with its own platform, credentials,
    # webhook secret, stock location and mode rules; suppliers and catalogues are shared.
    # `store:` is a list of one; after loading, `stores` always lists every shop and `store`
    # is the first (in `for_shop`, the one in hand).
    stores: list[StoreConfig] = Field(default_factory=list)
    smtp: SmtpConfig | None = None
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    rules: RulesConfig = Field(default_factory=RulesConfig)
    suppliers: list[SupplierConfig] = Field(default_factory=list)
    dashboard: DashboardConfig = Field(default_factory=DashboardConfig)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    portal: PortalConfig = Field(default_factory=PortalConfig)
    inbox: InboxConfig | None = None  # where suppliers' replies arrive
    company: CompanyConfig | None = None  # us on the PO paperwork; unset: the warehouse
    # Where a customer's data is exported when the store asks for it on their behalf
    # (tandem.connector.services.privacy); unset: `privacy` beside the configuration file.
    privacy_folder: ConfigPath = Field(default="privacy", validate_default=True)

    _check_tz = field_validator("timezone")(check_timezone)

    @field_validator("suppliers")
    @classmethod
    def _unique_ids(cls, value: list[SupplierConfig]) -> list[SupplierConfig]:
        seen: set[str] = set()
        for supplier in value:
            if supplier.id in seen:
                raise ValueError(f"supplier id {supplier.id!r} is used twice")
            seen.add(supplier.id)
        return value

    @model_validator(mode="before")
    @classmethod
    def _one_or_many(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("stores") is not None:
            stores, store = data["stores"], data.get("store")
            if not stores:
                raise ValueError("stores: list at least one shop")
            if store is not None and not (isinstance(stores, list) and store in stores):
                raise ValueError("give store (one shop) or stores (a list of shops), not both")
            data = {k: v for k, v in data.items() if k != "store"}
        return data

    @model_validator(mode="after")
    def _every_shop(self) -> TandemConfig:
        if not self.stores:
            self.stores = [self.store]
        else:
            self.store = self.stores[0]
        seen: dict[str, int] = {}
        for index, store in enumerate(self.stores):
            name = store.shop_name
            if name in seen:
                raise ValueError(
                    f"stores[{index}]: the shop {name} is listed already (stores[{seen[name]}])"
                )
            seen[name] = index
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A one-shop configuration dumps as it is written: `store`, without `stores` (so a
        dump, changed and loaded again, is the changed shop)."""
        data = handler(self)
        if isinstance(data, dict) and len(self.stores) == 1:
            data.pop("stores", None)
        return data

    def for_shop(self, store: StoreConfig) -> TandemConfig:
        """This configuration as one shop's work reads it: `store` is that shop, and `rules`
        carry its own overrides (`stores` still lists every shop)."""
        rules = self.rules
        if store.rules is not None:
            overrides = store.rules.model_dump(exclude_none=True)
            rules = rules.model_copy(update=overrides)
        return self.model_copy(update={"store": store, "rules": rules})

    def shops(self) -> list[TandemConfig]:
        """One configuration per shop (`for_shop`), in the order listed."""
        return [self.for_shop(store) for store in self.stores]

    @model_validator(mode="after")
    def _smtp_for_email(self) -> TandemConfig:
        emailing = [s.id for s in self.suppliers if isinstance(s.transport, EmailTransport)]
        if emailing and self.smtp is None:
            raise ValueError(
                f"smtp: required, since supplier {', '.join(emailing)} receives POs by email"
            )
        return self

    @model_validator(mode="after")
    def _inbox_for_feeds(self) -> TandemConfig:
        fed = [s.id for s in self.suppliers if isinstance(s.catalogue.source, InboxFeed)]
        if fed and self.inbox is None:
            raise ValueError(
                f"inbox: required, since the catalogue of {', '.join(fed)} comes from the inbox"
            )
        return self

    def supplier(self, supplier_id: str) -> SupplierConfig | None:
        return next((s for s in self.suppliers if s.id == supplier_id), None)

    def supplier_currency(self, supplier: SupplierConfig) -> str:
        return supplier.currency or self.currency
