"""Processing stored webhook deliveries: read the orders they name through GraphQL.

A delivery stays pending until its order is stored, so a Shopify outage or a crash between
receiving and reading loses nothing: the next pass (or the next poll) picks it up. One
delivery Shopify refuses to read (an id it calls invalid) is tried on its own, so it holds up
no other; after MAX_ATTEMPTS refusals it is given up with an exception naming the order. A
pass in which Shopify is down or refuses Tandem's token counts as no try.

Deliveries that name no order to read (app/uninstalled) are settled before any order is read:
uninstalling the app revokes its token, so the read that follows may fail. An uninstall is
acted on only once Shopify confirms it (it refuses the token), since a signed body can be
replayed under another topic; then the shop's work stops (`connector.store.shop_stops`) and
order deliveries wait until the app is installed again. Privacy requests (Shopify's
compliance webhooks) are answered first, by `privacy_requests.py`.

The loop over the stored deliveries is the core's (`connector.services.deliveries`): a pass
reads only this shop's deliveries, stored under the shop's name or its myshopify domain. One
stored for another shop configured here is left to that shop's pass; one signed with the app's
secret but sent for a shop not configured here (X-Shopify-Shop-Domain) is not read: it is
marked done with the reason, so the misrouted subscription can be found.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import AuthError, RetryableError, ShopifyError, reading
from tandem.adapters.shopify.orders import fetch_orders
from tandem.adapters.shopify.privacy_requests import answer_privacy_requests
from tandem.adapters.shopify.webhook_checks import APP_UNINSTALLED, PRIVACY_TOPICS
from tandem.adapters.shopify.webhooks import ORDER_TOPICS
from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import ExceptionKind, Order
from tandem.connector.services.deliveries import (
    DeliveryRules,
    Pending,
    mark_done,
    mark_waiting,
    read_deliveries,
    read_each,
)
from tandem.connector.services.polling import OrdersReport
from tandem.connector.store import Database, shop_stops
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import NewException, raise_exceptions

log = logging.getLogger("tandem.shopify")

BATCH = 200
MAX_ATTEMPTS = 8  # refusals, as many as the tries Shopify itself makes to deliver a webhook
RULES = DeliveryRules(
    ORDER_TOPICS,
    (RetryableError, AuthError),
    batch=BATCH,
    max_attempts=MAX_ATTEMPTS,
    skip_topics=PRIVACY_TOPICS,  # answered by privacy_requests.py
)


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
    shops = Shops(client, shop)
    # Privacy requests first: they need no call to the shop, so they are answered even
    # after an uninstall revoked the token.
    report.problems += await answer_privacy_requests(
        db, config, shop, now, serves=shops.serves, installed=lambda: _installed(client)
    )
    names = await _sort_out(db, config, shops, now, report)

    async def settle(done: list[Pending], report: OrdersReport) -> None:
        uninstalls = [d for d in done if d.topic == APP_UNINSTALLED]
        installed = await _installed(client) if uninstalls else True
        # In a write of their own before any order is read: uninstalling the app revokes
        # its token, so that read may well fail, and the uninstall must still be recorded.
        with db.write() as conn:
            mark_done(conn, [d.id for d in done if d not in uninstalls], now)
            _settle_uninstalls(conn, uninstalls, installed, shop, now, report)

    return await read_deliveries(
        db,
        config,
        shop,
        now,
        RULES,
        lambda ids: _read(client, config, ids),
        names=names,
        settle=settle,
        report=report,
    )


async def _sort_out(
    db: Database, config: TandemConfig, shops: Shops, now: datetime, report: OrdersReport
) -> set[str]:
    """The names besides its own that this shop's pending deliveries give it (its myshopify
    domain, where that is not the configured one). A delivery for a shop that is neither this
    one nor another configured here is ignored; another shop's deliveries are left alone."""
    wd = t.webhook_deliveries
    configured = sorted({shops.configured, *(store.shop_name for store in config.stores)})
    with db.read() as conn:
        named = conn.execute(
            select(wd.c.shop)
            .where(
                wd.c.processed_at.is_(None),
                wd.c.shop.not_in(configured),
                wd.c.topic.not_in(sorted(PRIVACY_TOPICS)),
            )
            .distinct()
        ).scalars()
        unknown = sorted(named)
    names = set()
    for name in unknown:
        if await shops.serves(name):
            names.add(name)
    foreign = [name for name in unknown if name not in names]
    if foreign:
        _ignore(db, foreign, shops.name, now, report)
    return names


async def _read(
    client: ShopifyClient, config: TandemConfig, ids: Sequence[str]
) -> tuple[list[Order], list[tuple[str, str]], dict[str, str]]:
    """The orders, mapping problems, and order id -> why Shopify refused to read it. When
    Shopify refuses a whole batch, each order is read on its own to find the one at fault."""

    async def fetch(ids: Sequence[str]) -> tuple[list[Order], list[tuple[str, str]]]:
        return await fetch_orders(client, config, ids)

    try:
        orders, problems = await fetch(ids)
        return orders, problems, {}
    except RULES.unavailable:
        raise
    except ShopifyError as exc:
        if len(ids) == 1:
            return [], [], {ids[0]: str(exc)}
    return await read_each(fetch, ids, ShopifyError, RULES.unavailable)


def _ignore(
    db: Database, foreign: Sequence[str], served: str, now: datetime, report: OrdersReport
) -> None:
    wd = t.webhook_deliveries
    with db.write() as conn:
        for d in conn.execute(
            select(wd.c.id, wd.c.topic, wd.c.shop)
            .where(
                wd.c.processed_at.is_(None),
                wd.c.shop.in_(foreign),
                wd.c.topic.not_in(sorted(PRIVACY_TOPICS)),
            )
            .order_by(wd.c.id)
        ).all():
            reason = f"sent for {d.shop}, but Tandem serves {served}: ignored"
            mark_done(conn, [d.id], now, reason)
            log.warning("webhook %s %s", d.topic, reason)
            report.problems.append(f"webhook {d.topic} {reason}")


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
    shop: str,
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
        mark_done(conn, ids, now)
        _uninstalled(conn, deliveries, shop, now)
        return
    if installed is True:
        reason = "not acted on: Shopify still accepts Tandem's access token, the app is installed"
        mark_done(conn, ids, now, reason)
    else:
        reason = f"not confirmed with Shopify yet: {installed}"
        mark_waiting(conn, ids, reason)
    log.warning("webhook %s %s", APP_UNINSTALLED, reason)
    report.problems.append(f"webhook {APP_UNINSTALLED} {reason}")


def _uninstalled(conn: Connection, deliveries: Sequence[Any], shop: str, now: datetime) -> None:
    """Stop the shop's work (its token is gone) and tell the merchant; a claim that succeeds
    again lifts both (`identity.claim_shop`)."""
    named = deliveries[-1].shop
    message = (
        f"Tandem's app was uninstalled from {named}: no orders come in and nothing is"
        " written back until it is installed again"
    )
    shop_stops.stop_shop(conn, shop, f"Tandem's app was uninstalled from {named}", now)
    raise_exceptions(
        conn,
        [
            NewException(
                ExceptionKind.APP_UNINSTALLED,
                shop_stops.uninstall_key(shop),
                message,
                details={"shop": named},
            )
        ],
        now,
    )
