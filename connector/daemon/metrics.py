"""Prometheus metrics of the running daemon, served at /metrics.

Counters count what this process did (orders stored, POs sent per supplier, job runs). The
gauges describe the shared state (outbox depth, open exceptions) and are read from the
database at every scrape (`read_state`), so they are right from the first scrape and agree
between replicas, whatever the jobs did since.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select

from tandem.connector import outbox
from tandem.connector.clock import utcnow
from tandem.connector.store import Database
from tandem.connector.store import schema as t

registry = CollectorRegistry()

orders_ingested = Counter(
    "tandem_orders_ingested_total", "Orders stored new or changed", ["shop"], registry=registry
)
lines_planned = Counter("tandem_lines_planned_total", "Order lines planned", registry=registry)
pos_released = Counter("tandem_pos_released_total", "POs released", registry=registry)
pos_sent = Counter(
    "tandem_pos_sent_total", "PO messages delivered", ["supplier"], registry=registry
)
pos_failed = Counter(
    "tandem_pos_failed_total", "PO messages given up on", ["supplier"], registry=registry
)
outbox_waiting = Gauge("tandem_outbox_waiting", "Outbox items waiting", registry=registry)
outbox_oldest = Gauge(
    "tandem_outbox_oldest_age_seconds", "Age of the oldest waiting outbox item", registry=registry
)
exceptions_open = Gauge("tandem_exceptions_open", "Open exceptions", registry=registry)
throttle_waits = Counter(
    "tandem_store_throttle_wait_seconds_total",
    "Seconds spent waiting for the shop's rate limit",
    ["platform", "shop"],
    registry=registry,
)
deprecated_calls = Counter(
    "tandem_platform_deprecated_calls_total",
    "Platform answers saying the call uses something the platform has deprecated",
    ["platform", "operation"],
    registry=registry,
)
webhook_latency = Histogram(
    "tandem_webhook_seconds",
    "Time from receiving a webhook to answering it",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=registry,
)
check_failing = Gauge(
    "tandem_check_failing",
    "1 while something Tandem depends on fails (a feed, a file, a channel, a job)",
    ["check"],
    registry=registry,
)
job_runs = Counter(
    "tandem_job_runs_total", "Scheduled job runs", ["job", "outcome"], registry=registry
)


def read_state(db: Database) -> None:
    """Set the gauges from the database (called by the /metrics route before it answers)."""
    with db.read() as conn:
        depth = outbox.depth(conn, utcnow())
        open_count = conn.execute(
            select(func.count()).select_from(t.exceptions).where(t.exceptions.c.status == "open")
        ).scalar_one()
    outbox_waiting.set(depth["waiting"])
    outbox_oldest.set(depth["oldest_waiting_seconds"])
    exceptions_open.set(open_count)
