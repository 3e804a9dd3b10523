"""`tandem shopify connect`: connect a shop through its app, check it works, print the YAML.

Since January 2026 a merchant creates the app in Shopify's Dev Dashboard and Tandem gets its
Admin API token from the app's client id and secret:

- by default, the client credentials grant (an app of the merchant's own organisation,
  installed on their shop): the command asks Shopify for a token, reads the shop with it, and
  lists the scopes granted and those Tandem needs that are missing;
- with `--oauth` (an app installed on other merchants' shops): it prints the permission URL,
  checks the callback the browser lands on (HMAC, shop, state), exchanges its code for an
  expiring offline token (or, with `--session-token`, exchanges an embedded app's session
  token) and keeps the token, encrypted, in the database of `--config`.

Every question has an option, so it runs without a terminal (CI); the secret can come from
SHOPIFY_CLIENT_SECRET. The YAML printed names the secret as `${SHOPIFY_CLIENT_SECRET}`, never
its value. Exit status: 0 connected with every scope needed, 1 refused or scopes missing,
2 a usage problem.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tandem.connector.cli.common import console, fail, get_config, reported
from tandem.connector.clock import utcnow

# The client (httpx, ShopifyAPI) and the rest are imported when the command runs: `tandem
# --help` lists it without them (issue 14).
if TYPE_CHECKING:
    from pydantic import SecretStr

    from tandem.adapters.shopify.grants import Grant
    from tandem.adapters.shopify.token_store import TokenVault
    from tandem.connector.configuration import TandemConfig

SECRET_ENV = "SHOPIFY_CLIENT_SECRET"


def connect(
    shop: Annotated[
        str | None, typer.Option("--shop", help="The shop, e.g. my-shop.myshopify.com.")
    ] = None,
    client_id: Annotated[
        str | None,
        typer.Option("--client-id", help="The app's client ID (Dev Dashboard: app, Settings)."),
    ] = None,
    client_secret: Annotated[
        str | None,
        typer.Option(
            "--client-secret",
            envvar=SECRET_ENV,
            show_envvar=True,
            help="The app's client secret (better from the environment than the command line).",
        ),
    ] = None,
    oauth: Annotated[
        bool,
        typer.Option(
            "--oauth",
            help="Install by OAuth (an app for other merchants' shops) instead of the client"
            " credentials grant.",
        ),
    ] = False,
    redirect_url: Annotated[
        str | None,
        typer.Option("--redirect-url", help="With --oauth: an allowed redirection URL of the app."),
    ] = None,
    callback: Annotated[
        str | None,
        typer.Option(
            "--callback",
            help="With --oauth: the address the browser landed on after approving the app.",
        ),
    ] = None,
    session_token: Annotated[
        str | None,
        typer.Option(
            "--session-token",
            help="With --oauth: exchange this session token of the embedded app instead.",
        ),
    ] = None,
    config_path: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Configuration whose database keeps the token (required with --oauth);"
            " the shop and app default to its store section.",
        ),
    ] = None,
) -> None:
    """Connect the shop through its app (client id and secret from Shopify's Dev Dashboard),
    check the token works and the scopes Tandem needs, and print the YAML to paste."""
    import asyncio

    from pydantic import SecretStr

    from tandem.adapters.shopify.scopes import needed_scopes

    config = get_config(config_path) if config_path is not None else None
    store = config.store if config is not None else None
    shop_url = _shop_url(
        _ask(shop or (store.shop_url if store else None), "--shop", "Shop (my-shop.myshopify.com)")
    )
    app_id = _ask(client_id or (store.client_id if store else None), "--client-id", "Client ID")
    configured = store.client_secret.get_secret_value() if store and store.client_secret else None
    secret = SecretStr(_ask(client_secret or configured, "--client-secret", "Client secret", True))
    if oauth and config is None:
        fail("--oauth keeps the app's token in Tandem's database: pass --config", code=2)
    needed = needed_scopes(config)
    code = None
    if oauth and session_token is None:
        code = _authorization_code(shop_url, app_id, secret, needed, redirect_url, callback)
        if code is None:
            return
    with reported():
        grant, domain = asyncio.run(
            _connect(config, shop_url, app_id, secret, oauth, code, session_token)
        )
    _report(grant, domain, shop_url, app_id, oauth, needed)


def _ask(value: str | None, option: str, question: str, hide: bool = False) -> str:
    if value:
        return value
    if not sys.stdin.isatty():
        fail(f"{option} is needed (there is no terminal to ask on)", code=2)
    answer: str = typer.prompt(question, hide_input=hide)
    return answer.strip()


def _shop_url(value: str) -> str:
    value = value.strip().rstrip("/")
    return value if "://" in value else f"https://{value}"


def _authorization_code(
    shop_url: str,
    client_id: str,
    secret: SecretStr,
    needed: dict[str, str],
    redirect_url: str | None,
    callback: str | None,
) -> str | None:
    """The code of a genuine callback; None when the merchant still has to approve."""
    from tandem.adapters.shopify.client import shop_host
    from tandem.adapters.shopify.oauth import make_state, permission_url, verify_callback

    if callback is None:
        redirect = _ask(redirect_url, "--redirect-url", "Redirection URL allowed for the app")
        state = make_state(secret, shop_host(shop_url))
        url = permission_url(shop_url, client_id, secret, needed, redirect, state)
        console.print(
            "Open this address, approve the app, and copy the address your browser lands on"
            " (it may show an error page; the address is what counts):",
            soft_wrap=True,
        )
        console.print(url, highlight=False, markup=False, soft_wrap=True)
        if not sys.stdin.isatty():
            console.print(
                "Then run this command again with --callback '<that address>'.",
                highlight=False,
                markup=False,
            )
            return None
        callback = _ask(None, "--callback", "Address after approving")
    with reported():
        return verify_callback(callback, shop_url=shop_url, client_id=client_id, secret=secret)


async def _connect(
    config: TandemConfig | None,
    shop_url: str,
    client_id: str,
    secret: SecretStr,
    oauth: bool,
    code: str | None,
    session_token: str | None,
) -> tuple[Grant, str]:
    """Get the token (stored when there is a database), then read the shop with it."""
    import httpx
    from pydantic import SecretStr

    from tandem.adapters.shopify import documents as doc
    from tandem.adapters.shopify import grants
    from tandem.adapters.shopify.auth import AppTokens
    from tandem.adapters.shopify.client import ShopifyClient, shop_host
    from tandem.adapters.shopify.errors import reading
    from tandem.adapters.shopify.token_store import TokenVault
    from tandem.adapters.tls import trust_store
    from tandem.connector.store import open_database

    def vault() -> TokenVault | None:
        if config is None:
            return None
        key = config.store.token_key or secret
        db = open_database(config.database_url)
        return TokenVault(db, shop_host(shop_url), client_id, key)

    tokens = AppTokens(shop_url, client_id, secret, oauth=oauth, vault=vault)
    if oauth:
        async with httpx.AsyncClient(timeout=30, verify=trust_store()) as http:
            now = utcnow()
            if session_token is not None:
                grant = await grants.token_exchange(
                    http, shop_url, client_id, secret, SecretStr(session_token), now
                )
            else:
                assert code is not None
                grant = await grants.authorization_code(
                    http, shop_url, client_id, secret, code, now
                )
        await tokens.adopt(grant)
    api_version = config.store.api_version if config is not None else "2026-07"
    async with ShopifyClient(shop_url, tokens, api_version) as client:
        data = await client.execute(doc.SHOP_DOMAIN)
    with reading(doc.SHOP_DOMAIN.name):
        domain = str(data["shop"]["myshopifyDomain"])
    assert tokens.grant is not None
    return tokens.grant, domain


def _report(
    grant: Grant, domain: str, shop_url: str, client_id: str, oauth: bool, needed: dict[str, str]
) -> None:
    import yaml

    from tandem.adapters.shopify.scopes import OPTIONAL, missing_scopes

    how = "OAuth" if oauth else "client credentials"
    if grant.expires_at is None:
        lasts = "the token lasts until the app is uninstalled"
    else:
        hours = (grant.expires_at - grant.obtained_at).total_seconds() / 3600
        lasts = f"the token lasts {hours:.3g} h and Tandem renews it before it expires"

    def say(text: str) -> None:
        console.print(text, highlight=False, markup=False, soft_wrap=True)

    say(f"Connected to {domain} by {how}: {lasts}.")
    say(f"Scopes granted: {', '.join(sorted(grant.scope)) or 'none'}")
    missing = missing_scopes(grant.scope, needed)
    for scope in missing_scopes(grant.scope, OPTIONAL):
        say(f"Optional, not granted: {scope} ({OPTIONAL[scope]})")
    store: dict[str, Any] = {
        "platform": "shopify",
        "shop_url": shop_url,
        "auth": "oauth" if oauth else "client_credentials",
        "client_id": client_id,
        "client_secret": f"${{{SECRET_ENV}}}",
        "webhook_secret": f"${{{SECRET_ENV}}}",  # Shopify signs an app's webhooks with it
    }
    say(
        f"\nPaste into tandem.yaml, with {SECRET_ENV} set in Tandem's environment"
        " (store.token_key, optional, encrypts the stored token; unset, the client secret"
        " does):\n"
    )
    say(yaml.safe_dump({"store": store}, sort_keys=False).rstrip())
    if missing:
        lines = "; ".join(f"{scope} ({needed[scope]})" for scope in missing)
        fail(
            f"the app lacks scopes Tandem needs: {lines}. Add them to the app's version in"
            " the Dev Dashboard, release it, and run this again."
        )
