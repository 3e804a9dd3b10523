"""A shop that installed Tandem's app by OAuth: the callback is taken only when Shopify signed
it for this shop and install, its code becomes an expiring offline token, and the refresh
token renews it before it expires; a session token can be exchanged instead."""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify import grants
from tandem.adapters.shopify.auth import AppTokens
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import AuthError
from tandem.adapters.shopify.oauth import (
    CallbackRefused,
    make_state,
    permission_url,
    verify_callback,
)
from tandem.adapters.shopify.token_store import TokenVault
from tandem.connector.clock import utcnow
from tandem.connector.store import Database
from tests.standin import ShopifyStandin

CLIENT_ID = "tandem-public-app"
SECRET = SecretStr("shpss_public_secret")
SCOPES = ["read_orders", "write_orders"]
REDIRECT = "https://tandem.example/shopify/callback"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def host(shop: ShopifyStandin) -> str:
    return shop.url.split("://", 1)[-1]


def approve(shop: ShopifyStandin, state: str) -> str:
    """The merchant opens the permission URL and approves: where the browser is sent."""
    url = permission_url(shop.url, CLIENT_ID, SECRET, SCOPES, REDIRECT, state)
    answer = httpx.get(url, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return location


def exchange(shop: ShopifyStandin, code: str) -> grants.Grant:
    async def go() -> grants.Grant:
        async with httpx.AsyncClient() as http:
            return await grants.authorization_code(
                http, shop.url, CLIENT_ID, SECRET, code, utcnow()
            )

    return run(go())  # type: ignore[no-any-return]


def test_an_approved_install_gets_an_expiring_token_that_its_refresh_token_renews(
    shopify_standin: ShopifyStandin, sqlite_db: Database
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET.get_secret_value(), scopes=SCOPES, offline_seconds=2)
    callback = approve(shop, make_state(SECRET, host(shop)))
    code = verify_callback(callback, shop_url=shop.url, client_id=CLIENT_ID, secret=SECRET)
    grant = exchange(shop, code)
    assert grant.refresh_token is not None and grant.expires_at is not None
    assert grant.scope == frozenset(SCOPES)

    vault = TokenVault(sqlite_db, host(shop), CLIENT_ID, SECRET)
    tokens = AppTokens(shop.url, CLIENT_ID, SECRET, oauth=True, vault=lambda: vault)

    async def scenario() -> None:
        await tokens.adopt(grant)
        async with ShopifyClient(shop.url, tokens) as client:
            await client.execute(doc.SHOP_DOMAIN)
            await asyncio.sleep(2.1)  # the offline token has expired by now
            await client.execute(doc.SHOP_DOMAIN)

    run(scenario())
    assert shop.apps.grants == ["authorization_code", "refresh_token"]
    assert [r.outcome for r in shop.requests] == ["ok", "ok"]
    stored = vault.load()  # the rotated refresh token is what the database keeps
    assert stored is not None and stored.refresh_token is not None
    assert stored.refresh_token.get_secret_value() != grant.refresh_token.get_secret_value()
    assert stored.grant_type == "refresh_token"


def test_a_forged_or_stale_callback_is_refused_and_its_code_never_used(
    shopify_standin: ShopifyStandin,
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET.get_secret_value(), scopes=SCOPES)
    genuine = approve(shop, make_state(SECRET, host(shop)))

    def refused(callback: str, shop_url: str = shop.url) -> str:
        with pytest.raises(CallbackRefused) as caught:
            verify_callback(callback, shop_url=shop_url, client_id=CLIENT_ID, secret=SECRET)
        message = str(caught.value)
        assert "\n" not in message and SECRET.get_secret_value() not in message
        return message

    # Another code (or any parameter) put in: the signature no longer matches.
    forged = genuine.replace("code=", "code=0", 1)
    assert "hmac does not match" in refused(forged)
    moved = genuine.replace(f"shop={urllib.parse.quote(host(shop))}", "shop=evil.example")
    assert moved != genuine and "hmac does not match" in refused(moved)
    unsigned = "&".join(p for p in genuine.split("&") if not p.startswith("hmac="))
    assert "no hmac" in refused(unsigned)
    # Signed by Shopify, but for a shop Tandem is not connecting.
    assert "not other-shop.myshopify.com" in refused(genuine, "https://other-shop.myshopify.com")
    # Signed by Shopify, but for an install Tandem did not start in the last hour.
    stale = approve(shop, make_state(SECRET, host(shop), now=time.time() - 7200))
    assert "state" in refused(stale)
    foreign = approve(shop, make_state(SecretStr("another app's secret"), host(shop)))
    assert "state" in refused(foreign)

    # None of them used the code: the genuine callback still installs.
    code = verify_callback(genuine, shop_url=shop.url, client_id=CLIENT_ID, secret=SECRET)
    assert exchange(shop, code).access_token.get_secret_value().startswith("shpat_")
    assert shop.apps.grants == ["authorization_code"]


def test_a_code_used_twice_is_one_clear_error(shopify_standin: ShopifyStandin) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET.get_secret_value(), scopes=SCOPES)
    callback = approve(shop, make_state(SECRET, host(shop)))
    code = verify_callback(callback, shop_url=shop.url, client_id=CLIENT_ID, secret=SECRET)
    exchange(shop, code)
    with pytest.raises(AuthError) as caught:
        exchange(shop, code)
    message = str(caught.value)
    assert message.startswith("Shopify refused the authorization code")
    assert "tandem shopify connect --oauth" in message and "\n" not in message


def test_a_session_token_is_exchanged_for_an_offline_token(
    shopify_standin: ShopifyStandin,
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET.get_secret_value(), scopes=SCOPES)
    session = SecretStr(shop.apps.session_token(CLIENT_ID, shop.url))
    forged = SecretStr(shop.apps.session_token(CLIENT_ID, "http://elsewhere.example"))

    async def go(token: SecretStr) -> grants.Grant:
        async with httpx.AsyncClient() as http:
            return await grants.token_exchange(http, shop.url, CLIENT_ID, SECRET, token, utcnow())

    grant = run(go(session))
    assert grant.grant_type == "token_exchange" and grant.refresh_token is not None
    with pytest.raises(AuthError) as caught:
        run(go(forged))
    assert "invalid_subject_token" in str(caught.value)
    assert shop.apps.grants == [grants.TOKEN_EXCHANGE]


def test_an_oauth_shop_without_an_install_says_how_to_install(
    shopify_standin: ShopifyStandin, sqlite_db: Database
) -> None:
    shop = shopify_standin
    vault = TokenVault(sqlite_db, host(shop), CLIENT_ID, SECRET)
    tokens = AppTokens(shop.url, CLIENT_ID, SECRET, oauth=True, vault=lambda: vault)

    async def scenario() -> None:
        async with ShopifyClient(shop.url, tokens) as client:
            await client.execute(doc.SHOP_DOMAIN)

    with pytest.raises(AuthError) as caught:
        run(scenario())
    assert "tandem shopify connect --oauth" in str(caught.value)
    assert shop.requests == []
