"""One pass of Tandem's main job: bring in what changed, plan, release due POs, send them.

Part of Tandem's shell, with the CLI and the daemon: here the core meets its adapters (the
shop's platform through the storefront port, the supplier channels). Catalogues and warehouse
stock files are imported when their content changed; the orders come from the stored webhook
deliveries and a poll, and the pass ends with the write-backs (status, shipments, stock) the
platform can take. Each step's failure is reported and the next steps still run on what was
good: an outage while polling must not stop yesterday's POs' status from being written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import httpx

from tandem.adapters.feeds import make_feed
from tandem.adapters.suppliers import make_channel
from tandem.adapters.suppliers.email.replies import read_inbox
from tandem.adapters.suppliers.sftp.answer_poll import read_sftp_answers
from tandem.connector.catalogue import ImportReport, import_catalogue
from tandem.connector.catalogue.feeds import FeedReport, feed_due, refresh_feed
from tandem.connector.channels import ChannelError, ChannelFactory
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.fields import format_duration
from tandem.connector.errors import TandemError
from tandem.connector.health import Failure
from tandem.connector.outbox import worker_name
from tandem.connector.platforms import (
    Capability,
    OrdersRead,
    StockPushed,
    Storefront,
    WritesDone,
    storefront,
)
from tandem.connector.services.dispatch import DispatchReport, dispatch
from tandem.connector.services.ingest import IngestReport
from tandem.connector.services.plan import PlanSummary, run_planner
from tandem.connector.services.stock import import_stock
from tandem.connector.store import Database
from tandem.connector.store.identity import IdentityError
from tandem.connector.store.shop_stops import is_stopped


@dataclass
class SyncReport:
    orders: IngestReport = field(default_factory=IngestReport)
    catalogues: list[ImportReport] = field(default_factory=list)
    stock_rows: int | None = None
    plan: PlanSummary = field(default_factory=PlanSummary)
    stock: StockPushed | None = None  # the stock push queued, where the platform takes it
    writes: WritesDone = field(default_factory=WritesDone)  # write-backs performed
    dispatch: DispatchReport = field(default_factory=DispatchReport)  # POs sent to suppliers
    problems: list[str] = field(default_factory=list)  # input rejected, the rest went on
    failures: list[str] = field(default_factory=list)  # steps that could not run
    # What the inputs' checks found (tandem.connector.health): each check run, and those failing.
    checked: list[str] = field(default_factory=list)
    failing: list[Failure] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)  # what suppliers' email replies said
    answer_files: list[str] = field(default_factory=list)  # what SFTP answer files said

    @property
    def ok(self) -> bool:
        return not (self.problems or self.failures)


def sync_inputs(
    db: Database, config: TandemConfig, now: datetime, report: SyncReport, *, feeds: bool = True
) -> None:
    """Import changed catalogue files and the warehouse stock; with `feeds`, refresh the
    scheduled feeds (`catalogue.source`) that are due (the daemon gives each its own job)."""
    for supplier in config.suppliers:
        if supplier.catalogue.source is not None:
            if feeds and feed_due(db, supplier, now):
                sync_feed(db, config, supplier.id, now, report)
            continue
        path = supplier.catalogue.path
        if path is None:
            continue
        check = f"catalogue:{supplier.id}"
        report.checked.append(check)
        try:
            result = import_catalogue(db, config, supplier.id, None, now=now, skip_unchanged=True)
        except TandemError as exc:
            report.failures.append(f"catalogue of {supplier.id}: {exc}")
            report.failing.append(Failure(check, f"catalogue of {supplier.id}: {exc}", supplier.id))
            continue
        report.catalogues.append(result)
        report.problems.extend(
            f"{result.source}: {p.position}: {p.reason}" for p in result.problems
        )
        if supplier.catalogue.max_age is not None:
            report.checked.append(f"{check}:age")
            stale = feed_too_old(path, supplier.catalogue.max_age, now)
            if stale:
                reason = f"catalogue of {supplier.id}: {stale}"
                report.failing.append(Failure(f"{check}:age", reason, supplier.id))
    stock_file = config.warehouse.stock_file
    if stock_file is not None:
        report.checked.append("warehouse_stock")
        try:
            stock = import_stock(db, stock_file, now, skip_unchanged=True)
        except TandemError as exc:
            report.failures.append(f"warehouse stock: {exc}")
            report.failing.append(Failure("warehouse_stock", f"warehouse stock: {exc}"))
        else:
            report.stock_rows = None if stock.skipped else stock.rows
            report.problems.extend(f"{stock_file}: {p}" for p in stock.problems)


def sync_feed(
    db: Database, config: TandemConfig, supplier_id: str, now: datetime, report: SyncReport
) -> FeedReport:
    """Refresh one scheduled feed; a failed refresh is a failed step, and its check fails
    once the feed has been failing for longer than `catalogue.fail_after`."""
    feed = refresh_feed(db, config, supplier_id, now, make_feed)
    report.checked.extend(feed.checked)
    report.failing.extend(feed.failing)
    if feed.error is not None:
        report.failures.append(f"catalogue of {supplier_id}: {feed.error}")
    if feed.imported is not None:
        report.catalogues.append(feed.imported)
        report.problems.extend(
            f"{feed.source}: {p.position}: {p.reason}" for p in feed.imported.problems
        )
    return feed


def feed_too_old(path: Path, limit: timedelta, now: datetime) -> str | None:
    """Why the feed at `path` is older than `limit`, or None while it is fresh."""
    try:
        changed = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError:
        return None  # a missing file fails its own check
    if now - changed <= limit:
        return None
    return (
        f"{path} last changed {changed:%Y-%m-%d %H:%M} UTC,"
        f" longer ago than its limit of {format_duration(limit)}"
    )


def sync_replies(db: Database, config: TandemConfig, now: datetime, report: SyncReport) -> None:
    """The suppliers' email replies, read once before the write-backs that pass them on."""
    if config.inbox is None:
        return
    try:
        replies = read_inbox(db, config, now)
    except ChannelError as exc:
        report.failures.append(f"reading supplier replies: {exc}")
        return
    report.replies.extend(replies.lines())
    report.failures.extend(replies.failed)


