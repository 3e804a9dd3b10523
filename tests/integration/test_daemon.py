"""`tandem run` as a subprocess against the Shopify stand-in and a real SMTP server: webhooks
bring orders in, POs go out by email, orders get tagged, and SIGTERM ends it cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.integration.daemon_support import free_port, start, stop, wait_for
from tests.standin import ShopifyStandin
from tests.suppliers.email.support import Recorder, smtp_server

SECRET = "whsec-daemon"


@pytest.fixture
def inbox() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


def daemon_config(folder: Path, shop: ShopifyStandin, smtp_port: int, port: int) -> Path:
    (folder / "acme.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nSPADE,AC-1,Spade,10.00,40\n"
    )
    data: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'tandem.db'}",
        "store": {
            "platform": "shopify",
            "shop_url": shop.url,
            "access_token": shop.token,
            "webhook_secret": SECRET,
        },
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "po@shop.example"},
        "rules": {"default_mode": "back_to_back"},
        "suppliers": [
            {
                "id": "acme",
                "name": "Acme",
                "release": {"immediate": True},
                "catalogue": {"path": "acme.csv"},
                "transport": {"type": "email", "to": "orders@acme.example", "attach_pdf": False},
            }
        ],
        "daemon": {
            "port": port,
            "intervals": {"poll_orders": "60s", "plan": "1s", "dispatch": "1s", "reconcile": "1h"},
        },
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_webhook_to_email_and_tags_then_a_clean_stop(
    shopify_standin: ShopifyStandin, inbox: tuple[Recorder, int], tmp_path: Path
) -> None:
    recorder, smtp_port = inbox
    shopify_standin.add_variant("SPADE")
    port = free_port()
    config = daemon_config(tmp_path, shopify_standin, smtp_port, port)
    log = tmp_path / "tandem.log"
    process = start(config, port, log)
    try:
        order = shopify_standin.add_order([("SPADE", 2)])
        answer = shopify_standin.deliver_webhook(
            f"http://127.0.0.1:{port}/webhooks/shopify",
            "orders/create",
            shopify_standin.order_payload(order),
            SECRET,
        )
        assert answer.status_code == 200
        wait_for(lambda: len(recorder.messages()) == 1, 30, "the PO email", log)
        [message] = recorder.messages()
        assert "PO-00001" in message["Subject"]
        wait_for(lambda: "PO-00001" in shopify_standin.order_tags(order), 30, "the order tag", log)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert "tandem_pos_sent_total" in metrics
    finally:
        code = stop(process)
    assert code == 0, log.read_text()[-3000:]
    assert '"stopped"' in log.read_text()
    assert len(recorder.messages()) == 1
