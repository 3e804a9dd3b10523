"""The outbox worker for store write-backs: claim, perform on Shopify, record the outcome.

What may work later (throttling, an outage, an answer lost or unreadable) goes back to the
outbox with backoff; what will not (Shopify refused it) is dead-lettered with an exception in
Shopify's own words, so a person sees which order and which field. A performer's next attempt
reads the store before writing again, so handing back a call that may have run is safe.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection

from adapters.shopify import fulfillments, writeback
from adapters.shopify.client import ShopifyClient
from adapters.shopify.errors import RetryableError, ShopifyError
from connector import outbox
from connector.clock import utcnow
from connector.configuration import TandemConfig
from connector.domain import ExceptionKind
from connector.services import store_updates as kinds
from connector.store import Database
from connector.store.exceptions import NewException, raise_exceptions

log = logging.getLogger("tandem.shopify")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8

Performer = Callable[[Database, ShopifyClient, TandemConfig, outbox.OutboxItem], Awaitable[None]]


@dataclass
class WorkReport:
    done: int = 0
    retried: int = 0
    failed: list[str] = field(default_factory=list)


PERFORMERS: dict[str, Performer] = {
    kinds.ORDER_STATUS: writeback.write_order_status,
    kinds.FULFILLMENT: fulfillments.create_fulfillment,
    kinds.STOCK: writeback.set_stock,
    kinds.CONTINUE_SELLING: writeback.continue_selling,
}
# What else a kind undoes when it is given up, in the same transaction as the dead letter.
GIVEN_UP: dict[str, Callable[[Connection, outbox.OutboxItem], None]] = {
    kinds.STOCK: writeback.stock_given_up,
}


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))


async def perform_store_writes(
    db: Database,
    client: ShopifyClient,
    config: TandemConfig,
    *,
    worker: str | None = None,
    limit: int = 1000,
    clock: Callable[[], datetime] = utcnow,
) -> WorkReport:
    """Perform the due write-backs (up to `limit`), one claim of a few at a time."""
    worker = worker or outbox.worker_name()
    report = WorkReport()
    handled = 0
    while handled < limit:
        with db.write() as conn:
            items = outbox.claim(conn, worker, clock(), LEASE, limit=20, kinds=kinds.KINDS)
        if not items:
            break
        for item in items:
            handled += 1
            perform = PERFORMERS[item.kind]
            await _perform(db, client, config, worker, item, perform, report, clock)
    return report


async def _perform(
    db: Database,
    client: ShopifyClient,
    config: TandemConfig,
    worker: str,
    item: outbox.OutboxItem,
    perform: Performer,
    report: WorkReport,
    clock: Callable[[], datetime],
) -> None:
    try:
        await perform(db, client, config, item)
    except RetryableError as exc:
        _try_again(db, worker, item, str(exc), report, clock())
    except ShopifyError as exc:
        with db.write() as conn:
            _give_up(conn, item, worker, str(exc), clock())
        report.failed.append(f"{item.dedupe_key}: {exc}")
    except Exception as exc:
        # A fault of Tandem's own: the traceback goes to the log for whoever fixes it, the
        # item goes back to the outbox instead of staying leased, and the pass goes on.
        log.exception("write-back %s failed unexpectedly", item.dedupe_key)
        message = f"unexpected {type(exc).__name__} performing {item.kind} (see the log)"
        _try_again(db, worker, item, message, report, clock())
    else:
        with db.write() as conn:
            outbox.complete(conn, item.id, worker, clock())
        report.done += 1


def _try_again(
    db: Database,
    worker: str,
    item: outbox.OutboxItem,
    error: str,
    report: WorkReport,
    now: datetime,
) -> None:
    with db.write() as conn:
        if item.attempts < MAX_ATTEMPTS:
            outbox.retry(conn, item.id, worker, error, now + backoff(item.attempts))
            report.retried += 1
            return
        _give_up(conn, item, worker, f"{error} (after {item.attempts} attempts)", now)
    report.failed.append(f"{item.dedupe_key}: {error}")


def _give_up(
    conn: Connection, item: outbox.OutboxItem, worker: str, error: str, now: datetime
) -> None:
    if not outbox.dead_letter(conn, item.id, worker, error, now):
        return
    if item.kind in GIVEN_UP:
        GIVEN_UP[item.kind](conn, item)
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
