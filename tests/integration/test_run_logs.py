"""The JSON log of a real `tandem run`: a supplier's API refuses a drop-ship PO and, as APIs
do, quotes the customer's name, address and email back. The log says which PO, supplier and
job the refusal is about, and nowhere holds the customer's data unmasked."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.integration.daemon_support import free_port, start, stop, wait_for

CUSTOMER = {
    "name": "Ada Lovelace",
    "address1": "12 Mill Lane",
    "city": "Leeds",
    "zip": "LS1 4AB",
    "country_code": "GB",
    "phone": "+44 113 496 0000",
    "email": "ada.lovelace@example.com",
}


class RefusingSupplier:
    """A supplier order API on loopback that refuses every order, quoting its recipient."""

    def __init__(self) -> None:
        self.refused: list[dict[str, Any]] = []
        app = Starlette(routes=[Route("/orders", self.create, methods=["POST"])])
        sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )

    async def create(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.refused.append(body)
        to = body["recipient"]
        words = (
            f"cannot deliver to {to['name']}, {to['address1']}, {to['city']} {to['zip']}:"
            f" address not found. We wrote to {to['email']} and called {to['phone']}."
        )
        return JSONResponse({"error": {"message": words}}, status_code=422)

    def __enter__(self) -> RefusingSupplier:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@pytest.fixture
def supplier() -> Iterator[RefusingSupplier]:
    with RefusingSupplier() as running:
        yield running


def write_config(folder: Path, supplier_url: str) -> Path:
    order = {
        "id": 1,
        "name": "#1001",
        "created_at": "2026-11-20T09:00:00Z",
        "financial_status": "paid",
        "email": CUSTOMER["email"],
        "customer": {"id": 7, "email": CUSTOMER["email"], "name": "Ada Lovelace"},
        "shipping_address": CUSTOMER,
        "line_items": [{"id": 10, "sku": "MUG", "quantity": 1}],
    }
    (folder / "orders.json").write_text(json.dumps([order]))
    (folder / "print.csv").write_text("sku,supplier_sku,name,cost,stock\nMUG,PP-19,Mug,6,50\n")
    fields = ("name", "address1", "city", "zip", "email", "phone")
    recipient = {key: f"{{{{ ship_to.{key} }}}}" for key in fields}
    data: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'tandem.db'}",
        "store": {"platform": "file", "orders_file": "orders.json"},
        "suppliers": [
            {
                "id": "print",
                "name": "Print Partner",
                "mode": "drop_ship",
                "release": {"immediate": True},
                "catalogue": {"path": "print.csv"},
                "transport": {
                    "type": "rest",
                    "base_url": supplier_url,
                    "create": {
                        "path": "/orders",
                        "body": {"external_id": "{{ po.number }}", "recipient": recipient},
                    },
                },
            }
        ],
        "daemon": {"intervals": {"poll_orders": "1s", "plan": "1s", "dispatch": "1s"}},
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_refusal_quoting_the_customer_is_logged_with_ids_and_masked(
    supplier: RefusingSupplier, tmp_path: Path
) -> None:
    config = write_config(tmp_path, supplier.url)
    log = tmp_path / "tandem.log"
    process = start(config, free_port(), log)
    try:
        wait_for(lambda: '"po not sent"' in log.read_text(), 30, "the refusal in the log", log)
    finally:
        assert stop(process) == 0
    [sent] = supplier.refused
    assert sent["recipient"]["address1"] == "12 Mill Lane"  # the supplier did get the address

    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    assert all({"timestamp", "level", "logger", "event"} <= line.keys() for line in lines)
    [refusal] = [line for line in lines if line["event"] == "po not sent"]
    assert refusal["level"] == "error"
    assert (refusal["job"], refusal["po"], refusal["supplier"]) == ("dispatch", "PO-00001", "print")
    assert "422" in refusal["error"] and "address not found" in refusal["error"]
    assert "A** L*******, 1* M*** L***, L**** L** 4**" in refusal["error"]
    assert "a**.********@*******.*** and called +** *** *** ****" in refusal["error"]
    for secret in ("Lovelace", "Mill Lane", "LS1 4AB", "ada.lovelace", "496 0000"):
        assert secret not in text, secret