def sync_answer_files(
    db: Database, config: TandemConfig, now: datetime, report: SyncReport
) -> None:
    """The answer files on SFTP suppliers' servers, read once before the write-backs."""
    answers = asyncio.run(read_sftp_answers(db, config, now))
    report.answer_files.extend(answers.applied)
    report.problems.extend(answers.problems)
    report.failures.extend(answers.failures)
    report.checked.extend(answers.checked)
    report.failing.extend(answers.failing)


def read_into(report: SyncReport, read: OrdersRead) -> None:
    report.orders.add(read.ingest)
    report.problems.extend(read.problems)
    report.failures.extend(read.failures)
    report.checked.extend(read.checked)
    report.failing.extend(read.failing)


async def store_pass(
    db: Database,
    config: TandemConfig,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    channels: ChannelFactory,
    poll: bool = True,
    push_stock: bool = True,
    report: SyncReport | None = None,
) -> SyncReport:
    """Each shop's stored webhook deliveries, then (with `poll`) the orders changed since its
    last poll; the planner and dispatch once for every shop; then each shop's stock push (with
    `push_stock`, when configured) and write-backs. `tandem serve` runs it after each webhook
    with neither poll nor stock push. A shop that fails is reported and the others go on.

    The planner runs in a thread: its database work takes seconds on a busy shop, and the
    event loop may be a web server's that must answer webhooks meanwhile."""
    report = report or SyncReport()
    shops = [storefront(shop) for shop in config.shops()]
    started = utcnow()
    for shop in shops:
        await _read_shop(db, shop, transport, poll, started, report, named=len(shops) > 1)
    report.plan = await asyncio.to_thread(run_planner, db, config, utcnow())
    report.dispatch = await dispatch(db, config, worker=worker_name(), channels=channels)
    report.failures.extend(f"sending {f}" for f in report.dispatch.failed)
    for shop, shop_config in zip(shops, config.shops(), strict=True):
        stock = push_stock and shop_config.store.stock_push.enabled
        await _write_shop(db, shop, transport, stock, report, named=len(shops) > 1)
    return report


async def _read_shop(
    db: Database,
    shop: Storefront,
    transport: httpx.AsyncBaseTransport | None,
    poll: bool,
    started: datetime,
    report: SyncReport,
    *,
    named: bool,
) -> None:
    """A shop's deliveries and polled orders into `report`. A shop whose work is stopped
    (uninstalled) is asked once whether Tandem is back; its deliveries are read either way
    (privacy requests are answered)."""
    can = shop.capabilities
    prefix = f"{shop.shop}: " if named else ""
    try:
        async with shop.session(db, transport=transport) as session:
            if Capability.CLAIM in can:
                try:
                    await session.claim(started)
                except IdentityError:
                    raise  # another database serves the shop: nothing more is done
                except TandemError as exc:  # what is stored was checked when it was stored
                    report.failures.append(
                        f"{prefix}checking which database serves the shop: {exc}"
                    )
            steps: list[tuple[str, Callable[[], Awaitable[OrdersRead]]]] = []
            if Capability.WEBHOOKS in can:
                steps.append(("webhook deliveries", partial(session.read_deliveries, started)))
            if poll and not is_stopped(db, shop.shop):
                steps.append(("polling orders", partial(session.poll_orders, started)))
            for name, step in steps:
                try:
                    read_into(report, await step())
                except TandemError as exc:
                    report.failures.append(f"{prefix}{name}: {exc}")
    except IdentityError:
        raise
    except TandemError as exc:  # the shop cannot be reached at all: the others go on
        report.failures.append(f"{prefix}{exc}")


async def _write_shop(
    db: Database,
    shop: Storefront,
    transport: httpx.AsyncBaseTransport | None,
    push_stock: bool,
    report: SyncReport,
    *,
    named: bool,
) -> None:
    can = shop.capabilities
    if not can & {Capability.WRITE_BACK, Capability.STOCK} or is_stopped(db, shop.shop):
        return
    prefix = f"{shop.shop}: " if named else ""
    try:
        async with shop.session(db, transport=transport) as session:
            if push_stock and Capability.STOCK in can:
                try:
                    report.stock = await session.push_stock(utcnow())
                except TandemError as exc:
                    report.failures.append(f"{prefix}stock push: {exc}")
            writes = await session.perform_writes()
    except TandemError as exc:
        report.failures.append(f"{prefix}write-back: {exc}")
        return
    report.writes.done += writes.done
    report.writes.retried += writes.retried
    report.writes.failed.extend(writes.failed)
    report.failures.extend(f"{prefix}write-back {f}" for f in writes.failed)


def sync_once(
    db: Database,
    config: TandemConfig,
    now: datetime,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SyncReport:
    report = SyncReport()
    sync_inputs(db, config, now, report)
    sync_replies(db, config, now, report)
    sync_answer_files(db, config, now, report)
    return asyncio.run(store_pass(db, config, transport, channels=make_channel, report=report))
