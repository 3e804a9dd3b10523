"""Polling a shop for changed orders, the rules every platform keeps: where a poll starts, how
its cursor moves, and how the orders it read are stored.

The poll cursor never moves past the poll's start time, and each poll starts `poll_overlap`
before it: a platform's search lags behind writes, and an order updated while a poll runs must
be found by the next one. Ingest ignores what it already has, so overlap costs nothing. A first
poll looks back at nothing unless `store.first_poll_lookback` says so: orders from before Tandem
served the shop are planned only deliberately (`tandem backfill`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import ExceptionKind, Order
from tandem.connector.services.ingest import IngestReport, ingest_orders
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import NewException, raise_exceptions


@dataclass
class OrdersReport:
    """What a poll, or a pass over the stored webhook deliveries, read: the orders seen, what
    ingest made of them, and the ones not read (each naming the order and why)."""

    seen: int = 0
    ingest: IngestReport = field(default_factory=IngestReport)
    problems: list[str] = field(default_factory=list)


def poll_start(
    db: Database, config: TandemConfig, shop: str, now: datetime, since: datetime | None = None
) -> datetime | None:
    """Where this poll reads from: the last poll's start minus the overlap, or `since` (the
    reconcile pass reaches further back, but never before this database served the shop plus
    the configured look-back). None: nothing to read (a first poll without a look-back)."""
    cursors = t.shop_cursors
    with db.read() as conn:
        polled_until = conn.execute(
            select(cursors.c.polled_until).where(cursors.c.shop == shop)
        ).scalar()
        began = conn.execute(
            select(t.store_identity.c.first_run_at).where(t.store_identity.c.shop == shop)
        ).scalar()
    lookback = config.store.first_poll_lookback
    overlap = config.store.poll_overlap
    if since is not None:
        if began is not None:
            since = max(since, began - (lookback or timedelta(0)) - overlap)
        return since
    if polled_until is None and lookback is None:
        return None
    return (polled_until or now - (lookback or timedelta(0))) - overlap


def advance_cursor(db: Database, shop: str, now: datetime) -> None:
    """The shop has been read up to `now` (the poll's start); the cursor never goes back."""
    cursors = t.shop_cursors
    with db.write() as conn:
        moved = conn.execute(
            update(cursors)
            .where(cursors.c.shop == shop, cursors.c.polled_until < now)
            .values(polled_until=now, updated_at=now)
        ).rowcount
        if not moved:
            known = select(cursors.c.shop).where(cursors.c.shop == shop)
            moved = conn.execute(known).first() is not None
        if not moved:
            conn.execute(cursors.insert().values(shop=shop, polled_until=now, updated_at=now))


def unreadable(shop: str, problems: Sequence[tuple[str, str]]) -> list[NewException]:
    """The exceptions for orders that could not be read, one per order however often."""
    return [
        NewException(
            ExceptionKind.ORDER_UNREADABLE,
            f"order_unreadable:{shop}:{ref}",
            f"{message}; Tandem reads it again when it changes",
            details={"shop": shop, "order": ref},
        )
        for ref, message in problems
    ]


def store_orders(
    db: Database,
    config: TandemConfig,
    shop: str,
    orders: Sequence[Order],
    problems: Sequence[tuple[str, str]],
    now: datetime,
) -> IngestReport:
    """Store the orders read (idempotent ingest) and an exception for each unreadable one,
    given as (the order's reference on the platform, why)."""
    with db.write() as conn:
        report = ingest_orders(conn, shop, orders, config.store.planned_financial_statuses, now)
        raise_exceptions(conn, unreadable(shop, problems), now)
    return report
