"""One pass of Tandem's main job: bring in what changed, plan, release due POs, send them.

Part of Tandem's shell, with the CLI and the daemon: here the core meets its adapters (the
store platform, the supplier channels). Catalogues and warehouse stock files are imported when
their content changed. For the `file` platform the orders come from `store.orders_file`; for
Shopify from webhooks and polling, and the pass ends with the write-backs (tags, metafields,
fulfillments, stock). Each step's failure is reported and the next steps still run on what was
good.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from adapters.feeds import make_feed
from adapters.file import read_orders_file
from adapters.shopify.stock import StockPlan
from adapters.shopify.sync import shopify_pass
from adapters.shopify.worker import WorkReport
from adapters.suppliers import make_channel
from adapters.suppliers.email.replies import read_inbox
from adapters.suppliers.sftp.answer_poll import read_sftp_answers
from connector.catalogue import ImportReport, import_catalogue
from connector.catalogue.feeds import FeedReport, feed_due, refresh_feed
from connector.channels import ChannelError
from connector.configuration import TandemConfig
from connector.configuration.fields import format_duration
from connector.errors import TandemError
from connector.health import Failure
from connector.outbox import worker_name
from connector.services.dispatch import DispatchReport, dispatch
from connector.services.ingest import IngestReport, ingest_orders
from connector.services.plan import PlanSummary, run_planner
from connector.services.stock import import_stock
from connector.store import Database

FILE_SHOP = "file"


@dataclass
class SyncReport:
    orders: IngestReport = field(default_factory=IngestReport)
    catalogues: list[ImportReport] = field(default_factory=list)
    stock_rows: int | None = None
    plan: PlanSummary = field(default_factory=PlanSummary)
    stock: StockPlan | None = None  # Shopify: the stock push queued
    writes: WorkReport = field(default_factory=WorkReport)  # Shopify: write-backs performed
    dispatch: DispatchReport = field(default_factory=DispatchReport)  # POs sent to suppliers
    problems: list[str] = field(default_factory=list)  # input rejected, the rest went on
    failures: list[str] = field(default_factory=list)  # steps that could not run
    # What the inputs' checks found (connector.health): each check run, and those failing.
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


def sync_file_orders(db: Database, config: TandemConfig, now: datetime, report: SyncReport) -> None:
    path = config.store.orders_file
    if path is None:
        return
    report.checked.append("orders_file")
    try:
        report.orders, problems = store_orders_file(db, config, path, now)
    except TandemError as exc:
        report.failures.append(str(exc))
        report.failing.append(Failure("orders_file", f"orders file: {exc}"))
        return
    report.problems.extend(f"{path}: {p}" for p in problems)


def store_orders_file(
    db: Database, config: TandemConfig, path: Path, now: datetime
) -> tuple[IngestReport, list[str]]:
    """Store the good orders of an orders file (the `file` platform); the problems with the
    others, each naming the order and the field. InputError when nothing in it can be read."""
    parsed = read_orders_file(path)
    with db.write() as conn:
        report = ingest_orders(
            conn, FILE_SHOP, parsed.orders, config.store.planned_financial_statuses, now
        )
    return report, parsed.problems


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
    if config.store.platform == "file":
        sync_file_orders(db, config, now, report)
        report.plan = run_planner(db, config, now)
        report.dispatch = asyncio.run(
            dispatch(db, config, worker=worker_name(), channels=make_channel)
        )
        report.failures.extend(f"sending {f}" for f in report.dispatch.failed)
        return report
    result = asyncio.run(shopify_pass(db, config, transport, channels=make_channel))
    report.orders = result.orders
    report.plan = result.plan
    report.stock = result.stock
    report.writes = result.writes
    report.dispatch = result.dispatch
    report.problems.extend(result.problems)
    report.failures.extend(result.failures)
    return report
