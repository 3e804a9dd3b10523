"""Shops whose work is stopped: Tandem was uninstalled from the shop.

Once the store's platform confirms an uninstall, the shop's token no longer works: every job
that talks to the shop (polling, write-backs, stock) would only fail. The stop is recorded
here and those jobs skip the shop (`shop_stopped`), while what needs no call to the shop
(privacy requests, which the platform still sends after an uninstall) goes on. A claim that
succeeds again — the shop answers Tandem's credentials, so the app is installed again —
lifts the stop (`resume_shop`) and closes the uninstall's exception.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select

from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import resolve_keys


def uninstall_key(shop: str) -> str:
    """The dedupe key of the exception an uninstall opens."""
    return f"app_uninstalled:{shop}"


def stop_reason(conn: Connection, shop: str) -> str | None:
    """Why the shop's work is stopped; None while it is not."""
    return conn.execute(
        select(t.shop_stops.c.reason).where(t.shop_stops.c.shop == shop)
    ).scalar_one_or_none()


def shop_stopped(conn: Connection, shop: str) -> bool:
    """Whether the jobs that talk to `shop` must skip it."""
    return stop_reason(conn, shop) is not None


def is_stopped(db: Database, shop: str) -> bool:
    """`shop_stopped`, in a read of its own."""
    with db.read() as conn:
        return shop_stopped(conn, shop)


def stop_shop(conn: Connection, shop: str, reason: str, now: datetime) -> None:
    """Stop the shop's work (again: the reason and time are those of the latest stop)."""
    stops = t.shop_stops
    if shop_stopped(conn, shop):
        conn.execute(
            stops.update().where(stops.c.shop == shop).values(reason=reason, stopped_at=now)
        )
    else:
        conn.execute(stops.insert().values(shop=shop, reason=reason, stopped_at=now))


def resume_shop(conn: Connection, shop: str, asked_at: datetime, note: str) -> bool:
    """Lift a stop recorded before `asked_at` (when the shop was asked and answered); a stop
    recorded since then stands, as the answer may predate the uninstall. True when lifted."""
    stops = t.shop_stops
    lifted = conn.execute(
        delete(stops).where(stops.c.shop == shop, stops.c.stopped_at <= asked_at)
    ).rowcount
    if lifted:
        resolve_keys(conn, [uninstall_key(shop)], "tandem", note, asked_at)
    return bool(lifted)
