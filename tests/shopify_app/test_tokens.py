"""A shop reached by the client credentials grant: the token is fetched before the first
call, renewed before it expires, renewed once when Shopify refuses it, shared by concurrent
jobs, and kept in the database encrypted so a restart reuses it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.auth import AppTokens, auth_mode
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import AuthError
from tandem.adapters.shopify.sync import make_client
from tandem.adapters.shopify.token_store import TokenVault
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.conftest import make_config
from tests.standin import ShopifyStandin
from tests.standin.shopify import INVALID_TOKEN

CLIENT_ID = "tandem-test-app"
SECRET = "shpss_0123456789abcdef"
SCOPES = ["read_orders", "write_orders"]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def app_tokens(shop: ShopifyStandin, db: Database | None, secret: str = SECRET) -> AppTokens:
    host = shop.url.split("://", 1)[-1]
    vault = (lambda: TokenVault(db, host, CLIENT_ID, SecretStr(secret))) if db else lambda: None
    return AppTokens(shop.url, CLIENT_ID, SecretStr(secret), vault=vault)


def outcomes(shop: ShopifyStandin) -> list[str]:
    return [r.outcome for r in shop.requests]


def test_the_token_is_fetched_before_the_first_call_and_renewed_before_it_expires(
    shopify_standin: ShopifyStandin,
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET, scopes=SCOPES, token_seconds=2)
    tokens = app_tokens(shop, None)

    async def scenario() -> tuple[str, str]:
        async with ShopifyClient(shop.url, tokens) as client:
            await client.execute(doc.SHOP_DOMAIN)
            await client.execute(doc.SHOP_DOMAIN)
            assert tokens.grant is not None
            first = tokens.grant.access_token.get_secret_value()
            # Still valid in the shop for a little while, but inside Tandem's margin (10%).
            await asyncio.sleep(1.85)
            await client.execute(doc.SHOP_DOMAIN)
            assert tokens.grant is not None
            return first, tokens.grant.access_token.get_secret_value()

    first, second = run(scenario())
    assert shop.apps.grants == ["client_credentials", "client_credentials"]
    assert first != second
    assert outcomes(shop) == ["ok", "ok", "ok"]  # never a refused call
    assert tokens.grant is not None and tokens.grant.scope == frozenset(SCOPES)


def test_a_refused_token_is_renewed_once_and_the_call_sent_once_more(
    shopify_standin: ShopifyStandin,
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET, scopes=SCOPES)
    order = shop.add_order(["SPADE"])
    tokens = app_tokens(shop, None)

    async def scenario() -> None:
        async with ShopifyClient(shop.url, tokens) as client:
            await client.execute(doc.SHOP_DOMAIN)
            shop.apps.expire_tokens()  # as after a secret rotation: Tandem's copy looks fresh
            # Not idempotent: a refused token did not run it, so sending it again is safe.
            await client.execute(doc.TAGS_ADD, {"id": order, "tags": ["tandem:released"]})

    run(scenario())
    assert outcomes(shop) == ["ok", "unauthorized", "ok"]
    assert shop.apps.grants == ["client_credentials", "client_credentials"]
    assert shop.order_tags(order) == ["tandem:released"]


def test_a_token_refused_again_after_renewal_is_one_clear_error(
    shopify_standin: ShopifyStandin,
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET, scopes=SCOPES)
    tokens = app_tokens(shop, None)

    async def scenario() -> None:
        async with ShopifyClient(shop.url, tokens) as client:
            await client.execute(doc.SHOP_DOMAIN)
            shop.fail_next(401, times=2)  # the first answer and the retry's
            await client.execute(doc.SHOP_DOMAIN)

    with pytest.raises(AuthError) as caught:
        run(scenario())
    message = str(caught.value)
    assert "store.client_id and store.client_secret" in message
    assert "\n" not in message
    assert len(shop.apps.grants) == 2  # one renewal, not a loop


def test_concurrent_jobs_share_one_token_request(
    shopify_standin: ShopifyStandin, tmp_path: Path
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET, scopes=SCOPES)
    config = make_config(
        {
            "database_url": f"sqlite:///{tmp_path / 'tandem.db'}",
            "store": {
                "platform": "shopify",
                "shop_url": shop.url,
                "client_id": CLIENT_ID,
                "client_secret": SECRET,
            },
        }
    )
    assert auth_mode(config.store) == "client_credentials"

    async def job() -> None:
        async with make_client(config) as client:
            await asyncio.gather(*(client.execute(doc.SHOP_DOMAIN) for _ in range(3)))

    async def scenario() -> None:
        await asyncio.gather(*(job() for _ in range(4)))

    run(scenario())
    assert shop.apps.grants == ["client_credentials"]
    assert outcomes(shop) == ["ok"] * 12
    run(scenario())  # a later run of the jobs (another event loop) reuses it too
    assert shop.apps.grants == ["client_credentials"]


def test_a_wrong_secret_is_one_line_naming_what_to_check(
    shopify_standin: ShopifyStandin,
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET, scopes=SCOPES)
    tokens = app_tokens(shop, None, secret="shpss_wrong")

    async def scenario() -> None:
        async with ShopifyClient(shop.url, tokens) as client:
            await client.execute(doc.SHOP_DOMAIN)

    with pytest.raises(AuthError) as caught:
        run(scenario())
    message = str(caught.value)
    assert message.startswith("Shopify refused the client credentials")
    assert "store.client_id and store.client_secret" in message
    assert "invalid_client" in message
    assert shop.url.split("://", 1)[-1] in message
    assert "shpss_wrong" not in message and "\n" not in message
    assert shop.requests == []  # nothing reached the Admin API


def test_the_stored_token_is_encrypted_and_reused_after_a_restart(
    shopify_standin: ShopifyStandin, sqlite_db: Database, tmp_path: Path
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET, scopes=SCOPES)
    tokens = app_tokens(shop, sqlite_db)

    async def call(source: AppTokens) -> None:
        async with ShopifyClient(shop.url, source) as client:
            await client.execute(doc.SHOP_DOMAIN)

    run(call(tokens))
    assert tokens.grant is not None
    token = tokens.grant.access_token.get_secret_value()
    with sqlite_db.read() as conn:
        rows = [dict(r) for r in conn.execute(select(t.shop_tokens)).mappings()]
    assert len(rows) == 1
    assert rows[0]["scope"] == "read_orders,write_orders"
    assert rows[0]["expires_at"] is not None
    assert token not in repr(rows) and SECRET not in repr(rows)
    sqlite_db.dispose()
    files = [p for p in tmp_path.iterdir() if p.name.startswith("tandem.db")]
    assert files and all(token.encode() not in p.read_bytes() for p in files)

    restarted = app_tokens(shop, sqlite_db)  # a new process: nothing in memory
    run(call(restarted))
    assert shop.apps.grants == ["client_credentials"]  # the stored token was used
    assert restarted.grant is not None
    assert restarted.grant.access_token.get_secret_value() == token

    # A changed key (or secret) cannot open it: a new token is asked for, nothing fails.
    shop.apps.add(CLIENT_ID, "shpss_rotated", scopes=SCOPES)
    rotated = app_tokens(shop, sqlite_db, secret="shpss_rotated")
    run(call(rotated))
    assert shop.apps.grants == ["client_credentials", "client_credentials"]
    assert [r.outcome for r in shop.requests] == ["ok", "ok", "ok"]


def test_the_shop_answers_an_expired_app_token_as_shopify_does(
    shopify_standin: ShopifyStandin,
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET, scopes=SCOPES, token_seconds=0.3)
    answer = httpx.post(
        f"{shop.url}/admin/oauth/access_token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET},
        timeout=10,
    ).json()
    assert set(answer) == {"access_token", "scope", "expires_in"}
    assert shop.post("{ shop { name } }", token=answer["access_token"]).status_code == 200
    time.sleep(0.35)
    refused = shop.post("{ shop { name } }", token=answer["access_token"])
    assert refused.status_code == 401
    assert refused.json() == {"errors": INVALID_TOKEN}
    assert shop.post("{ shop { name } }", token="shpat_unknown").status_code == 401
