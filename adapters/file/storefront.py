"""The `file` platform's shop behind the storefront port: orders read from the JSON file
`store.orders_file` each time it is polled (ingest ignores what it already has), and nothing
written back. For stores without an adapter, and for trying Tandem out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import httpx
from pydantic import SecretStr

from tandem.adapters.file.orders import read_orders_file
from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import Order
from tandem.connector.errors import TandemError
from tandem.connector.health import Failure
from tandem.connector.platforms import Capability, OrdersRead, StockPushed, WritesDone
from tandem.connector.services.ingest import IngestReport, ingest_orders
from tandem.connector.store import Database

SHOP = "file"
CHECK = "orders_file"


def store_orders_file(
    db: Database, config: TandemConfig, path: Path, now: datetime
) -> tuple[IngestReport, list[str]]:
    """Store the good orders of an orders file; the problems with the others, each naming the
    order and the field. InputError when nothing in it can be read."""
    parsed = read_orders_file(path)
    with db.write() as conn:
        report = ingest_orders(
            conn, SHOP, parsed.orders, config.store.planned_financial_statuses, now
        )
    return report, parsed.problems


class FileSession:
    def __init__(self, db: Database, config: TandemConfig) -> None:
        self.db, self.config = db, config

    async def claim(self, now: datetime, *, adopt: bool = False, mark: bool = True) -> None:
        return None  # a file cannot record which database reads it

    async def poll_orders(self, now: datetime, since: datetime | None = None) -> OrdersRead:
        """The orders file as it is now; a file that cannot be read fails its check."""
        result = OrdersRead()
        path = self.config.store.orders_file
        if path is None:
            return result
        result.checked.append(CHECK)
        try:
            result.ingest, problems = await asyncio.to_thread(
                store_orders_file, self.db, self.config, path, now
            )
        except TandemError as exc:
            result.failing.append(Failure(CHECK, f"orders file: {exc}"))
            result.failures.append(str(exc))
            return result
        result.problems.extend(f"{path}: {p}" for p in problems)
        return result

    async def read_deliveries(self, now: datetime) -> OrdersRead:
        return OrdersRead()  # a file sends no webhooks

    async def orders_since(self, since: datetime) -> tuple[list[Order], list[tuple[str, str]]]:
        path = self.config.store.orders_file
        if path is None:
            raise TandemError("store.orders_file is not set: there are no orders to backfill")
        parsed = read_orders_file(path)
        recent = [o for o in parsed.orders if o.updated_at >= since]
        return recent, [(f"{path}: {p}", f"{path}: {p}") for p in parsed.problems]

    async def push_stock(self, now: datetime) -> StockPushed:
        return StockPushed()

    async def perform_writes(self, worker: str | None = None) -> WritesDone:
        return WritesDone()


class FileStorefront:
    platform = SHOP
    capabilities: frozenset[Capability] = frozenset()
    shop = SHOP
    webhooks = None
    webhook_secrets: list[SecretStr] = []
    waited_seconds = 0.0

    def __init__(self, config: TandemConfig) -> None:
        self.config = config

    @asynccontextmanager
    async def session(
        self, db: Database, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> AsyncIterator[FileSession]:
        yield FileSession(db, self.config)
