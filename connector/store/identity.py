"""Which shop a database serves: recorded the first time a command runs, checked by every one.

A database holds the state of one shop. Run against a database that serves another shop (a
configuration pointed at the wrong file, a demo database reused for the real store), a
command refuses with one line instead of mixing the two. The database's id is also written
onto the shop by the store's adapter (`adapters.shopify.identity`), so a second database
pointed at a shop the first one serves refuses too, until a person adopts the shop for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from connector.errors import TandemError
from connector.store import schema as t


class IdentityError(TandemError):
    """This database and this shop do not belong together; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Identity:
    shop: str
    platform: str
    account: str | None
    database_id: str
    first_run_at: datetime


def current(conn: Connection) -> Identity | None:
    """The shop this database serves; None before its first run."""
    ident = t.store_identity
    row = conn.execute(select(ident).order_by(ident.c.first_run_at).limit(1)).first()
    if row is None:
        return None
    return Identity(row.shop, row.platform, row.account, row.database_id, row.first_run_at)


def ensure(conn: Connection, platform: str, shop: str, now: datetime, where: str) -> Identity:
    """This database's identity for `shop`, recorded now when it has none. IdentityError when
    it serves another shop; `where` names the database in that message."""
    found = current(conn)
    if found is None:
        found = Identity(shop, platform, None, uuid.uuid4().hex, now)
        conn.execute(
            t.store_identity.insert().values(
                shop=found.shop,
                platform=found.platform,
                account=None,
                database_id=found.database_id,
                first_run_at=found.first_run_at,
            )
        )
        return found
    if (found.shop, found.platform) != (shop, platform):
        raise IdentityError(
            f"{where} holds the state of {describe(found.platform, found.shop)} since"
            f" {found.first_run_at:%Y-%m-%d}, not of {describe(platform, shop)}: point"
            " database_url at that shop's database, or at a new file to start one"
        )
    return found


def check_account(conn: Connection, identity: Identity, account: str, where: str) -> Identity:
    """Record the platform account the store's credentials reach (the first time), or refuse
    when they now reach another one under the same shop name."""
    if identity.account is None:
        conn.execute(
            update(t.store_identity)
            .where(t.store_identity.c.shop == identity.shop)
            .values(account=account)
        )
        return Identity(
            identity.shop, identity.platform, account, identity.database_id, identity.first_run_at
        )
    if identity.account != account:
        raise IdentityError(
            f"{where} serves the store account {identity.account}, but the credentials for"
            f" {identity.shop} now reach {account}: point database_url at that account's"
            " database, or at a new file to start one"
        )
    return identity


def describe(platform: str, shop: str) -> str:
    return "the orders file" if platform == "file" else f"the {platform} shop {shop}"
