"""Loud failures: the things Tandem depends on that it cannot use right now.

A *check* is one thing Tandem needs: a supplier's catalogue feed, the warehouse stock file,
the orders file, a supplier's channel, a scheduled job (and so the store's credentials). Each
job reports, after every run, the checks it covers. A failing check

- opens one exception in the queue (kind `dependency_failed`, one open per check), which
  Tandem resolves itself when the check passes again;
- makes /healthz answer 503, naming the check and the reason;
- sets the gauge `tandem_check_failing{check=...}` to 1 (0 again once it passes).

A job failure that is likely to pass by itself (a network blip, the store's 5xx) fails its
check at once but opens an exception only when it repeats (`JOB_FAILURES_BEFORE_EXCEPTION`).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from tandem.connector.domain import ExceptionKind
from tandem.connector.store import Database
from tandem.connector.store import exceptions as queue

JOB_FAILURES_BEFORE_EXCEPTION = 3


def exception_key(check: str) -> str:
    return f"{ExceptionKind.DEPENDENCY_FAILED.value}:{check}"


@dataclass(frozen=True)
class Failure:
    check: str  # e.g. "catalogue:acme", "orders_file", "channel:acme", "job:poll_orders"
    reason: str  # one line a person can act on; never a secret
    supplier_id: str | None = None
    # False: report it on /healthz and the gauge, but open an exception only if it repeats.
    lasting: bool = True


@dataclass
class Checks:
    """The failing checks of this process, kept in step with the exceptions queue."""

    failing: dict[str, Failure] = field(default_factory=dict)
    repeats: dict[str, int] = field(default_factory=dict)
    # Checks seen passing since this process started: an exception a previous process left
    # open for one of them has been closed, so passing again costs no write.
    settled: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def update(
        self,
        db: Database,
        covered: Collection[str],
        failures: Sequence[Failure],
        now: datetime,
    ) -> None:
        """Record the outcome of the checks in `covered` (those of `failures` included): each
        failure opens or refreshes its exception, each check that passed closes its own."""
        from tandem.connector.daemon import metrics  # the daemon's registry; the core stays light

        failed = {f.check: f for f in failures}
        passed = [c for c in covered if c not in failed]
        with self._lock:
            for check in passed:
                self.repeats.pop(check, None)
            for check in failed:
                self.repeats[check] = self.repeats.get(check, 0) + 1
            opened = [
                f
                for f in failed.values()
                if f.lasting or self.repeats[f.check] >= JOB_FAILURES_BEFORE_EXCEPTION
            ]
            cleared = [c for c in passed if c in self.failing]
            closing = [c for c in passed if c in self.failing or c not in self.settled]
        if opened or closing:
            with db.write() as conn:
                _open(conn, opened, now)
                _close(conn, closing, now)
        with self._lock:
            for check in passed:
                self.failing.pop(check, None)
            self.settled.update(passed)
            self.failing.update(failed)
        for check in cleared:
            metrics.check_failing.labels(check).set(0)
        for check in failed:
            metrics.check_failing.labels(check).set(1)

    def report(self) -> list[dict[str, str]]:
        """What /healthz shows: every failing check and why, in a stable order."""
        with self._lock:
            return [
                {"check": f.check, "reason": f.reason}
                for f in sorted(self.failing.values(), key=lambda f: f.check)
            ]


def _open(conn: Connection, failures: Sequence[Failure], now: datetime) -> None:
    queue.raise_exceptions(
        conn,
        [
            queue.NewException(
                kind=ExceptionKind.DEPENDENCY_FAILED,
                dedupe_key=exception_key(f.check),
                message=f.reason,
                supplier_id=f.supplier_id,
                details={"check": f.check},
            )
            for f in failures
        ],
        now,
    )


def _close(conn: Connection, checks: Sequence[str], now: datetime) -> None:
    if checks:
        queue.resolve_keys(conn, [exception_key(c) for c in checks], "tandem", "works again", now)
