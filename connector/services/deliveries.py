"""Reading the orders a shop's stored webhook deliveries name, the rules every platform keeps.

A delivery stays pending until its order is stored, so an outage or a crash between receiving
and reading loses nothing: the next pass (or the next poll) picks it up. A pass reads only the
shop's own deliveries (`webhook_deliveries.shop`), since several shops may share one database.
An order the platform refuses to read costs each delivery naming it a try and holds up no
other; after `max_attempts` refusals those deliveries are given up with an exception naming the
order. A pass in which the platform is down or refuses Tandem's credentials counts as no try:
the deliveries say why they wait, and the pass ends. While the shop's work is stopped
(`connector.store.shop_stops`) its orders are not read at all.

Deliveries that name no order to read are marked done, unless the platform settles them
itself (`Settle`), before any order of their batch is read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select, update

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import ExceptionKind, Order
from tandem.connector.errors import TemporaryError
from tandem.connector.services.polling import OrdersReport, store_orders
from tandem.connector.store import Database, shop_stops
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import NewException, raise_exceptions

ERROR_CHARS = 2000  # of the reason a delivery keeps


@dataclass(frozen=True)
class Pending:
    """A stored delivery not processed yet."""

    id: int
    topic: str
    resource_id: str | None
    shop: str
    attempts: int


@dataclass(frozen=True)
class DeliveryRules:
    """What one platform's deliveries are, for `read_deliveries`."""

    order_topics: frozenset[str]  # the topics that name an order to read
    # The platform is down (a TemporaryError: the pass ends) or refuses Tandem's credentials
    # (raised once the deliveries say why they wait).
    unavailable: tuple[type[Exception], ...]
    batch: int = 100  # deliveries taken from the table at a time
    max_attempts: int = 8  # refusals to read an order before its deliveries are given up
    order_label: str = ""  # what messages put before an order's id ("order " 12)
    skip_topics: frozenset[str] = field(default_factory=frozenset)  # answered elsewhere


# The orders with these ids: the orders read, (order, why) for those that could not be
# mapped, and order id -> why the platform refused to read it.
ReadOrders = Callable[
    [Sequence[str]], Awaitable[tuple[list[Order], list[tuple[str, str]], dict[str, str]]]
]
# Orders by id as the platform reads them: the orders and (order, why) for those not mapped.
FetchOrders = Callable[[Sequence[str]], Awaitable[tuple[list[Order], list[tuple[str, str]]]]]
# The platform's own handling of deliveries that name no order to read.
Settle = Callable[[list[Pending], OrdersReport], Awaitable[None]]


async def read_deliveries(
    db: Database,
    config: TandemConfig,
    shop: str,
    now: datetime,
    rules: DeliveryRules,
    read: ReadOrders,
    *,
    names: Collection[str] = (),
    settle: Settle | None = None,
    report: OrdersReport | None = None,
) -> OrdersReport:
    """Read and store the orders the shop's pending deliveries name. `names`: other names the
    shop's deliveries are stored under (the shop's own is always one)."""
    report = report if report is not None else OrdersReport()
    shops = sorted({shop, *names})
    after = 0  # deliveries left pending in this pass are not read again in it
    while True:
        pending = _pending(db, rules, shops, after)
        if not pending:
            return report
        after = pending[-1].id
        wanted = [d for d in pending if d.topic in rules.order_topics and d.resource_id]
        others = [d for d in pending if d.topic not in rules.order_topics or not d.resource_id]
        if others and settle is not None:
            await settle(others, report)
        elif others:
            with db.write() as conn:
                mark_done(conn, [d.id for d in others], now)
        if not wanted:
            continue
        with db.read() as conn:
            stopped = shop_stops.stop_reason(conn, shop)
        if stopped is not None:
            # The platform no longer answers Tandem: the orders are read once it does again.
            reason = f"waits: {stopped}; read once it is installed again"
            with db.write() as conn:
                mark_waiting(conn, [d.id for d in wanted], reason)
            report.problems.append(f"webhook orders not read: {reason}")
            continue
        ids = list(dict.fromkeys(str(d.resource_id) for d in wanted))
        try:
            orders, problems, refused = await read(ids)
        except rules.unavailable as exc:
            # Nothing is wrong with the deliveries: they wait, counting no try.
            with db.write() as conn:
                mark_waiting(conn, [d.id for d in wanted], str(exc))
            report.problems.append(f"webhook orders not read: {exc}")
            if not isinstance(exc, TemporaryError):
                raise
            return report
        report.seen += len(ids) - len(refused)
        report.ingest.add(store_orders(db, config, shop, orders, problems, now))
        report.problems.extend(message for _, message in problems)
        with db.write() as conn:
            mark_done(conn, [d.id for d in wanted if d.resource_id not in refused], now)
            _refused(
                conn, rules, [d for d in wanted if d.resource_id in refused], refused, shop, now
            )
        report.problems.extend(
            f"webhook for {rules.order_label}{order} not read: {message}"
            for order, message in refused.items()
        )


