"""The daemon's jobs: each one step of the main job, safe to run again at any time.

Every job records its last success (for /healthz) and counts its runs (for /metrics); a
failing job logs why and the next run tries again. Database-heavy steps run in a thread so the
web server keeps answering webhooks meanwhile. Polling a shop takes an advisory lock, so with
several replicas one polls while the others skip.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.shopify.deliveries import process_deliveries
from adapters.shopify.orders import poll_orders
from adapters.shopify.stock import plan_stock_push
from adapters.shopify.sync import make_client, shop_key
from adapters.shopify.worker import perform_store_writes
from connector import outbox
from connector.clock import utcnow
from connector.configuration import TandemConfig
from connector.daemon import metrics
from connector.daemon.logs import get_logger
from connector.services.dispatch import dispatch
from connector.services.plan import run_planner
from connector.services.supplier_status import poll_supplier_status
from connector.services.sync import SyncReport, sync_file_orders, sync_inputs
from connector.store import Database
from connector.store import schema as t

log = get_logger("tandem.jobs")


@dataclass
class Health:
    started_at: datetime = field(default_factory=utcnow)
    last_success: dict[str, datetime] = field(default_factory=dict)
    last_error: dict[str, str] = field(default_factory=dict)


class Jobs:
    def __init__(self, db: Database, config: TandemConfig, worker: str | None = None) -> None:
        self.db = db
        self.config = config
        self.worker = worker or outbox.worker_name()
        self.health = Health()
        self.shopify = config.store.platform == "shopify"
        self.stopping = False  # set on SIGTERM: loops stop taking new items
        self.running: set[str] = set()  # the jobs under way now

    async def guarded(self, name: str, step: Callable[[], Awaitable[Any]]) -> None:
        started = time.perf_counter()
        self.running.add(name)
        try:
            await step()
        except Exception as exc:
            self.health.last_error[name] = f"{utcnow().isoformat()}: {exc}"
            metrics.job_runs.labels(name, "error").inc()
            log.error("job failed", job=name, error=str(exc), error_type=type(exc).__name__)
            return
        finally:
            self.running.discard(name)
        self.health.last_success[name] = utcnow()
        self.health.last_error.pop(name, None)
        metrics.job_runs.labels(name, "ok").inc()
        log.debug("job done", job=name, seconds=round(time.perf_counter() - started, 3))

    # -- the jobs ------------------------------------------------------------------------------

    async def poll_orders(self) -> None:
        if not self.shopify:
            result = SyncReport()
            await asyncio.to_thread(sync_file_orders, self.db, self.config, utcnow(), result)
            self._count_orders(result.orders.created + result.orders.updated)
            return
        shop = shop_key(self.config)
        with self.db.try_lock(f"poll:{shop}") as held:
            if not held:
                log.debug("another replica polls this shop", shop=shop)
                return
            async with make_client(self.config) as client:
                report = await poll_orders(self.db, client, self.config, shop, utcnow())
                metrics.throttle_waits.inc(client.stats.waited_seconds)
        self._count_orders(report.ingest.created + report.ingest.updated)
        for problem in report.problems:
            log.warning("order not read", problem=problem)

    async def webhooks(self) -> None:
        if not self.shopify:
            return
        async with make_client(self.config) as client:
            report = await process_deliveries(
                self.db, client, self.config, shop_key(self.config), utcnow()
            )
        self._count_orders(report.ingest.created + report.ingest.updated)
        if report.ingest.created or report.ingest.updated:
            await self.plan()

    async def catalogues(self) -> None:
        report = SyncReport()
        await asyncio.to_thread(sync_inputs, self.db, self.config, utcnow(), report)
        for line in report.problems + report.failures:
            log.warning("input rejected", problem=line)

    async def plan(self, everything: bool = False) -> None:
        summary = await asyncio.to_thread(
            run_planner, self.db, self.config, utcnow(), everything=everything
        )
        metrics.lines_planned.inc(summary.lines)
        metrics.pos_released.inc(len(summary.released))
        if summary.lines or summary.released:
            log.info(
                "planned",
                lines=summary.lines,
                units=summary.allocated_units,
                released=summary.released,
                exceptions_opened=summary.exceptions_opened,
            )

    async def dispatch(self) -> None:
        report = await dispatch(
            self.db, self.config, worker=self.worker, stop=lambda: self.stopping
        )
        for label in report.sent:
            log.info("po sent", po=label)
        for label in report.failed:
            log.error("po not sent", po=label)
        metrics.pos_sent.labels("all").inc(len(report.sent))
        metrics.pos_failed.labels("all").inc(len(report.failed))
        if self.shopify:
            async with make_client(self.config) as client:
                work = await perform_store_writes(self.db, client, self.config, worker=self.worker)
            for failure in work.failed:
                log.error("store write-back failed", error=failure)
        await asyncio.to_thread(self._gauges)

    async def supplier_status(self) -> None:
        for line in await poll_supplier_status(self.db, self.config, utcnow()):
            log.info("supplier status", update=line)

    async def stock_push(self) -> None:
        if not (self.shopify and self.config.store.stock_push.enabled):
            return
        async with make_client(self.config) as client:
            plan = await plan_stock_push(
                self.db, client, self.config, shop_key(self.config), utcnow()
            )
            await perform_store_writes(self.db, client, self.config, worker=self.worker)
        if plan.changed:
            log.info("stock pushed", changed=plan.changed, calls=plan.queued_calls)

    async def reconcile(self) -> None:
        """The slow full pass: webhooks and polls may both have missed something."""
        if self.shopify:
            shop = shop_key(self.config)
            now = utcnow()
            with self.db.try_lock(f"poll:{shop}") as held:
                if held:
                    async with make_client(self.config) as client:
                        await poll_orders(
                            self.db,
                            client,
                            self.config,
                            shop,
                            now,
                            since=now - self.config.store.first_poll_lookback,
                        )
        await self.plan(everything=True)

    # -- helpers -------------------------------------------------------------------------------

    def _count_orders(self, count: int) -> None:
        if count:
            metrics.orders_ingested.inc(count)
            log.info("orders stored", count=count)

    def _gauges(self) -> None:
        with self.db.read() as conn:
            depth = outbox.depth(conn, utcnow())
            open_count = conn.execute(
                t.exceptions.select()
                .with_only_columns(t.exceptions.c.id)
                .where(t.exceptions.c.status == "open")
            ).all()
        metrics.outbox_waiting.set(depth["waiting"])
        metrics.outbox_oldest.set(depth["oldest_waiting_seconds"])
        metrics.exceptions_open.set(len(open_count))
