"""The shop's side of `connector.store.identity`: which Tandem database serves a Shopify shop.

The first database that runs against a shop writes its id into the shop's `tandem.database`
metafield, and records the shop's account (its GID and myshopify domain) the credentials
reach. Another database that finds the metafield naming someone else refuses: a second copy,
a reinstall or a lost database would otherwise order again what the first one ordered. When
the first database is lost for good, `tandem db adopt-shop` makes this one the shop's; the
old one, should it come back, then refuses in turn.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import check, reading
from tandem.connector.configuration import TandemConfig
from tandem.connector.store import Database, identity, shop_stops

NAMESPACE, KEY = "tandem", "database"


async def claim_shop(
    client: ShopifyClient,
    db: Database,
    config: TandemConfig,
    now: datetime,
    *,
    adopt: bool = False,
    mark: bool = True,
) -> identity.Identity:
    """Check (and on the first run record) that this database serves the shop the client
    reaches; IdentityError when another database does, unless `adopt`. With `mark` False
    (a dry run) the shop is only checked: its metafield is not written."""
    data = await client.execute(doc.SHOP_IDENTITY, {})
    with reading(doc.SHOP_IDENTITY.name):
        shop = data["shop"]
        gid, domain = str(shop["id"]), str(shop["myshopifyDomain"])
        marker = _marker((shop.get("servedBy") or {}).get("value"))
    where = db.describe()
    # In a thread: the event loop may be a web server's, and the database busy for a while.
    mine = await asyncio.to_thread(_recorded, db, config, now, f"{domain} ({gid})")
    # Shopify answered the token: the app is installed (again), so a stop an uninstall put
    # on the shop's work before this claim is lifted (tandem.connector.store.shop_stops).
    await asyncio.to_thread(_resume, db, config, now)
    other = marker.get("database")
    if other == mine.database_id:
        return mine
    if other and not adopt:
        since = marker.get("since") or "an unknown date"
        raise identity.IdentityError(
            f"the shop {domain} is served by another Tandem database (id {other}, since"
            f" {since}), not by {where}: run Tandem against that database; if it is lost for"
            " good, `tandem db adopt-shop` makes this one the shop's"
        )
    if not mark:
        return mine
    value = {"database": mine.database_id, "since": mine.first_run_at.date().isoformat()}
    metafield = {
        "ownerId": gid,
        "namespace": NAMESPACE,
        "key": KEY,
        "type": "json",
        "value": json.dumps(value, separators=(",", ":")),
    }
    answer = await client.execute(doc.METAFIELDS_SET, {"metafields": [metafield]})
    check(answer.get("metafieldsSet"), "metafieldsSet", f"shop {domain}")
    return mine


def _recorded(db: Database, config: TandemConfig, now: datetime, account: str) -> identity.Identity:
    """This database's identity for the configured shop and the account its credentials
    reach; written only the first time (reading needs no write lock)."""
    where, shop = db.describe(), config.store.shop_name
    with db.read() as conn:
        found = identity.current(conn, shop)
    if found is not None and (found.shop, found.account) == (shop, account):
        return found
    with db.write() as conn:
        shops = [(store.platform, store.shop_name) for store in config.stores]
        mine = identity.ensure(conn, "shopify", shop, now, where, configured=shops)
        return identity.check_account(conn, mine, account, where)


def _resume(db: Database, config: TandemConfig, asked_at: datetime) -> None:
    shop = config.store.shop_name
    with db.read() as conn:
        if not shop_stops.shop_stopped(conn, shop):
            return
    with db.write() as conn:
        note = "installed again: Shopify accepts Tandem's access token"
        shop_stops.resume_shop(conn, shop, asked_at, note)


def _marker(value: Any) -> dict[str, str]:
    """The metafield's value; one that cannot be read names nobody (it is written anew)."""
    try:
        found = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: str(v) for k, v in found.items() if isinstance(v, str | int)}