async def read_each(
    fetch: FetchOrders,
    ids: Sequence[str],
    refusal: type[Exception],
    unavailable: tuple[type[Exception], ...],
) -> tuple[list[Order], list[tuple[str, str]], dict[str, str]]:
    """Read the orders one by one, so one the platform refuses (`refusal`) holds up no other:
    the orders, mapping problems, and order id -> why it was refused. The platform being
    unavailable is raised."""
    orders: list[Order] = []
    problems: list[tuple[str, str]] = []
    refused: dict[str, str] = {}
    for order_id in ids:
        try:
            found, trouble = await fetch([order_id])
        except unavailable:
            raise
        except refusal as exc:
            refused[order_id] = str(exc)
            continue
        orders += found
        problems += trouble
    return orders, problems, refused


def mark_done(
    conn: Connection, ids: Sequence[int], now: datetime, reason: str | None = None
) -> None:
    """The deliveries are processed (and, with `reason`, say why nothing came of them)."""
    if ids:
        wd = t.webhook_deliveries
        values = (
            {"processed_at": now} if reason is None else {"processed_at": now, "last_error": reason}
        )
        conn.execute(update(wd).where(wd.c.id.in_(ids)).values(**values))


def mark_waiting(conn: Connection, ids: Sequence[int], reason: str) -> None:
    """Say why the deliveries wait. That is no fault of theirs: it counts no try, so it cannot
    bring a delivery closer to being given up."""
    if ids:
        wd = t.webhook_deliveries
        conn.execute(update(wd).where(wd.c.id.in_(ids)).values(last_error=reason[:ERROR_CHARS]))


def _pending(db: Database, rules: DeliveryRules, shops: list[str], after: int) -> list[Pending]:
    wd = t.webhook_deliveries
    query = (
        select(wd.c.id, wd.c.topic, wd.c.resource_id, wd.c.shop, wd.c.attempts)
        .where(wd.c.processed_at.is_(None), wd.c.shop.in_(shops), wd.c.id > after)
        .order_by(wd.c.id)
        .limit(rules.batch)
    )
    if rules.skip_topics:
        query = query.where(wd.c.topic.not_in(sorted(rules.skip_topics)))
    with db.read() as conn:
        return [Pending(*row) for row in conn.execute(query)]


def _refused(
    conn: Connection,
    rules: DeliveryRules,
    deliveries: Sequence[Pending],
    refused: dict[str, str],
    shop: str,
    now: datetime,
) -> None:
    """Count a try for each delivery whose order was refused; give up on those at the limit."""
    wd = t.webhook_deliveries
    given_up = []
    for d in deliveries:
        order = str(d.resource_id)
        error = refused[order]
        attempts = d.attempts + 1
        last = attempts >= rules.max_attempts
        conn.execute(
            update(wd)
            .where(wd.c.id == d.id)
            .values(
                attempts=attempts,
                last_error=error[:ERROR_CHARS],
                processed_at=now if last else None,
            )
        )
        if last:
            given_up.append(
                NewException(
                    ExceptionKind.ORDER_UNREADABLE,
                    f"order_unreadable:{shop}:{order}",
                    f"webhook {d.topic} for {rules.order_label}{order} could not be read after"
                    f" {attempts} tries: {error}; Tandem reads the order if a poll finds it",
                    details={"shop": shop, "order": order, "topic": d.topic},
                )
            )
    raise_exceptions(conn, given_up, now)
