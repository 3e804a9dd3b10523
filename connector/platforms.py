"""The storefront port: what the core needs from the platform a shop runs on, and the registry
that finds the configured platform.

The core reads orders, receives webhooks, writes status, shipments and stock back and claims
the shop for its database through these types only; each platform lives under `adapters/`
and registers itself as an entry point of the group `tandem.platforms` (pyproject.toml), so
the core never names one. A platform says what it cannot do (`capabilities`): the daemon
skips a job whose capability is missing instead of asking the platform to do nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from tandem.connector.errors import TandemError

# Only types: the command line loads the registry for `tandem --help`, which needs none of it.
if TYPE_CHECKING:
    import httpx
    import typer
    from pydantic import SecretStr
    from sqlalchemy import Connection

    from tandem.connector.configuration import TandemConfig
    from tandem.connector.configuration.model import StoreConfig
    from tandem.connector.domain import Order
    from tandem.connector.health import Failure
    from tandem.connector.services.ingest import IngestReport
    from tandem.connector.services.polling import OrdersReport
    from tandem.connector.services.stock_push import StockPlan
    from tandem.connector.store import Database

ENTRY_POINTS = "tandem.platforms"


class Capability(StrEnum):
    """What a platform can do beyond reading orders."""

    WEBHOOKS = "webhooks"  # pushes order changes to /webhooks/{platform}
    WRITE_BACK = "write_back"  # order status, shipments with tracking
    STOCK = "stock"  # supplier stock written to the shop's inventory
    CLAIM = "claim"  # the shop records which Tandem database serves it


def _nothing_ingested() -> IngestReport:
    from tandem.connector.services.ingest import IngestReport

    return IngestReport()


@dataclass
class OrdersRead:
    """Orders a poll or the stored webhook deliveries brought in, and the ones that could not be
    read (each naming the order and why)."""

    ingest: IngestReport = field(default_factory=_nothing_ingested)
    problems: list[str] = field(default_factory=list)  # orders not read; the others were
    failures: list[str] = field(default_factory=list)  # what could not be read at all
    # The checks this read ran (tandem.connector.health), and those failing now.
    checked: list[str] = field(default_factory=list)
    failing: list[Failure] = field(default_factory=list)


@dataclass
class StockPushed:
    changed: int = 0  # SKUs whose figure changed and was queued
    queued_calls: int = 0  # write-backs queued for them
    not_stocked: list[str] = field(default_factory=list)  # SKUs the shop keeps no level of


@dataclass
class WritesDone:
    done: int = 0
    retried: int = 0
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery, verified and checked, as stored in `webhook_deliveries`."""

    webhook_id: str
    shop: str
    topic: str
    resource_id: str | None
    triggered_at: datetime | None
    # For a topic whose body is the request itself (a privacy request), what it asks, kept
    # with the delivery until it is answered; None for the others.
    payload: dict[str, Any] | None = None


class ShopSession(Protocol):
    """One job's connection to the shop (a client, its throttle, its token)."""

    async def claim(self, now: datetime, *, adopt: bool = False, mark: bool = True) -> None:
        """Check that the shop names this database (recording it the first time, unless not
        `mark`); raise TandemError with one line when another database serves it, unless
        `adopt` (then this database serves it from now on)."""

    async def poll_orders(self, now: datetime, since: datetime | None = None) -> OrdersRead:
        """Store the orders changed since the last poll (or since `since`)."""

    async def read_deliveries(self, now: datetime) -> OrdersRead:
        """Read and store the orders named by the stored webhook deliveries."""

    async def orders_since(self, since: datetime) -> tuple[list[Order], list[tuple[str, str]]]:
        """Every order created since `since` (for `tandem backfill`), and the ones that could
        not be read as (order, why)."""

    async def push_stock(self, now: datetime) -> StockPushed:
        """Queue the supplier stock figures that changed as write-backs."""

    async def perform_writes(self, worker: str | None = None) -> WritesDone:
        """Perform the due write-backs (order status, shipments, stock) on the shop."""


ClientT = TypeVar("ClientT")
ClientT_contra = TypeVar("ClientT_contra", contravariant=True)
ReportT = TypeVar("ReportT")
# A platform's step of one shop's work (reading deliveries, planning a stock push), given the
# job's database, client, configuration, shop and time.
ShopStep = Callable[["Database", ClientT, "TandemConfig", str, datetime], Awaitable[ReportT]]


class PollStep(Protocol[ClientT_contra]):
    """Reading the orders changed since the last poll (or since `since`)."""

    def __call__(
        self,
        db: Database,
        client: ClientT_contra,
        config: TandemConfig,
        shop: str,
        now: datetime,
        /,
        *,
        since: datetime | None = None,
    ) -> Awaitable[OrdersReport]: ...


class OrdersSinceStep(Protocol[ClientT_contra]):
    """Reading every order created since `since` (for `tandem backfill`)."""

    def __call__(
        self, client: ClientT_contra, config: TandemConfig, since: datetime, /
    ) -> Awaitable[tuple[list[Order], list[tuple[str, str]]]]: ...


@dataclass(frozen=True)
class SessionSteps(Generic[ClientT]):
    """The functions a platform reads orders and plans stock pushes with."""

    poll_orders: PollStep[ClientT]
    read_deliveries: ShopStep[ClientT, OrdersReport]
    orders_since: OrdersSinceStep[ClientT]
    push_stock: ShopStep[ClientT, StockPlan]


