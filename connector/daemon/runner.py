"""`tandem run`: one asyncio process with the scheduler and the web server.

Jobs are rebuilt from the configuration at every start with fixed ids, `coalesce` (a backlog
of missed runs is one run), `max_instances=1` and a misfire grace of about one interval. A
webhook wakes the webhook job at once (deliveries within `WEBHOOK_GAP` of the last wake-up
share the next run). SIGTERM or SIGINT stops taking work and lets running
jobs finish for up to `daemon.shutdown_grace` (a second signal cuts the wait short). Outbox
leases this process holds are then handed back unless a job that sends (dispatch, store
write-backs, stock push) is still running; jobs still running are left behind (see
`connector.daemon.process`). The exit code is 0.

The web server runs on an event loop of its own, in its own thread: the jobs make blocking
database calls (SQLite lets one writer in at a time, and a large planning run holds it for
seconds), and a webhook must still be answered within Shopify's five seconds meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from tandem.connector import outbox
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.transports import SftpTransport
from tandem.connector.daemon import process
from tandem.connector.daemon.http import server_config
from tandem.connector.daemon.jobs import Jobs
from tandem.connector.daemon.logs import get_logger
from tandem.connector.daemon.process import Stopped
from tandem.connector.store import Database
from tandem.connector.web import create_app

log = get_logger("tandem.daemon")

# Jobs that claim outbox items and may be half-way through a send: while one runs, handing
# the leases back could let another replica send the same message again.
SENDING_JOBS = frozenset({"dispatch", "store_writes", "stock_push"})
HAND_BACK_SECONDS = 5.0  # the database may be held by a job left behind
# A webhook job run costs milliseconds whatever it reads: one run per delivery would spend a
# core on runs at a few dozen deliveries a second, and slow every answer meanwhile.
WEBHOOK_GAP = timedelta(seconds=0.25)
WEB_SHUTDOWN_SECONDS = 5  # open HTTP connections get this long to finish


def schedule(scheduler: AsyncIOScheduler, jobs: Jobs, config: TandemConfig) -> None:
    every = config.daemon.intervals

    def each_shop(job: str, interval: timedelta) -> list[tuple[str, Any, timedelta]]:
        """The job once per shop, each on its own: one shop's failure is its own."""
        step = getattr(jobs, job)
        return [
            (jobs.job_name(job, shop), functools.partial(step, shop), interval)
            for shop in jobs.shops
        ]

    plan: list[tuple[str, Any, timedelta]] = [
        *each_shop("poll_orders", every.poll_orders),
        *each_shop("webhooks", every.poll_orders),
        ("catalogues", jobs.catalogues, every.catalogues),
        ("plan", jobs.plan, every.plan),
        ("dispatch", jobs.dispatch, every.dispatch),
        # Write-backs to the shop, as often as dispatch but never in its way (see the job).
        *each_shop("store_writes", every.dispatch),
        ("supplier_status", jobs.supplier_status, every.supplier_status),
        *each_shop("stock_push", every.stock_push),
        ("reconcile", jobs.reconcile, every.reconcile),
    ]
    if config.inbox is not None:  # the suppliers' email replies
        plan.append(("supplier_replies", jobs.supplier_replies, config.inbox.every))
    if any(
        isinstance(s.transport, SftpTransport) and s.transport.answers for s in config.suppliers
    ):
        # Answer files in SFTP suppliers' outbound folders, as often as the status poll.
        plan.append(("sftp_answers", jobs.sftp_answers, every.supplier_status))
    for supplier in config.suppliers:  # scheduled catalogue feeds, each on its own `every`
        if supplier.catalogue.source is not None:
            step = functools.partial(jobs.feed, supplier.id)
            plan.append((f"feed:{supplier.id}", step, supplier.catalogue.every))
    now = utcnow()
    for index, (name, step, interval) in enumerate(plan):

        async def run(name: str = name, step: Any = step) -> None:
            try:
                await jobs.guarded(name, step)
            except asyncio.CancelledError:
                # Only the shutdown cancels a job, and it has said which ones it left behind.
                log.info("job cancelled at shutdown", job=name)

        scheduler.add_job(
            run,
            "interval",
            seconds=interval.total_seconds(),
            id=name,
            name=name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(interval.total_seconds())),
            # The first runs come at once, a moment apart, in pipeline order.
            next_run_time=now + timedelta(seconds=0.2 * index),
        )


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: SIGTERM is the daemon's to handle, and the
    web server keeps answering (webhooks, /healthz) while running jobs finish."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_daemon(config: TandemConfig, db: Database, *, sock: socket.socket) -> Stopped:
    """Run until SIGTERM or SIGINT, serving the web app on `sock` (see `process.listen`)."""
    jobs = Jobs(db, config)
    scheduler = AsyncIOScheduler(timezone="UTC")
    schedule(scheduler, jobs, config)

    loop = asyncio.get_running_loop()

    woken: dict[str, datetime] = {}

    def wake_webhooks() -> None:
        """The shop's webhook job runs now, or, when it was woken less than `WEBHOOK_GAP`
        ago, that long after: the deliveries arriving meanwhile are read in one run."""
        now = utcnow()
        for shop in () if jobs.stopping else jobs.shops:
            job = scheduler.get_job(jobs.job_name("webhooks", shop))
            if job is None:
                continue
            at = max(now, woken.get(shop, now - WEBHOOK_GAP) + WEBHOOK_GAP)
            if job.next_run_time is None or job.next_run_time > at:
                job.modify(next_run_time=at)
                woken[shop] = at

    async def on_delivery() -> None:  # on the web server's loop: the scheduler lives on ours
        loop.call_soon_threadsafe(wake_webhooks)

    def health() -> dict[str, Any]:
        return jobs.health_report(j.id for j in scheduler.get_jobs())

    app = create_app(config, db, on_delivery=on_delivery, health=health)
    host, port = sock.getsockname()[:2]
    server = _Server(
        server_config(
            app,
            config.daemon,
            host,
            port,
            log_config=None,
            lifespan="off",
            timeout_graceful_shutdown=WEB_SHUTDOWN_SECONDS,
        )
    )
    stopping, hurry = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        (hurry if stopping.is_set() else stopping).set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)

    process.settle_heap()
    scheduler.start()
    serving = asyncio.create_task(asyncio.to_thread(asyncio.run, server.serve(sockets=[sock])))
    log.info("tandem running", host=host, port=port, worker=jobs.worker)
    stopped = asyncio.create_task(stopping.wait())
    await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)

    log.info("stopping: no new work; waiting for running jobs")
    jobs.stopping = True
    scheduler.pause()
    deadline = loop.time() + config.daemon.shutdown_grace.total_seconds()
    while jobs.running and loop.time() < deadline and not hurry.is_set():
        await asyncio.sleep(0.1)
    left_behind = tuple(sorted(jobs.running))
    scheduler.shutdown(wait=False)
    if left_behind:
        log.warning(
            "still running at the end of the grace period; not waited for", jobs=left_behind
        )
    # A shop's job is named after its shop too (store_writes:shop.example.com).
    if SENDING_JOBS.intersection(job.split(":", 1)[0] for job in left_behind):
        # A send may be under way: its lease runs out and the next holder checks with the
        # supplier before sending again.
        log.warning("outbox leases kept: a send may be under way")
    elif not await _hand_back(db, jobs.worker):
        left_behind += ("hand back",)
    server.should_exit = True
    await serving
    log.info("stopped")
    return Stopped(0, left_behind)


async def _hand_back(db: Database, worker: str) -> bool:
    """Give back what `worker` claimed and did not start (due again at once, for any worker).
    False when the database did not answer in time."""

    def release() -> int:
        with db.write() as conn:
            return outbox.release_leases(conn, worker, utcnow())

    try:
        handed_back = await asyncio.wait_for(asyncio.to_thread(release), HAND_BACK_SECONDS)
    except TimeoutError:
        log.warning("outbox leases not handed back: the database did not answer in time")
        return False
    if handed_back:
        log.info("leases handed back", items=handed_back)
    return True
