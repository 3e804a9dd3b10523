"""A shop on the Shopify stand-in and the Tandem configuration that serves it: Acme (back to
back: SPADE, FORK) and Bloom (drop-ship: ROSE), released at once, stock pushed to the shop's
"Suppliers" location. Shared by the tests/integration/test_shopify_*.py modules."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from typer.testing import CliRunner

from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.worker import WorkReport, perform_store_writes
from tandem.connector.cli import app
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig, load_config
from tandem.connector.store import Database, open_database
from tests.standin import ShopifyStandin

SECRET = "whsec-tandem"


@pytest.fixture
def shop(shopify_standin: ShopifyStandin) -> ShopifyStandin:
    suppliers = shopify_standin.add_location("Suppliers")
    for sku in ("SPADE", "ROSE", "FORK"):
        shopify_standin.add_variant(sku, inventory_quantity=0, location_id=suppliers)
    return shopify_standin


def config_data(shop: ShopifyStandin, tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "acme.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nSPADE,AC-1,Spade,10.00,40\nFORK,AC-2,Fork,9.00,12\n"
    )
    (tmp_path / "bloom.csv").write_text("sku,supplier_sku,name,cost,stock\nROSE,BL-7,Rose,4.50,9\n")
    return {
        "database_url": f"sqlite:///{tmp_path / 'tandem.db'}",
        "currency": "USD",
        "store": {
            "platform": "shopify",
            "shop_url": shop.url,
            "access_token": "${SHOPIFY_TOKEN}",
            "webhook_secret": SECRET,
            # The tests place orders, then run Tandem for the first time: its first poll must
            # reach back to them (the default, none, would start at that moment).
            "first_poll_lookback": "1d",
            "stock_push": {
                "enabled": True,
                "location": "Suppliers",
                "buffer": 2,
                "continue_selling_back_to_back": True,
            },
        },
        "rules": {"default_mode": "back_to_back"},
        "suppliers": [
            {
                "id": "acme",
                "name": "Acme",
                "mode": "back_to_back",
                "release": {"immediate": True},
                "catalogue": {"path": "acme.csv"},
            },
            {
                "id": "bloom",
                "name": "Bloom",
                "mode": "drop_ship",
                "release": {"immediate": True},
                "catalogue": {"path": "bloom.csv"},
            },
        ],
    }


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def config_file(tmp_path: Path, shop: ShopifyStandin, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOPIFY_TOKEN", shop.token)
    monkeypatch.setenv("COLUMNS", "200")
    return write_config(tmp_path / "tandem.yaml", config_data(shop, tmp_path))


@pytest.fixture
def tandem_db(config_file: Path) -> Iterator[Database]:
    """The database the configuration names, as `tandem` opens it."""
    db = open_database(load_config(config_file).database_url)
    yield db
    db.dispose()


def tandem(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def pos(config: Path) -> list[dict[str, Any]]:
    return json.loads(tandem("po", "list", "--config", str(config), "--json"))  # type: ignore[no-any-return]


def po_number(config: Path, supplier: str) -> str:
    return next(str(p["number"]) for p in pos(config) if p["supplier"] == supplier)


def exceptions(config: Path) -> list[dict[str, Any]]:
    return json.loads(tandem("exceptions", "list", "--config", str(config), "--json"))  # type: ignore[no-any-return]


def mutations(shop: ShopifyStandin) -> list[str]:
    return [
        r.operation_name or ""
        for r in shop.accepted_requests
        if (r.query or "").lstrip().startswith("mutation")
    ]


def mutation_counts(shop: ShopifyStandin, *names: str) -> Counter[tuple[str, str]]:
    """(operation, order or owner id) -> how many times Shopify ran it."""
    counted: Counter[tuple[str, str]] = Counter()
    for r in shop.accepted_requests:
        if r.operation_name not in names:
            continue
        variables = r.variables
        subject = variables.get("id") or json.dumps(variables, sort_keys=True)
        counted[(r.operation_name, str(subject))] += 1
    return counted


def client_for(shop: ShopifyStandin, **options: Any) -> ShopifyClient:
    return ShopifyClient(shop.url, SecretStr(shop.token), **options)


def write_back_later(
    db: Database,
    config: TandemConfig,
    shop: ShopifyStandin,
    after: timedelta = timedelta(hours=2),
    **client_options: Any,
) -> WorkReport:
    """A later pass of the write-back worker: whatever waits in the outbox is due by then."""
    later: datetime = utcnow() + after

    async def run() -> WorkReport:
        async with client_for(shop, **client_options) as client:
            return await perform_store_writes(db, client, config, clock=lambda: later)

    return asyncio.run(run())
