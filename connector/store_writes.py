"""The outbox worker for write-backs to the shop: claim, perform on the platform, record the
outcome.

What may work later (throttling, an outage, an answer lost or unreadable: a TemporaryError)
goes back to the outbox with backoff; what will not (the shop refused it: any other
TandemError) is dead-lettered with an exception in the platform's own words, so a person sees
which order and which field. A performer's next attempt reads the shop before writing again, so
handing back a call that may have run is safe. Each platform brings its performers, one per
kind of write-back (`connector.services.store_updates`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tandem.connector import outbox
from tandem.connector.clock import utcnow
from tandem.connector.domain import ExceptionKind
from tandem.connector.errors import TandemError, TemporaryError
from tandem.connector.platforms import WritesDone
from tandem.connector.services import store_updates as kinds
from tandem.connector.store import Database
from tandem.connector.store.exceptions import NewException, raise_exceptions

log = logging.getLogger("tandem.store_writes")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8

Performer = Callable[[outbox.OutboxItem], Awaitable[None]]
# What else a kind undoes when it is given up, in the same transaction as the dead letter.
GivenUp = Callable[[Connection, outbox.OutboxItem], None]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))


async def perform_store_writes(
    db: Database,
    performers: Mapping[str, Performer],
    *,
    given_up: Mapping[str, GivenUp] | None = None,
    worker: str | None = None,
    shop: str | None = None,
    limit: int = 1000,
    clock: Callable[[], datetime] = utcnow,
) -> WritesDone:
    """Perform the due write-backs of `shop` (up to `limit`), one claim of a few at a time."""
    worker = worker or outbox.worker_name()
    report = WritesDone()
    handled = 0
    while handled < limit:
        with db.write() as conn:
            items = outbox.claim(
                conn, worker, clock(), LEASE, limit=20, kinds=kinds.KINDS, shop=shop
            )
        if not items:
            break
        for item in items:
            handled += 1
            await _perform(db, worker, item, performers[item.kind], given_up or {}, report, clock)
    return report


async def _perform(
    db: Database,
    worker: str,
    item: outbox.OutboxItem,
    perform: Performer,
    given_up: Mapping[str, GivenUp],
    report: WritesDone,
    clock: Callable[[], datetime],
) -> None:
    try:
        await perform(item)
    except TemporaryError as exc:
        _try_again(db, worker, item, str(exc), given_up, report, clock())
    except TandemError as exc:
        with db.write() as conn:
            _give_up(conn, item, worker, str(exc), given_up, clock())
        report.failed.append(f"{item.dedupe_key}: {exc}")
    except Exception as exc:
        # A fault of Tandem's own: the traceback goes to the log for whoever fixes it, the
        # item goes back to the outbox instead of staying leased, and the pass goes on.
        log.exception("write-back %s failed unexpectedly", item.dedupe_key)
        message = f"unexpected {type(exc).__name__} performing {item.kind} (see the log)"
        _try_again(db, worker, item, message, given_up, report, clock())
    else:
        with db.write() as conn:
            outbox.complete(conn, item.id, worker, clock())
        report.done += 1


def _try_again(
    db: Database,
    worker: str,
    item: outbox.OutboxItem,
    error: str,
    given_up: Mapping[str, GivenUp],
    report: WritesDone,
    now: datetime,
) -> None:
    with db.write() as conn:
        if item.attempts < MAX_ATTEMPTS:
            outbox.retry(conn, item.id, worker, error, now + backoff(item.attempts))
            report.retried += 1
            return
        _give_up(conn, item, worker, f"{error} (after {item.attempts} attempts)", given_up, now)
    report.failed.append(f"{item.dedupe_key}: {error}")


def _give_up(
    conn: Connection,
    item: outbox.OutboxItem,
    worker: str,
    error: str,
    given_up: Mapping[str, GivenUp],
    now: datetime,
) -> None:
    if not outbox.dead_letter(conn, item.id, worker, error, now):
        return
    if item.kind in given_up:
        given_up[item.kind](conn, item)
    raise_exceptions(
        conn,
        [
            NewException(
                ExceptionKind.STORE_WRITE_FAILED,
                f"store_write_failed:{item.dedupe_key}",
                error,
                order_id=item.payload.get("order_id"),
                po_id=item.po_id,
                details={"outbox": item.dedupe_key},
            )
        ],
        now,
    )
