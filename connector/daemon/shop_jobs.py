"""One shop's part of the daemon: its storefront, the sessions its jobs open, and the jobs that
talk to it (polling, webhook deliveries, write-backs, stock).

Every configured shop has its own `ShopJobs`: its own rate limit, claim, advisory lock and
schedule, so a shop that fails (a revoked token, a site that is down) stops only its own work.
A shop whose work is stopped (Tandem uninstalled from it, `connector.store.shop_stops`) is
left alone, except that its webhook deliveries are still read (privacy requests are answered)
and it is asked again now and then whether Tandem is back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.daemon import metrics
from tandem.connector.daemon.logs import get_logger
from tandem.connector.health import Failure
from tandem.connector.platforms import Capability, OrdersRead, ShopSession, storefront
from tandem.connector.store.shop_stops import is_stopped

if TYPE_CHECKING:
    from tandem.connector.store import Database

log = get_logger("tandem.jobs")

# How often a running daemon checks again that the shop names this database (seconds); a
# stopped shop is asked as often whether Tandem is installed again.
RECLAIM_SHOP = 600.0

Checks = Callable[[Sequence[str], Sequence[Failure]], Awaitable[None]]


class ShopJobs:
    def __init__(
        self, db: Database, config: TandemConfig, worker: str, report_checks: Checks
    ) -> None:
        self.db = db
        self.config = config  # as this shop's work reads it (`TandemConfig.for_shop`)
        self.worker = worker
        self.front = storefront(config)
        self.name = self.front.shop
        self.can = self.front.capabilities
        self._report_checks = report_checks
        self._waits_reported = 0.0
        self._claimed_at: float | None = None  # when the shop last said it is ours (monotonic)

    def _claim_due(self) -> bool:
        due = self._claimed_at is None or time.monotonic() - self._claimed_at > RECLAIM_SHOP
        return Capability.CLAIM in self.can and due

    @asynccontextmanager
    async def session(self, *, claim: bool = True) -> AsyncIterator[ShopSession]:
        """A session with the shop for one job, paced by the shop's shared rate limit; the
        time waited for it since the last report goes to /metrics."""
        async with self.front.session(self.db) as session:
            if claim and self._claim_due():
                # Another database may have adopted the shop since: then nothing more is done.
                await session.claim(utcnow())
                self._claimed_at = time.monotonic()
            try:
                yield session
            finally:
                waited = self.front.waited_seconds
                metrics.throttle_waits.labels(self.front.platform, self.name).inc(
                    waited - self._waits_reported
                )
                self._waits_reported = waited

    async def stopped(self) -> bool:
        """Whether this shop's work is stopped. Now and then a stopped shop is asked again:
        a claim it accepts resumes its work."""
        if not await asyncio.to_thread(is_stopped, self.db, self.name):
            return False
        if self._claim_due():
            self._claimed_at = time.monotonic()
            try:
                async with self.front.session(self.db) as session:
                    await session.claim(utcnow())
            except Exception as exc:  # still uninstalled, or not reachable: ask again later
                log.debug("stopped shop not resumed", shop=self.name, error=str(exc))
            return await asyncio.to_thread(is_stopped, self.db, self.name)
        return True

    # -- the jobs ------------------------------------------------------------------------------

    async def poll_orders(self, since: datetime | None = None) -> int:
        """Poll the shop's orders, unless another replica is polling it right now: the
        advisory lock lets one poller per shop in at a time (PostgreSQL; SQLite has one
        process per database anyway). Returns how many orders were stored new or changed."""
        if await self.stopped():
            return 0
        with self.db.try_lock(f"poll:{self.name}") as held:
            if not held:
                log.debug("another replica polls this shop")
                return 0
            # Both lines are written while the lock is held: together they say when.
            log.debug("polling orders")
            try:
                async with self.session() as session:
                    read: OrdersRead = await session.poll_orders(utcnow(), since=since)
            finally:
                log.debug("polling over")
        await self._report_checks(read.checked, read.failing)
        for problem in read.problems:
            log.warning("order not read", problem=problem)
        for failure in read.failures:
            log.warning("orders not read", problem=failure)
        return self._count(read)

    async def webhooks(self) -> int:
        """Read the stored webhook deliveries; a stopped shop's too (privacy requests), without
        asking the shop whether it is ours. Returns how many orders were stored."""
        if Capability.WEBHOOKS not in self.can:
            return 0
        stopped = await self.stopped()
        async with self.session(claim=not stopped) as session:
            read = await session.read_deliveries(utcnow())
        for problem in read.problems:  # each names its order or delivery
            log.warning("webhook order not read", problem=problem)
        return self._count(read)

    async def store_writes(self) -> None:
        """Write-backs to the shop (order status, fulfillments, stock), a job of its own: a
        shop that throttles Tandem, with a backlog of hundreds of write-backs after a
        restart, never holds up the next PO to a supplier (nor another shop's write-backs)."""
        if not self.can & {Capability.WRITE_BACK, Capability.STOCK} or await self.stopped():
            return
        async with self.session() as session:
            work = await session.perform_writes(self.worker)
        for failure in work.failed:
            log.error("store write-back failed", error=failure)

    async def stock_push(self) -> None:
        if not (Capability.STOCK in self.can and self.config.store.stock_push.enabled):
            return
        if await self.stopped():
            return
        async with self.session() as session:
            plan = await session.push_stock(utcnow())
            await session.perform_writes(self.worker)
        if plan.changed:
            log.info("stock pushed", changed=plan.changed, calls=plan.queued_calls)

    def _count(self, read: OrdersRead) -> int:
        count = read.ingest.created + read.ingest.updated
        if count:
            metrics.orders_ingested.labels(self.name).inc(count)
            log.info("orders stored", count=count)
        return count