class StepSession(Generic[ClientT]):
    """The part of a ShopSession every platform does alike: its steps run with the job's
    database, client, configuration and shop, and their reports become the port's. A
    platform's session adds `claim` and `perform_writes`."""

    def __init__(
        self,
        db: Database,
        client: ClientT,
        config: TandemConfig,
        shop: str,
        steps: SessionSteps[ClientT],
    ) -> None:
        self.db, self.client, self.config, self.shop = db, client, config, shop
        self.steps = steps

    async def poll_orders(self, now: datetime, since: datetime | None = None) -> OrdersRead:
        poll = self.steps.poll_orders
        report = await poll(self.db, self.client, self.config, self.shop, now, since=since)
        return OrdersRead(report.ingest, report.problems)

    async def read_deliveries(self, now: datetime) -> OrdersRead:
        read = self.steps.read_deliveries
        report = await read(self.db, self.client, self.config, self.shop, now)
        return OrdersRead(report.ingest, report.problems)

    async def orders_since(self, since: datetime) -> tuple[list[Order], list[tuple[str, str]]]:
        return await self.steps.orders_since(self.client, self.config, since)

    async def push_stock(self, now: datetime) -> StockPushed:
        plan = await self.steps.push_stock(self.db, self.client, self.config, self.shop, now)
        return StockPushed(plan.changed, plan.queued_calls, plan.not_stocked)


class WebhookDoor(Protocol):
    """How a platform's webhook deliveries are checked before they are stored."""

    def claimed(self, headers: Mapping[str, str]) -> dict[str, str | None]:
        """What the sender claims (delivery id, topic, shop), for the log, before checking."""

    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Sequence[SecretStr]) -> bool:
        """Whether the body is signed with one of the secrets."""

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | str:
        """The delivery of a signed body, or what is wrong with it. Headers in lower case."""


def unsigned_ping(door: WebhookDoor, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether the request is a test the platform sends unsigned when a webhook is created
    (a ping): answered 200 and not stored. A door that expects one has a method
    `unsigned_ping(headers, body) -> bool`; the others never get one."""
    check = getattr(door, "unsigned_ping", None)
    return bool(check(headers, body)) if callable(check) else False


class Storefront(Protocol):
    """One configured shop on its platform."""

    platform: str
    shop: str  # the shop's name in Tandem's tables
    capabilities: frozenset[Capability]
    webhooks: WebhookDoor | None
    webhook_secrets: list[SecretStr]  # what deliveries may be signed with (several: rotating)

    @property
    def waited_seconds(self) -> float:
        """How long this shop's sessions have waited for its rate limit, in all."""

    def session(
        self, db: Database, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> AbstractAsyncContextManager[ShopSession]:
        """A connection to the shop for one job; sessions of one storefront share its rate
        limit."""


class Platform(Protocol):
    """A platform as registered: checks its part of the configuration, opens storefronts,
    adds its own commands (`tandem <platform> …`)."""

    name: str
    capabilities: frozenset[Capability]

    def missing(self, store: StoreConfig) -> list[str]:
        """What `store` lacks for this platform, one line each."""

    def field_problem(self, name: str, value: Any) -> str | None:
        """What is wrong with the value of the `store` key `name` for this platform."""

    def shop_name(self, store: StoreConfig) -> str:
        """The shop's name in Tandem's tables and messages (its host, for instance)."""

    def storefront(self, config: TandemConfig) -> Storefront: ...

    def commands(self) -> Mapping[str, typer.Typer]:
        """The platform's own command groups, mounted as `tandem <group>`."""


class UnknownPlatform(TandemError):
    pass


@cache
def registered() -> dict[str, Platform]:
    """The installed platforms by name."""
    found: dict[str, Platform] = {}
    for point in entry_points(group=ENTRY_POINTS):
        found[point.name] = point.load()()
    return found


def platform(name: str) -> Platform:
    try:
        return registered()[name]
    except KeyError:
        known = ", ".join(sorted(registered())) or "none"
        raise UnknownPlatform(
            f"store.platform {name!r} is not an installed platform (installed: {known})"
        ) from None


def storefront(config: TandemConfig) -> Storefront:
    """The configured shop, through its platform."""
    return platform(config.store.platform).storefront(config)


def can(config: TandemConfig, capability: Capability) -> bool:
    """Whether the shop in hand (`config.store`) can do it."""
    return capability in platform(config.store.platform).capabilities


def shops_that_can(config: TandemConfig, capability: Capability) -> set[str]:
    """The configured shops (by name) whose platform can do it."""
    return {
        store.shop_name
        for store in config.stores
        if capability in platform(store.platform).capabilities
    }


def store_delivery(conn: Connection, delivery: Delivery, now: datetime) -> bool:
    """Store a delivery; False when it was stored before (a retry or a duplicate)."""
    return store_deliveries(conn, [delivery], now)[0]


def store_deliveries(conn: Connection, batch: list[Delivery], now: datetime) -> list[bool]:
    """Store deliveries in one go; for each, False when it was stored before, or earlier in
    the batch (a retry or a duplicate)."""
    from sqlalchemy import select

    from tandem.connector.store import schema as t

    deliveries = t.webhook_deliveries
    ids = {delivery.webhook_id for delivery in batch}
    seen = set(
        conn.execute(
            select(deliveries.c.webhook_id).where(deliveries.c.webhook_id.in_(ids))
        ).scalars()
    )
    new: list[bool] = []
    rows: list[dict[str, Any]] = []
    for delivery in batch:
        new.append(delivery.webhook_id not in seen)
        if not new[-1]:
            continue
        seen.add(delivery.webhook_id)
        rows.append(
            {
                "webhook_id": delivery.webhook_id,
                "shop": delivery.shop,
                "topic": delivery.topic,
                "resource_id": delivery.resource_id,
                "triggered_at": delivery.triggered_at,
                "received_at": now,
                "attempts": 0,
                "payload": delivery.payload,
            }
        )
    if rows:
        conn.execute(deliveries.insert(), rows)
    return new
