"""The store section of a shop reached as an app: which way Tandem gets its token, and one
line naming what an incomplete section lacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tandem.adapters.shopify.auth import auth_mode, store_problems, webhook_secrets
from tandem.connector.configuration.loader import load_config
from tandem.connector.errors import ConfigError
from tests.conftest import make_config

SHOP = "https://my-shop.myshopify.com"


def store(**keys: Any) -> Any:
    return make_config({"store": {"platform": "shopify", "shop_url": SHOP, **keys}}).store


def test_the_way_to_the_token_follows_from_the_keys_set() -> None:
    assert auth_mode(store(access_token="shpat_x")) == "token"
    assert auth_mode(store(client_id="abc", client_secret="shpss_x")) == "client_credentials"
    assert auth_mode(store(access_token="shpat_x", client_id="abc", client_secret="s")) == "token"
    oauth = store(auth="oauth", client_id="abc", client_secret="shpss_x")
    assert auth_mode(oauth) == "oauth" and store_problems(oauth) == []


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ({"client_id": "abc"}, "platform shopify with auth client_credentials needs client_secret"),
        ({"client_secret": "s"}, "platform shopify with auth client_credentials needs client_id"),
        ({"auth": "oauth"}, "platform shopify with auth oauth needs client_id and client_secret"),
        ({}, "platform shopify needs access_token (or client_id and client_secret)"),
    ],
)
def test_an_incomplete_section_is_one_line_naming_what_it_lacks(
    tmp_path: Path, keys: dict[str, str], problem: str
) -> None:
    path = tmp_path / "tandem.yaml"
    lines = [f"  {key}: {value}" for key, value in keys.items()]
    path.write_text("\n".join(["store:", "  platform: shopify", f"  shop_url: {SHOP}", *lines]))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.lines() == [f"{path}:1: store: {problem}"]


def test_an_apps_webhooks_are_checked_with_its_client_secret() -> None:
    app = store(client_id="abc", client_secret="shpss_x")
    assert [s.get_secret_value() for s in webhook_secrets(app)] == ["shpss_x"]
    own = store(client_id="abc", client_secret="shpss_x", webhook_secret="whsec")
    assert [s.get_secret_value() for s in webhook_secrets(own)] == ["whsec"]
