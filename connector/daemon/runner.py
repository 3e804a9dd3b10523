"""`tandem run`: one asyncio process with the scheduler and the web server.

Jobs are rebuilt from the configuration at every start with fixed ids, `coalesce` (a backlog
of missed runs is one run), `max_instances=1` and a misfire grace of about one interval. A
webhook wakes the webhook job at once. SIGTERM or SIGINT stops taking work, lets running jobs
finish for up to `daemon.shutdown_grace`, hands back outbox leases this process still holds,
and exits 0.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from typing import Any

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from connector import outbox
from connector.clock import utcnow
from connector.configuration import TandemConfig
from connector.daemon.jobs import Jobs
from connector.daemon.logs import get_logger
from connector.store import Database
from connector.web import create_app

log = get_logger("tandem.daemon")


def schedule(scheduler: AsyncIOScheduler, jobs: Jobs, config: TandemConfig) -> None:
    every = config.daemon.intervals
    plan: list[tuple[str, Any, timedelta]] = [
        ("poll_orders", jobs.poll_orders, every.poll_orders),
        ("webhooks", jobs.webhooks, every.poll_orders),
        ("catalogues", jobs.catalogues, every.catalogues),
        ("plan", jobs.plan, every.plan),
        ("dispatch", jobs.dispatch, every.dispatch),
        ("supplier_status", jobs.supplier_status, every.supplier_status),
        ("stock_push", jobs.stock_push, every.stock_push),
        ("reconcile", jobs.reconcile, every.reconcile),
    ]
    now = utcnow()
    for index, (name, step, interval) in enumerate(plan):

        async def run(name: str = name, step: Any = step) -> None:
            await jobs.guarded(name, step)

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


async def run_daemon(config: TandemConfig, db: Database, *, port: int | None = None) -> int:
    jobs = Jobs(db, config)
    scheduler = AsyncIOScheduler(timezone="UTC")
    schedule(scheduler, jobs, config)

    async def on_delivery() -> None:
        job = scheduler.get_job("webhooks")
        if job is not None:
            job.modify(next_run_time=utcnow())

    def health() -> dict[str, Any]:
        return {
            "started_at": jobs.health.started_at.isoformat(),
            "jobs": {
                name: {
                    "last_success": jobs.health.last_success.get(name, None)
                    and jobs.health.last_success[name].isoformat(),
                    "last_error": jobs.health.last_error.get(name),
                }
                for name in (j.id for j in scheduler.get_jobs())
            },
        }

    app = create_app(config, db, on_delivery=on_delivery, health=health)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=config.daemon.host,
            port=config.daemon.port if port is None else port,
            log_config=None,
            lifespan="off",
        )
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)

    scheduler.start()
    serving = asyncio.create_task(server.serve())
    log.info("tandem running", host=config.daemon.host, port=config.daemon.port, worker=jobs.worker)
    stopped = asyncio.create_task(stopping.wait())
    await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)

    log.info("stopping: no new work; waiting for running jobs")
    jobs.stopping = True
    scheduler.pause()
    grace = config.daemon.shutdown_grace.total_seconds()
    deadline = loop.time() + grace
    while _running(scheduler) and loop.time() < deadline:
        await asyncio.sleep(0.1)
    busy = _running(scheduler)
    scheduler.shutdown(wait=False)
    if busy:
        # A send may be under way: its lease runs out and the next holder checks with the
        # supplier before sending again.
        log.warning("a job was still running at the end of the grace period")
    else:
        # Nothing is being sent: what this process claimed and did not start goes back now.
        with db.write() as conn:
            handed_back = outbox.release_leases(conn, jobs.worker, utcnow())
        if handed_back:
            log.info("leases handed back", items=handed_back)
    server.should_exit = True
    await serving
    log.info("stopped")
    return 0


def _running(scheduler: AsyncIOScheduler) -> bool:
    """Whether a job of this scheduler is still executing."""
    executor: Any = scheduler._lookup_executor("default")
    return bool(getattr(executor, "_instances", {}) and any(executor._instances.values()))
