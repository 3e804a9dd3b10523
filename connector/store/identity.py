"""Which shop a database serves: recorded the first time a command runs, checked by every one.

A database holds the state of the shops of one configuration (one, or an agency's several).
Run against a database that serves none of the configured shops (a configuration pointed at
the wrong file, a demo database reused for the real store), a command refuses with one line
instead of mixing the two; a shop added to the configuration beside ones the database serves
is recorded beside them. The database's id is also written
onto the shop by the store's adapter (`adapters.shopify.identity`), so a second database
pointed at a shop the first one serves refuses too, until a person adopts the shop for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from tandem.connector.errors import TandemError
from tandem.connector.store import schema as t


class IdentityError(TandemError):
    """This database and this shop do not belong together; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Identity:
    shop: str
    platform: str
    account: str | None
    database_id: str
    first_run_at: datetime


def current(conn: Connection, shop: str | None = None) -> Identity | None:
    """The identity of `shop` in this database (unset: of the first shop it served); None
    before it served that shop."""
    ident = t.store_identity
    query = select(ident).order_by(ident.c.first_run_at, ident.c.shop).limit(1)
    if shop is not None:
        query = query.where(ident.c.shop == shop)
    row = conn.execute(query).first()
    if row is None:
        return None
    return Identity(row.shop, row.platform, row.account, row.database_id, row.first_run_at)


def served(conn: Connection) -> list[Identity]:
    """Every shop this database serves, the first first."""
    ident = t.store_identity
    rows = conn.execute(select(ident).order_by(ident.c.first_run_at, ident.c.shop))
    return [Identity(r.shop, r.platform, r.account, r.database_id, r.first_run_at) for r in rows]


def ensure(
    conn: Connection,
    platform: str,
    shop: str,
    now: datetime,
    where: str,
    configured: Collection[tuple[str, str]] = (),
) -> Identity:
    """This database's identity for `shop`, recorded now when it has none. IdentityError when
    it serves other shops and none of them is `configured` (platform, shop) beside this one;
    `where` names the database in that message."""
    known = served(conn)
    mine = next((i for i in known if i.shop == shop), None)
    if mine is not None:
        if mine.platform != platform:
            raise IdentityError(
                f"{where} holds the state of {describe(mine.platform, shop)} since"
                f" {mine.first_run_at:%Y-%m-%d}, not of {describe(platform, shop)}"
            )
        return mine
    wanted = {*configured, (platform, shop)}
    if known and not any((i.platform, i.shop) in wanted for i in known):
        first = known[0]
        raise IdentityError(
            f"{where} holds the state of {describe(first.platform, first.shop)} since"
            f" {first.first_run_at:%Y-%m-%d}, not of {describe(platform, shop)}: point"
            " database_url at that shop's database, or at a new file to start one"
        )
    # One id per database, whichever shops it serves.
    database_id = known[0].database_id if known else uuid.uuid4().hex
    found = Identity(shop, platform, None, database_id, now)
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


def ensure_all(
    conn: Connection, shops: Sequence[tuple[str, str]], now: datetime, where: str
) -> None:
    """`ensure` for each configured (platform, shop)."""
    for platform, shop in shops:
        ensure(conn, platform, shop, now, where, configured=shops)


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
