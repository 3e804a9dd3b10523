"""A stopped shop: recorded once an uninstall is confirmed, lifted by a claim that succeeds
after it, never by an answer from before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tandem.connector.domain import ExceptionKind
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import NewException, raise_exceptions
from tandem.connector.store.shop_stops import (
    resume_shop,
    shop_stopped,
    stop_reason,
    stop_shop,
    uninstall_key,
)

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
SHOP = "demo.myshopify.com"


def test_a_stop_holds_until_a_claim_made_after_it_succeeds(db: Database) -> None:
    with db.write() as conn:
        assert not shop_stopped(conn, SHOP)
        stop_shop(conn, SHOP, "Tandem's app was uninstalled from demo", T0)
        message = "uninstalled"
        raise_exceptions(
            conn, [NewException(ExceptionKind.APP_UNINSTALLED, uninstall_key(SHOP), message)], T0
        )
    with db.write() as conn:
        assert stop_reason(conn, SHOP) == "Tandem's app was uninstalled from demo"
        assert not shop_stopped(conn, "other.myshopify.com")
        # A claim whose answer came before the uninstall lifts nothing.
        assert not resume_shop(conn, SHOP, T0 - timedelta(seconds=1), "installed again")
        assert shop_stopped(conn, SHOP)
        assert resume_shop(conn, SHOP, T0 + timedelta(minutes=5), "installed again")
        assert not shop_stopped(conn, SHOP)
    with db.read() as conn:
        [status] = conn.execute(select(t.exceptions.c.status)).scalars().all()
    assert status == "resolved"
