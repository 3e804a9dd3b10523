"""Processing this shop's stored webhook deliveries: read the orders they name.

A delivery stays pending until its order is stored, so an outage or a crash between receiving
and reading loses nothing. An order WooCommerce refuses to read is tried on its own, so it
holds up no other, and after MAX_ATTEMPTS refusals its deliveries are given up with an
exception naming the order. A pass in which the site is down or refuses Tandem's keys counts
as no try. Deliveries naming no order (other topics), and order.deleted (the order is read and,
being gone, skipped), are settled at once. The loop over the stored deliveries is the core's
(`connector.services.deliveries`); what is WooCommerce's is reading each order on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tandem.adapters.woocommerce.client import (
    AuthError,
    Unavailable,
    WooCommerceClient,
    WooCommerceError,
)
from tandem.adapters.woocommerce.orders import fetch_orders
from tandem.adapters.woocommerce.webhooks import ORDER_TOPICS
from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import Order
from tandem.connector.services.deliveries import DeliveryRules, read_deliveries, read_each
from tandem.connector.services.polling import OrdersReport
from tandem.connector.store import Database

BATCH = 100
MAX_ATTEMPTS = 8
RULES = DeliveryRules(
    ORDER_TOPICS,
    (Unavailable, AuthError),
    batch=BATCH,
    max_attempts=MAX_ATTEMPTS,
    order_label="order ",
)


async def process_deliveries(
    db: Database, client: WooCommerceClient, config: TandemConfig, shop: str, now: datetime
) -> OrdersReport:
    async def fetch(ids: Sequence[str]) -> tuple[list[Order], list[tuple[str, str]]]:
        return await fetch_orders(client, config, ids)

    async def read(ids: Sequence[str]) -> tuple[list[Order], list[tuple[str, str]], dict[str, str]]:
        return await read_each(fetch, ids, WooCommerceError, RULES.unavailable)

    return await read_deliveries(db, config, shop, now, RULES, read)
