"""The jobs `tandem run` schedules: rebuilt from the configuration at every start under fixed
ids, a backlog of missed runs coalesced into one, never two runs of one job at once, and a
run that comes late by up to about one interval still made."""

from __future__ import annotations

import asyncio

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from tandem.connector.daemon.jobs import Jobs
from tandem.connector.daemon.runner import schedule
from tandem.connector.store import Database
from tests.conftest import make_config


def test_every_job_has_a_fixed_id_its_interval_and_runs_alone(sqlite_db: Database) -> None:
    config = make_config(
        {"daemon": {"intervals": {"poll_orders": "20s", "dispatch": "5s", "reconcile": "2h"}}}
    )
    jobs = Jobs(sqlite_db, config)

    async def scheduled() -> list[Job]:
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.start(paused=True)  # nothing runs; the job store is live
        try:
            schedule(scheduler, jobs, config)
            schedule(scheduler, jobs, config)  # built again: replaced, not doubled
            return list(scheduler.get_jobs())
        finally:
            scheduler.shutdown(wait=False)

    listed = asyncio.run(scheduled())
    found = {job.id: job for job in listed}
    expected = {
        "poll_orders": 20,
        "webhooks": 20,  # the safety net behind webhooks, as often as polling
        "catalogues": 30 * 60,
        "plan": 60,
        "dispatch": 5,
        "store_writes": 5,  # write-backs to the shop, apart from the POs to suppliers
        "supplier_status": 15 * 60,
        "stock_push": 15 * 60,
        "reconcile": 2 * 3600,
    }
    assert sorted(job.id for job in listed) == sorted(expected)
    assert {name: found[name].trigger.interval.total_seconds() for name in found} == expected
    for name, seconds in expected.items():
        job = found[name]
        assert (job.name, job.coalesce, job.max_instances) == (name, True, 1), name
        assert job.misfire_grace_time == seconds, name
