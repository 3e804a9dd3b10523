"""Stopping `tandem run` while it works: SIGTERM arrives while a PO email is half-way through
SMTP and while a catalogue read hangs (a FIFO stands in for a catalogue on a network share
that stopped answering). The email in flight is finished, no PO is left leased to the stopped
worker (dispatch claims one at a time; anything claimed and not started is handed back), the
hung job is not waited for past `daemon.shutdown_grace`, and the next worker sends the rest at
once, each PO exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.integration.daemon_support import free_port, start, wait_for
from tests.suppliers.email.support import Recorder, smtp_server

GRACE = 6.0
MARGIN = 4.0  # closing the web server and the process
ORDERS = 5


class SlowSupplier(Recorder):
    """A mail server that takes `delay` seconds to accept each message."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.receiving = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.receiving += 1
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def write_config(folder: Path, smtp_port: int) -> Path:
    orders = [
        {
            "id": n,
            "name": f"#{n}",
            "created_at": "2026-11-20T09:00:00Z",
            "financial_status": "paid",
            "tags": "dropship",
            "shipping_address": {"name": f"Customer {n}", "address1": f"{n} Mill Lane"},
            "line_items": [{"id": n * 10, "sku": "ROSE", "quantity": 1}],
        }
        for n in range(1, ORDERS + 1)
    ]
    (folder / "orders.json").write_text(json.dumps(orders))
    (folder / "bloom.csv").write_text("sku,supplier_sku,name,cost,stock\nROSE,BL-1,Rose,4,99\n")
    os.mkfifo(folder / "hung.csv")  # reading it blocks until someone writes: nobody will
    email = {"type": "email", "to": "orders@bloom.example", "attach_pdf": False}
    data: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'tandem.db'}",
        "store": {"platform": "file", "orders_file": "orders.json"},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "po@shop.example"},
        "suppliers": [
            {
                "id": "bloom",
                "name": "Bloom",
                "mode": "drop_ship",
                "release": {"immediate": True},
                "catalogue": {"path": "bloom.csv"},
                "transport": email,
            },
            {"id": "hung", "name": "Hung", "catalogue": {"path": "hung.csv"}, "transport": email},
        ],
        "daemon": {
            "intervals": {"poll_orders": "1s", "plan": "1s", "dispatch": "1s"},
            "shutdown_grace": f"{GRACE:g}s",
        },
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def outbox(folder: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(folder / "tandem.db") as conn:
        return conn.execute(
            "SELECT status, lease_owner FROM outbox WHERE kind = 'po.send' ORDER BY id"
        ).fetchall()


def log_events(log: Path) -> list[dict[str, Any]]:
    lines = (line for line in log.read_text().splitlines() if line.startswith("{"))
    return [json.loads(line) for line in lines]


def test_sigterm_finishes_the_send_hands_back_the_rest_and_does_not_wait_for_a_hung_job(
    tmp_path: Path,
) -> None:
    supplier = SlowSupplier(delay=3)
    with smtp_server(supplier) as smtp_port:
        config = write_config(tmp_path, smtp_port)
        first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
        first = start(config, free_port(), first_log)
        try:
            wait_for(lambda: supplier.receiving >= 1, 30, "the first PO email", first_log)
            asked = time.monotonic()
            first.send_signal(signal.SIGTERM)
            code = first.wait(timeout=GRACE + 30)
            took = time.monotonic() - asked
        finally:
            first.kill()
        assert code == 0, first_log.read_text()[-3000:]
        assert took < GRACE + MARGIN, f"took {took:.1f} s to stop"
        assert len(supplier.messages()) == 1  # the email under way was finished
        assert outbox(tmp_path) == [("done", None)] + [("pending", None)] * (ORDERS - 1)
        said = {event["event"]: event for event in log_events(first_log)}
        assert said["still running at the end of the grace period; not waited for"]["jobs"] == [
            "catalogues"
        ]

        supplier.delay = 0
        second = start(config, free_port(), second_log)  # another worker, as after a restart
        try:
            wait_for(lambda: len(supplier.messages()) == ORDERS, 30, "the other POs", second_log)
        finally:
            second.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            second.send_signal(signal.SIGTERM)  # a second signal: no waiting for the grace
            assert second.wait(timeout=MARGIN + 10) == 0
    sent = Counter(str(message["X-Tandem-PO"]) for message in supplier.messages())
    assert sorted(sent.values()) == [1] * ORDERS
    assert outbox(tmp_path) == [("done", None)] * ORDERS
    with sqlite3.connect(tmp_path / "tandem.db") as conn:
        assert conn.execute("SELECT kind FROM exceptions WHERE status = 'open'").fetchall() == []
