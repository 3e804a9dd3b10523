"""The daemon's jobs: each one step of the main job, safe to run again at any time.

Every job records its last success (for /healthz) and counts its runs (for /metrics); a
failing job logs why and the next run tries again. Database-heavy steps run in a thread so the
web server keeps answering webhooks meanwhile. Each configured shop has jobs of its own
(`connector.daemon.shop_jobs`), reached through the storefront port (`connector.platforms`): a
job its platform cannot do has nothing to do, and one shop's failure is its own. Planning,
dispatch and the suppliers' side are shared by every shop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from tandem.adapters.suppliers import make_channel
from tandem.adapters.suppliers.email.replies import read_inbox
from tandem.adapters.suppliers.sftp.answer_poll import read_sftp_answers
from tandem.connector import outbox
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.daemon import metrics
from tandem.connector.daemon.logs import bound, customer_data, customer_values, get_logger
from tandem.connector.daemon.shop_jobs import ShopJobs
from tandem.connector.errors import TemporaryError
from tandem.connector.health import Checks, Failure
from tandem.connector.services.dispatch import Outcome, dispatch
from tandem.connector.services.plan import run_planner
from tandem.connector.services.supplier_answers import raise_unconfirmed
from tandem.connector.services.supplier_status import poll_supplier_status
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.sync import SyncReport, sync_feed, sync_inputs

log = get_logger("tandem.jobs")

# How far back the slow full pass reads orders again. Orders the shop had before this
# database's first run are fenced by what the shop says about them (services.plan).
RECONCILE_WINDOW = timedelta(days=7)

# How each outcome of a PO message is logged: level and event.
OUTCOME_LINES = {
    "sent": ("info", "po sent"),
    "manual": ("info", "po ready to pass on by hand"),
    "retried": ("warning", "po not sent yet; will retry"),
    "held": ("error", "po held: it may or may not have reached the supplier"),
    "failed": ("error", "po not sent"),
}


@dataclass
class Health:
    started_at: datetime = field(default_factory=utcnow)
    last_success: dict[str, datetime] = field(default_factory=dict)
    last_error: dict[str, str] = field(default_factory=dict)


def job_failure(name: str, exc: Exception) -> Failure:
    """A job's failure as a check: lasting unless the error is of the kind that passes."""
    temporary = isinstance(exc, TemporaryError | OSError | TimeoutError)
    return Failure(f"job:{name}", f"the {name} job fails: {exc}", lasting=not temporary)


def channel_checks(outcomes: Sequence[Outcome]) -> tuple[list[str], list[Failure]]:
    """Each supplier a dispatch run tried: failing while its messages do not go out."""
    covered: dict[str, None] = {}
    failing: dict[str, Failure] = {}
    for outcome in outcomes:
        if outcome.result not in ("sent", "retried"):
            continue  # a PO refused for good has its own exception; the channel may work
        check = f"channel:{outcome.supplier_id}"
        covered[check] = None
        if outcome.result == "sent":
            failing.pop(check, None)
        elif check not in failing:
            reason = f"sending to {outcome.supplier_id} fails: {outcome.detail or outcome.result}"
            failing[check] = Failure(check, reason, outcome.supplier_id)
    return list(covered), list(failing.values())


