"""A shop on the WooCommerce stand-in and the Tandem configuration that serves it: Acme (back
to back: SPADE) and Bloom (drop-ship: ROSE), released at once and emailed to a real SMTP
server, supplier stock pushed to the products. Shared by the tests in tests/woocommerce/."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from tandem.adapters.suppliers import make_channel
from tandem.connector.cli import app
from tandem.connector.configuration import TandemConfig
from tandem.connector.store import Database
from tandem.connector.sync import SyncReport, store_pass
from tests.standins.woocommerce import WooCommerceStandin

SECRET = "wc-webhook-secret"
OLD_SECRET = "wc-webhook-secret-before"


def config_data(shop: WooCommerceStandin, folder: Path, smtp_port: int) -> dict[str, Any]:
    (folder / "acme.csv").write_text("sku,supplier_sku,name,cost,stock\nSPADE,AC-1,Spade,10,40\n")
    (folder / "bloom.csv").write_text("sku,supplier_sku,name,cost,stock\nROSE,BL-7,Rose,4.5,9\n")
    return {
        "database_url": f"sqlite:///{folder / 'tandem.db'}",
        "currency": "GBP",
        "store": {
            "platform": "woocommerce",
            "shop_url": shop.url,
            "consumer_key": shop.consumer_key,
            "consumer_secret": shop.consumer_secret,
            "webhook_secret": SECRET,
            "previous_webhook_secret": OLD_SECRET,
            "first_poll_lookback": "1d",
            "complete_when_shipped": True,
            "tracking_meta": "shipment_tracking",
            "stock_push": {"enabled": True, "buffer": 2, "continue_selling_back_to_back": True},
        },
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "Purchasing <po@garden.example>"},
        "warehouse": {
            "name": "Garden Ltd",
            "address": {"address1": "Unit 4", "city": "Bristol", "zip": "BS1 6XN"},
        },
        "rules": {"default_mode": "back_to_back"},
        "suppliers": [
            {
                "id": "acme",
                "name": "Acme",
                "mode": "back_to_back",
                "release": {"immediate": True},
                "catalogue": {"path": "acme.csv"},
                "transport": {"type": "email", "to": "orders@acme.example"},
            },
            {
                "id": "bloom",
                "name": "Bloom",
                "mode": "drop_ship",
                "release": {"immediate": True},
                "catalogue": {"path": "bloom.csv"},
                "transport": {"type": "email", "to": "orders@bloom.example"},
            },
        ],
    }


def write_config(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def tandem(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def po_number(config: Path, supplier: str) -> str:
    pos = json.loads(tandem("po", "list", "--config", str(config), "--json"))
    return next(str(p["number"]) for p in pos if p["supplier"] == supplier)


def after_webhooks(db: Database, config: TandemConfig) -> SyncReport:
    """What `tandem serve` runs once a webhook is answered: read, plan, send, write back."""
    return asyncio.run(store_pass(db, config, channels=make_channel, poll=False, push_stock=False))
