"""Processing stored webhook deliveries: read the orders they name through GraphQL.

A delivery stays pending until its order is stored, so a Shopify outage or a crash between
receiving and reading loses nothing: the next pass (or the next poll) picks it up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from adapters.shopify.client import ShopifyClient
from adapters.shopify.errors import ShopifyError
from adapters.shopify.orders import ORDER_TOPICS, OrdersReport, fetch_orders, store_orders
from connector.configuration import TandemConfig
from connector.domain import ExceptionKind
from connector.store import Database
from connector.store import schema as t
from connector.store.exceptions import NewException, raise_exceptions

BATCH = 200


async def process_deliveries(
    db: Database, client: ShopifyClient, config: TandemConfig, shop: str, now: datetime
) -> OrdersReport:
    report = OrdersReport()
    wd = t.webhook_deliveries
    while True:
        with db.read() as conn:
            pending = conn.execute(
                select(wd.c.id, wd.c.topic, wd.c.resource_id, wd.c.shop)
                .where(wd.c.processed_at.is_(None))
                .order_by(wd.c.id)
                .limit(BATCH)
            ).all()
        if not pending:
            return report
        done = [d.id for d in pending if d.topic not in ORDER_TOPICS]
        uninstalled = [d for d in pending if d.topic == "app/uninstalled"]
        wanted = [d for d in pending if d.topic in ORDER_TOPICS and d.resource_id]
        done += [d.id for d in pending if d.topic in ORDER_TOPICS and not d.resource_id]
        ids = list(dict.fromkeys(d.resource_id for d in wanted))
        try:
            orders, problems = await fetch_orders(client, config, ids)
        except ShopifyError as exc:
            with db.write() as conn:
                conn.execute(
                    update(wd)
                    .where(wd.c.id.in_([d.id for d in wanted]))
                    .values(attempts=wd.c.attempts + 1, last_error=str(exc)[:2000])
                )
                _finish(conn, done, now)
            report.problems.append(f"webhook orders not read: {exc}")
            return report
        report.seen += len(ids)
        report.ingest.add(store_orders(db, config, shop, orders, problems, now))
        report.problems.extend(message for _, message in problems)
        with db.write() as conn:
            _finish(conn, done + [d.id for d in wanted], now)
            if uninstalled:
                raise_exceptions(
                    conn,
                    [
                        NewException(
                            ExceptionKind.APP_UNINSTALLED,
                            f"app_uninstalled:{d.shop}",
                            f"Tandem's app was uninstalled from {d.shop}: no orders come in and"
                            " nothing is written back until it is installed again",
                            details={"shop": d.shop},
                        )
                        for d in uninstalled
                    ],
                    now,
                )


def _finish(conn: Connection, ids: list[int], now: datetime) -> None:
    if ids:
        conn.execute(
            update(t.webhook_deliveries)
            .where(t.webhook_deliveries.c.id.in_(ids))
            .values(processed_at=now)
        )
