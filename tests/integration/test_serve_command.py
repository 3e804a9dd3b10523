"""`tandem serve` as a user starts it: it answers on its port (by default the one in
`daemon.port`), a port already in use is a one-line error as with `tandem run`, and what goes
wrong after a webhook (a write-back Shopify refuses) is printed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import yaml

from tests.integration import shopify_support
from tests.integration.daemon_support import TANDEM, free_port, healthy, wait_for
from tests.integration.shopify_support import SECRET, config_data, tandem
from tests.standin import ShopifyStandin


def write_config(folder: Path) -> Path:
    data = {
        "database_url": f"sqlite:///{folder / 'tandem.db'}",
        "store": {
            "platform": "shopify",
            "shop_url": "https://garden-demo.myshopify.com",
            "access_token": "shpat_not_used",
            "webhook_secret": "webhook secret",
        },
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def serve(config: Path, port: int) -> list[str]:
    return [str(TANDEM), "serve", "--config", str(config), "--port", str(port)]


def test_serve_answers_on_the_port_it_was_given(tmp_path: Path) -> None:
    config, port, out = write_config(tmp_path), free_port(), tmp_path / "serve.out"
    with out.open("wb") as sink:
        process = subprocess.Popen(
            serve(config, port), stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        wait_for(lambda: healthy(port), 30, f"tandem serve on port {port} to answer", out)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert "Traceback" not in out.read_text()


def test_a_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            serve(config, port),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"error: port {port} on 127.0.0.1 is already in use; stop what uses it or choose"
        " another with --port"
    )


def test_serve_listens_where_configured_and_prints_a_write_back_shopify_refused(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path
) -> None:
    port = free_port()
    data = config_data(shop, tmp_path)
    data["daemon"] = {"host": "127.0.0.1", "port": port}
    shopify_support.write_config(config_file, data)
    tandem("sync", "--config", str(config_file))  # the catalogues come in
    order = shop.add_order([("SPADE", 2)], name="#1001")
    archived = {"field": ["id"], "message": "Order is archived"}
    shop.answer_next(
        "TagsAdd", 200, {"data": {"tagsAdd": {"node": None, "userErrors": [archived]}}}
    )

    out = tmp_path / "serve.out"
    with out.open("wb") as sink:
        process = subprocess.Popen(
            [str(TANDEM), "serve", "--config", str(config_file)],  # no --host, no --port
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        wait_for(lambda: healthy(port), 30, f"tandem serve on daemon.port {port}", out)
        url = f"http://127.0.0.1:{port}/webhooks/shopify"
        payload = shop.order_payload(order)
        assert shop.deliver_webhook(url, "orders/create", payload, SECRET).status_code == 200
        wait_for(lambda: "Order is archived" in out.read_text(), 30, "the refusal printed", out)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    printed = out.read_text()
    assert "write-back" in printed
    assert "Shopify refused tagsAdd for order #1001: id: Order is archived" in printed
    assert "Traceback" not in printed
