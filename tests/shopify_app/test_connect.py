"""`tandem shopify connect` as a merchant runs it against the stand-in, with every answer given
as an option (there is no terminal here, as in CI)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import typer
import yaml
from sqlalchemy import select
from typer.testing import CliRunner, Result

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.connect_cmd import connect
from tandem.adapters.shopify.scopes import needed_scopes
from tandem.adapters.shopify.sync import make_client
from tandem.connector.configuration import load_config
from tandem.connector.store import open_database
from tandem.connector.store import schema as t
from tests.standin import ShopifyStandin

CLIENT_ID = "tandem-dev-app"
SECRET = "shpss_connect_secret"

cli = typer.Typer()
cli.command()(connect)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("SHOPIFY_CLIENT_SECRET", SECRET)


def tandem_connect(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def pasted_yaml(output: str) -> dict[str, object]:
    return yaml.safe_load(output[output.index("store:") :])  # type: ignore[no-any-return]


def test_client_credentials_are_checked_and_the_yaml_names_the_secret_by_reference(
    shopify_standin: ShopifyStandin,
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET, scopes=sorted(needed_scopes()))
    out = tandem_connect("--shop", shop.url, "--client-id", CLIENT_ID).output
    assert "Connected to tandem-test.myshopify.com by client credentials" in out
    assert "the token lasts 24 h and Tandem renews it before it expires" in out
    assert "read_orders" in out and "write_inventory" in out
    assert "Optional, not granted: read_all_orders" in out
    assert pasted_yaml(out) == {
        "store": {
            "platform": "shopify",
            "shop_url": shop.url,
            "auth": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": "${SHOPIFY_CLIENT_SECRET}",
            "webhook_secret": "${SHOPIFY_CLIENT_SECRET}",
        }
    }
    assert SECRET not in out
    assert shop.apps.grants == ["client_credentials"]
    assert [r.operation_name for r in shop.accepted_requests] == ["ShopDomain"]


def test_missing_scopes_are_named_with_what_needs_them(shopify_standin: ShopifyStandin) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET, scopes=["read_orders", "write_orders", "read_products"])
    result = tandem_connect("--shop", shop.url, "--client-id", CLIENT_ID, code=1)
    assert "client_secret: ${SHOPIFY_CLIENT_SECRET}" in result.output  # printed all the same
    assert "the app lacks scopes Tandem needs:" in result.stderr
    assert "write_inventory (setting supplier stock (stock_push))" in result.stderr
    assert "write_merchant_managed_fulfillment_orders" in result.stderr
    assert "read_orders" not in result.stderr.split("needs:", 1)[1]


def test_a_wrong_secret_is_one_line(shopify_standin: ShopifyStandin) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, "shpss_the_real_one", scopes=["read_orders"])
    result = tandem_connect("--shop", shop.url, "--client-id", CLIENT_ID, code=1)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: Shopify refused the client credentials")
    assert "check store.client_id and store.client_secret" in lines[0]
    assert SECRET not in result.output and "shpss_the_real_one" not in result.output
    assert shop.requests == []


def test_without_a_terminal_every_question_needs_its_option() -> None:
    result = tandem_connect("--client-id", CLIENT_ID, code=2)
    assert "--shop is needed (there is no terminal to ask on)" in result.stderr


def oauth_config(shop: ShopifyStandin, tmp_path: Path) -> Path:
    path = tmp_path / "tandem.yaml"
    store = {
        "platform": "shopify",
        "shop_url": shop.url,
        "auth": "oauth",
        "client_id": CLIENT_ID,
        "client_secret": "${SHOPIFY_CLIENT_SECRET}",
    }
    path.write_text(
        yaml.safe_dump({"database_url": f"sqlite:///{tmp_path / 'tandem.db'}", "store": store})
    )
    return path


def test_an_oauth_install_in_two_runs_keeps_its_token_for_tandem(
    shopify_standin: ShopifyStandin, tmp_path: Path
) -> None:
    shop = shopify_standin
    shop.apps.add(CLIENT_ID, SECRET, scopes=["read_orders"])
    config = oauth_config(shop, tmp_path)
    redirect = "https://tandem.example/shopify/callback"
    first = tandem_connect("--oauth", "--config", str(config), "--redirect-url", redirect).output
    url = next(line for line in first.splitlines() if "/admin/oauth/authorize?" in line)
    assert "--callback" in first
    landed = httpx.get(url, follow_redirects=False, timeout=10).headers["location"]

    # A callback someone altered is refused, and nothing is kept.
    forged = landed.replace("code=", "code=1", 1)
    result = tandem_connect("--oauth", "--config", str(config), "--callback", forged, code=1)
    assert result.stderr.strip().startswith("error: the OAuth callback's hmac does not match")
    assert len(result.stderr.strip().splitlines()) == 1
    db = open_database(load_config(config).database_url)
    with db.read() as conn:
        assert conn.execute(select(t.shop_tokens)).first() is None

    out = tandem_connect("--oauth", "--config", str(config), "--callback", landed).output
    assert "by OAuth: the token lasts 1 h" in out
    assert "auth: oauth" in out
    with db.read() as conn:
        [row] = conn.execute(select(t.shop_tokens)).mappings()
    assert row["grant_type"] == "authorization_code" and row["refresh_expires_at"] is not None

    async def daemon_call() -> None:  # what Tandem's jobs do with the configuration
        async with make_client(load_config(config), db=db) as client:
            await client.execute(doc.SHOP_DOMAIN)

    asyncio.run(daemon_call())
    assert shop.apps.grants == ["authorization_code"]  # the stored token, no new grant
    db.dispose()
