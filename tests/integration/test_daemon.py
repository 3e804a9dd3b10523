"""`tandem run` as a subprocess against the Shopify stand-in and a real SMTP server: webhooks
bring orders in, POs go out by email, orders get tagged, /metrics and the JSON log say what
happened, and SIGTERM ends it cleanly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.daemon_support import free_port, start, stop, wait_for
from tests.standin import ShopifyStandin
from tests.suppliers.email.support import Recorder, smtp_server

SECRET = "whsec-daemon"


@pytest.fixture
def inbox() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


def metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics: (name, labels) -> value."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


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
    shopify_standin.add_variant("GNOME")  # in no catalogue: an exception
    # A small, slowly refilling bucket: reading the order and the write-backs must wait.
    shopify_standin.configure(bucket_size=60, restore_rate=5)
    port, configured_port = free_port(), free_port()
    config = daemon_config(tmp_path, shopify_standin, smtp_port, configured_port)
    log = tmp_path / "tandem.log"
    process = start(config, port, log)  # --port overrides daemon.port
    try:
        order = shopify_standin.add_order([("SPADE", 2), ("GNOME", 1)])
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
        shop = (("platform", "shopify"), ("shop", shopify_standin.url.split("://")[1]))
        waited = ("tandem_store_throttle_wait_seconds_total", shop)
        wait_for(lambda: metrics(port)[waited] > 0, 30, "a wait for Shopify's bucket", log)
        seen = metrics(port)
    finally:
        code = stop(process)
    assert code == 0, log.read_text()[-3000:]
    assert len(recorder.messages()) == 1

    assert seen[("tandem_pos_sent_total", (("supplier", "acme"),))] == 1
    assert ("tandem_pos_sent_total", (("supplier", "all"),)) not in seen
    # Stored once from the webhook; a poll may store it once more, changed by Tandem's tags.
    served = (("shop", shopify_standin.url.split("://")[1]),)
    assert seen[("tandem_orders_ingested_total", served)] in (1, 2)
    assert seen[("tandem_exceptions_open", ())] == 1  # GNOME
    assert seen[("tandem_job_runs_total", (("job", "poll_orders"), ("outcome", "ok")))] >= 1

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    said = {line["event"]: line for line in lines}
    assert said["tandem running"]["port"] == port
    assert said["webhook stored"]["topic"] == "orders/create"
    assert said["webhook stored"]["order"] == order
    assert said["webhook stored"]["webhook_id"]
    sent = said["po sent"]
    assert (sent["po"], sent["revision"], sent["supplier"], sent["job"]) == (
        "PO-00001",
        1,
        "acme",
        "dispatch",
    )
    assert said["stopped"]["level"] == "info"
