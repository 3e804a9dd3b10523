"""A shop connected by client credentials keeps working across its token's expiry: the
stand-in's tokens last two seconds, and `tandem sync`, run again after each expiry, polls,
plans and writes back without one refused call."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tandem.adapters.shopify.scopes import needed_scopes
from tests.integration.shopify_support import config_data, pos, tandem, write_config
from tests.standin import ShopifyStandin

CLIENT_ID = "tandem-own-app"
SECRET = "shpss_expiry_secret"


def test_polling_and_write_backs_carry_on_across_token_expiries(
    shop: ShopifyStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.apps.add(CLIENT_ID, SECRET, scopes=sorted(needed_scopes()), token_seconds=2)
    monkeypatch.setenv("SHOPIFY_CLIENT_SECRET", SECRET)
    data = config_data(shop, tmp_path)
    del data["store"]["access_token"]
    data["store"].update(client_id=CLIENT_ID, client_secret="${SHOPIFY_CLIENT_SECRET}")
    config = str(write_config(tmp_path / "tandem.yaml", data))

    b2b = shop.add_order([("SPADE", 2)])
    drop = shop.add_order([("ROSE", 1)], tags=["dropship"])
    assert "orders: 2 new" in tandem("sync", "--config", config)
    numbers = {p["supplier"]: p["number"] for p in pos(Path(config))}
    assert numbers["acme"] in shop.order_tags(b2b)
    assert numbers["bloom"] in shop.order_tags(drop)
    first_grants = len(shop.apps.grants)

    time.sleep(2.3)  # the token Tandem holds has expired
    later = shop.add_order([("FORK", 1)])
    assert "orders: 1 new" in tandem("sync", "--config", config)
    assert "tandem:released" in shop.order_tags(later)

    tandem("po", "ship", numbers["bloom"], "--config", config, "--tracking", "1Z42")
    time.sleep(2.3)  # and again before the fulfillment is written
    tandem("sync", "--config", config)
    assert "1Z42" in json.dumps(shop.fulfillments(drop))

    assert len(shop.apps.grants) >= first_grants + 2  # a new token after each expiry
    assert set(shop.apps.grants) == {"client_credentials"}
    refused = [r for r in shop.requests if not r.accepted]
    assert refused == []  # not one call met an expired token