class Jobs:
    def __init__(self, db: Database, config: TandemConfig, worker: str | None = None) -> None:
        self.db = db
        self.config = config
        self.worker = worker or outbox.worker_name()
        self.health = Health()
        self.checks = Checks()  # what fails right now: exceptions, /healthz, the gauge
        self.shops = {
            work.name: work
            for work in (
                ShopJobs(db, shop, self.worker, self._report_checks) for shop in config.shops()
            )
        }
        self.stopping = False  # set on SIGTERM: loops stop taking new items
        self.running: set[str] = set()  # the jobs under way now

    def health_report(self, names: Iterable[str]) -> dict[str, Any]:
        """What /healthz adds: when this process started, what fails now, each job's last
        success and error."""
        health = self.health
        return {
            "started_at": health.started_at.isoformat(),
            "failing": self.checks.report(),
            "jobs": {
                name: {
                    "last_success": (
                        health.last_success[name].isoformat()
                        if name in health.last_success
                        else None
                    ),
                    "last_error": health.last_error.get(name),
                }
                for name in names
            },
        }

    async def guarded(self, name: str, step: Callable[[], Awaitable[Any]]) -> None:
        started = time.perf_counter()
        self.running.add(name)
        try:
            with bound(job=name):
                await step()
        except Exception as exc:
            self.health.last_error[name] = f"{utcnow().isoformat()}: {exc}"
            metrics.job_runs.labels(name, "error").inc()
            log.error("job failed", job=name, error=str(exc), error_type=type(exc).__name__)
            await self._check(f"job:{name}", job_failure(name, exc))
            return
        finally:
            self.running.discard(name)
        self.health.last_success[name] = utcnow()
        self.health.last_error.pop(name, None)
        metrics.job_runs.labels(name, "ok").inc()
        await self._check(f"job:{name}", None)
        log.debug("job done", job=name, seconds=round(time.perf_counter() - started, 3))

    # -- the jobs ------------------------------------------------------------------------------

    def job_name(self, job: str, shop: str) -> str:
        """A shop's job as scheduled and reported: `poll_orders`, or with several shops
        `poll_orders:shop.example.com`."""
        return job if len(self.shops) == 1 else f"{job}:{shop}"

    def shop(self, name: str | None = None) -> ShopJobs:
        """The named shop's jobs; unset, the only shop's."""
        if name is not None:
            return self.shops[name]
        if len(self.shops) > 1:
            raise ValueError("several shops are configured: name the shop")
        return next(iter(self.shops.values()))

    async def poll_orders(self, shop: str | None = None) -> None:
        work = self.shop(shop)
        with bound(shop=work.name):
            await work.poll_orders()

    async def webhooks(self, shop: str | None = None) -> None:
        work = self.shop(shop)
        with bound(shop=work.name):
            stored = await work.webhooks()
        if stored:
            await self.plan()

    async def store_writes(self, shop: str | None = None) -> None:
        work = self.shop(shop)
        with bound(shop=work.name):
            await work.store_writes()

    async def stock_push(self, shop: str | None = None) -> None:
        work = self.shop(shop)
        with bound(shop=work.name):
            await work.stock_push()

    async def catalogues(self) -> None:
        report = SyncReport()
        # Scheduled feeds have a job each (`feed`), on their own `catalogue.every`.
        await asyncio.to_thread(sync_inputs, self.db, self.config, utcnow(), report, feeds=False)
        await self._report_checks(report.checked, report.failing)
        for line in report.problems + report.failures:
            log.warning("input rejected", problem=line)

    async def feed(self, supplier_id: str) -> None:
        """Refresh one supplier's scheduled feed (`catalogue.source`). A failed refresh is
        logged; its check fails (exception, /healthz) after `catalogue.fail_after`."""
        report = SyncReport()
        feed = await asyncio.to_thread(
            sync_feed, self.db, self.config, supplier_id, utcnow(), report
        )
        await self._report_checks(report.checked, report.failing)
        if feed.error is not None:
            log.warning("feed not refreshed", supplier=supplier_id, error=feed.error)
        elif feed.imported is not None and not feed.imported.skipped:
            changes = feed.imported.changes
            log.info(
                "feed imported",
                supplier=supplier_id,
                added=changes.added,
                changed=changes.changed,
                removed=changes.removed,
                rejected=feed.imported.rows_rejected,
            )
        for line in report.problems:
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
            self.db,
            self.config,
            worker=self.worker,
            channels=make_channel,
            stop=lambda: self.stopping,
        )
        await asyncio.to_thread(self._log_outcomes, report.outcomes)
        await self._report_checks(*channel_checks(report.outcomes))

    async def supplier_status(self) -> None:
        for line in await poll_supplier_status(
            self.db, self.config, utcnow(), channels=make_channel
        ):
            log.info("supplier status", update=line)
        opened = await asyncio.to_thread(self._raise_unconfirmed)
        if opened:
            log.warning("pos not confirmed in time", exceptions_opened=opened)

    def _raise_unconfirmed(self) -> int:
        """An exception for each sent PO its supplier has not confirmed in time."""
        with self.db.write() as conn:
            return raise_unconfirmed(conn, self.config, utcnow())

    async def supplier_replies(self) -> None:
        """The suppliers' email replies (`inbox`): tracking, confirmations, refusals."""
        if self.config.inbox is None:
            return
        report = await asyncio.to_thread(read_inbox, self.db, self.config, utcnow())
        for line in report.lines():
            log.info("supplier reply", answer=line)
        for line in report.failed:
            log.error("supplier reply not processed", error=line)

    async def sftp_answers(self) -> None:
        """Answer files on the suppliers' SFTP servers: confirmations, shipments, refusals."""
        report = await read_sftp_answers(self.db, self.config, utcnow())
        await self._report_checks(report.checked, report.failing)
        for line in report.applied:
            log.info("supplier answer file", answer=line)
        for line in report.problems:
            log.warning("supplier answer not read", problem=line)
        for line in report.failures:
            log.error("supplier answers not read", error=line)

    async def reconcile(self) -> None:
        """The slow full pass: webhooks and polls may both have missed something. Each shop's
        poll succeeds or fails on its own (its check says so); then everything is planned."""
        since = utcnow() - RECONCILE_WINDOW
        for name, shop in self.shops.items():

            async def poll(shop: ShopJobs = shop) -> None:
                await shop.poll_orders(since=since)

            with bound(shop=name):
                await self.guarded(f"reconcile:{name}", poll)
        await self.plan(everything=True)

    # -- helpers -------------------------------------------------------------------------------

    async def _report_checks(self, covered: Sequence[str], failing: Sequence[Failure]) -> None:
        if covered or failing:
            await asyncio.to_thread(self.checks.update, self.db, covered, failing, utcnow())

    async def _check(self, check: str, failure: Failure | None) -> None:
        """One job's own check; a database that fails with it must not hide the job's error."""
        try:
            await self._report_checks([check], [failure] if failure else [])
        except Exception as exc:
            log.error("check not recorded", check=check, error=f"{type(exc).__name__}: {exc}")

    def _log_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """One line per PO message, counted per supplier. A supplier's answer may quote the
        ship-to it was sent, so the PO's ship-to is masked wherever it appears."""
        problems = [o.po for o in outcomes if o.detail]
        ship_to: dict[str, Any] = {}
        if problems:
            po = t.purchase_orders
            with self.db.read() as conn:
                rows = conn.execute(
                    select(po.c.number, po.c.ship_to).where(po.c.number.in_(problems))
                ).all()
            ship_to = {number: address for number, address in rows if address}
        for outcome in outcomes:
            if outcome.result == "sent":
                metrics.pos_sent.labels(outcome.supplier_id).inc()
            elif outcome.result == "failed":
                metrics.pos_failed.labels(outcome.supplier_id).inc()
            level, event = OUTCOME_LINES.get(outcome.result, ("info", outcome.result))
            fields = {"po": outcome.po, "revision": outcome.revision}
            if outcome.detail:
                fields["error"] = outcome.detail
            with customer_data(customer_values(ship_to.get(outcome.po))):
                getattr(log, level)(event, supplier=outcome.supplier_id, **fields)
