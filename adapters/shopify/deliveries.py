"""Processing stored webhook deliveries: read the orders they name through GraphQL.

A delivery stays pending until its order is stored, so a Shopify outage or a crash between
receiving and reading loses nothing: the next pass (or the next poll) picks it up. One
delivery Shopify refuses to read (an id it calls invalid) is tried on its own, so it holds up
no other; after MAX_ATTEMPTS refusals it is given up with an exception naming the order. A
pass in which Shopify is down or refuses Tandem's token counts as no try.

Deliveries that name no order to read (app/uninstalled) are settled before any order is read:
uninstalling the app revokes its token, so the read that follows may fail. An uninstall is
acted on only once Shopify confirms it (it refuses the token), since a signed body can be
replayed under another topic.

A delivery signed with the app's secret but sent for another shop (X-Shopify-Shop-Domain)
is not read: it is marked done with the reason, so the misrouted subscription can be found.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from adapters.shopify import documents as doc
from adapters.shopify.client import ShopifyClient
from adapters.shopify.errors import AuthError, RetryableError, ShopifyError, reading
from adapters.shopify.orders import OrdersReport, fetch_orders, store_orders
from adapters.shopify.webhook_checks import APP_UNINSTALLED
from adapters.shopify.webhooks import ORDER_TOPICS
from connector.configuration import TandemConfig
from connector.domain import ExceptionKind, Order
from connector.store import Database
from connector.store import schema as t
from connector.store.exceptions import NewException, raise_exceptions

log = logging.getLogger("tandem.shopify")

BATCH = 200
MAX_ATTEMPTS = 8  # refusals, as many as the tries Shopify itself makes to deliver a webhook


class Shops:
    """The shop this Tandem serves, by the names a delivery may give it: the host of
    store.shop_url, and (asked once, only when a delivery names another) the shop's
    myshopify domain as Shopify reports it."""

    def __init__(self, client: ShopifyClient, shop: str) -> None:
        self._client = client
        self.configured = shop
        self._domain: str | None = None

    async def serves(self, domain: str) -> bool:
        if domain == self.configured:
            return True
        if self._domain is None:
            data = await self._client.execute(doc.SHOP_DOMAIN)
            with reading(doc.SHOP_DOMAIN.name):
                self._domain = str(data["shop"]["myshopifyDomain"])
        return domain == self._domain

    @property
    def name(self) -> str:
        return self._domain or self.configured


async def process_deliveries(
    db: Database, client: ShopifyClient, config: TandemConfig, shop: str, now: datetime
) -> OrdersReport:
    report = OrdersReport()
    wd = t.webhook_deliveries
    shops = Shops(client, shop)
    after = 0  # deliveries left pending in this pass are not read again in it
    while True:
        with db.read() as conn:
            pending = conn.execute(
                select(wd.c.id, wd.c.topic, wd.c.resource_id, wd.c.shop, wd.c.attempts)
                .where(wd.c.processed_at.is_(None), wd.c.id > after)
                .order_by(wd.c.id)
                .limit(BATCH)
            ).all()
        if not pending:
            return report
        after = pending[-1].id
        foreign = [d for d in pending if not await shops.serves(d.shop)]
        if foreign:
            _ignore(db, foreign, shops.name, now, report)
        pending = [d for d in pending if d not in foreign]
        done = [d for d in pending if d.topic not in ORDER_TOPICS or not d.resource_id]
        if done:
            uninstalls = [d for d in done if d.topic == APP_UNINSTALLED]
            installed = await _installed(client) if uninstalls else True
            # In a write of their own before any order is read: uninstalling the app revokes
            # its token, so that read may well fail, and the uninstall must still be recorded.
            with db.write() as conn:
                _finish(conn, [d.id for d in done if d not in uninstalls], now)
                _settle_uninstalls(conn, uninstalls, installed, now, report)
        wanted = [d for d in pending if d.topic in ORDER_TOPICS and d.resource_id]
        if not wanted:
            continue
        ids = list(dict.fromkeys(d.resource_id for d in wanted))
        try:
            orders, problems, refused = await _read(client, config, ids)
        except (RetryableError, AuthError) as exc:
            # Shopify is down or refuses Tandem: nothing is wrong with the deliveries.
            with db.write() as conn:
                _not_read(conn, [d.id for d in wanted], str(exc))
            report.problems.append(f"webhook orders not read: {exc}")
            if isinstance(exc, AuthError):
                raise
            return report
        report.seen += len(ids) - len(refused)
        report.ingest.add(store_orders(db, config, shop, orders, problems, now))
        report.problems.extend(message for _, message in problems)
        with db.write() as conn:
            _finish(conn, [d.id for d in wanted if d.resource_id not in refused], now)
            _refused(conn, [d for d in wanted if d.resource_id in refused], refused, shop, now)
        report.problems.extend(
            f"webhook for {gid} not read: {message}" for gid, message in refused.items()
        )


async def _read(
    client: ShopifyClient, config: TandemConfig, ids: Sequence[str]
) -> tuple[list[Order], list[tuple[str, str]], dict[str, str]]:
    """The orders, mapping problems, and order id -> why Shopify refused to read it. When
    Shopify refuses a whole batch, each order is read on its own to find the one at fault."""
    try:
        orders, problems = await fetch_orders(client, config, ids)
        return orders, problems, {}
    except (RetryableError, AuthError):
        raise
    except ShopifyError as exc:
        if len(ids) == 1:
            return [], [], {ids[0]: str(exc)}
    orders, problems, refused = [], [], {}
    for gid in ids:
        try:
            found, trouble = await fetch_orders(client, config, [gid])
        except (RetryableError, AuthError):
            raise
        except ShopifyError as exc:
            refused[gid] = str(exc)
            continue
        orders += found
        problems += trouble
    return orders, problems, refused


def _ignore(
    db: Database, foreign: Sequence[Any], served: str, now: datetime, report: OrdersReport
) -> None:
    wd = t.webhook_deliveries
    with db.write() as conn:
        for d in foreign:
            reason = f"sent for {d.shop}, but Tandem serves {served}: ignored"
            conn.execute(
                update(wd).where(wd.c.id == d.id).values(processed_at=now, last_error=reason)
            )
            log.warning("webhook %s %s", d.topic, reason)
            report.problems.append(f"webhook {d.topic} {reason}")


def _not_read(conn: Connection, ids: list[int], error: str) -> None:
    """Say why the deliveries wait. An outage is no fault of theirs: it counts no try, so it
    cannot bring a delivery closer to being given up."""
    wd = t.webhook_deliveries
    if ids:
        conn.execute(update(wd).where(wd.c.id.in_(ids)).values(last_error=error[:2000]))


async def _installed(client: ShopifyClient) -> bool | str:
    """Whether Shopify still answers Tandem's token (True), refuses it as after an uninstall
    (False), or could not say now (why)."""
    try:
        await client.execute(doc.APP_INSTALLED)
    except AuthError:
        return False
    except ShopifyError as exc:
        return str(exc)
    return True


def _settle_uninstalls(
    conn: Connection,
    deliveries: Sequence[Any],
    installed: bool | str,
    now: datetime,
    report: OrdersReport,
) -> None:
    """Act on app/uninstalled only when Shopify confirms it: a signed body can be replayed
    under another topic, and an app still installed must not be reported gone. Unconfirmed
    for now (Shopify down), the deliveries wait for the next pass."""
    if not deliveries:
        return
    ids = [d.id for d in deliveries]
    if installed is False:
        _finish(conn, ids, now)
        _uninstalled(conn, deliveries, now)
        return
    wd = t.webhook_deliveries
    if installed is True:
        reason = "not acted on: Shopify still accepts Tandem's access token, the app is installed"
        conn.execute(update(wd).where(wd.c.id.in_(ids)).values(processed_at=now, last_error=reason))
    else:
        reason = f"not confirmed with Shopify yet: {installed}"
        _not_read(conn, ids, reason)
    log.warning("webhook %s %s", APP_UNINSTALLED, reason)
    report.problems.append(f"webhook {APP_UNINSTALLED} {reason}")


def _uninstalled(conn: Connection, deliveries: Sequence[Any], now: datetime) -> None:
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
            for d in deliveries
        ],
        now,
    )


def _refused(
    conn: Connection, deliveries: Sequence[Any], refused: dict[str, str], shop: str, now: datetime
) -> None:
    """Count a try for each delivery Shopify refused to read; give up on those at the limit."""
    wd = t.webhook_deliveries
    given_up = []
    for d in deliveries:
        error = refused[d.resource_id]
        attempts = d.attempts + 1
        last = attempts >= MAX_ATTEMPTS
        conn.execute(
            update(wd)
            .where(wd.c.id == d.id)
            .values(attempts=attempts, last_error=error[:2000], processed_at=now if last else None)
        )
        if last:
            given_up.append(
                NewException(
                    ExceptionKind.ORDER_UNREADABLE,
                    f"order_unreadable:{shop}:{d.resource_id}",
                    f"webhook {d.topic} for {d.resource_id} could not be read after {attempts}"
                    f" tries: {error}; Tandem reads the order if a poll finds it",
                    details={"shop": shop, "order": d.resource_id, "topic": d.topic},
                )
            )
    raise_exceptions(conn, given_up, now)


def _finish(conn: Connection, ids: list[int], now: datetime) -> None:
    if ids:
        conn.execute(
            update(t.webhook_deliveries)
            .where(t.webhook_deliveries.c.id.in_(ids))
            .values(processed_at=now)
        )
