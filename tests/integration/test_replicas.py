"""`tandem run` replicas on one PostgreSQL: three share 1,000 orders and send every PO exactly
once; two polling one Shopify store take turns, never polling it at the same time."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from tests.conftest import POSTGRES_URL, _postgres
from tests.integration.daemon_support import free_port, start, stop, wait_for
from tests.standin import ShopifyStandin
from tests.suppliers.email.support import Recorder, smtp_server

ORDERS = 1000

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set TANDEM_TEST_POSTGRES_URL to run the replicas on PostgreSQL"
)


def orders_file(path: Path) -> None:
    orders = [
        {
            "id": n,
            "name": f"#{n}",
            "created_at": "2026-11-20T09:00:00Z",
            "financial_status": "paid",
            "tags": "dropship",
            "shipping_address": {
                "name": f"Customer {n}",
                "address1": f"{n} High St",
                "city": "Leeds",
                "country_code": "GB",
            },
            "line_items": [{"id": n * 10, "sku": "ROSE", "quantity": 1}],
        }
        for n in range(1, ORDERS + 1)
    ]
    path.write_text(json.dumps(orders))


def test_three_replicas_send_every_po_once(tmp_path: Path) -> None:
    from tandem.connector.store import schema as t

    db = _postgres()  # an empty, migrated database
    orders_file(tmp_path / "orders.json")
    (tmp_path / "bloom.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nROSE,BL-1,Rose,4.00,100000\n"
    )
    recorder = Recorder()
    with smtp_server(recorder) as smtp_port:
        config = {
            "database_url": POSTGRES_URL,
            "store": {"platform": "file", "orders_file": "orders.json"},
            "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "po@shop.example"},
            "suppliers": [
                {
                    "id": "bloom",
                    "name": "Bloom",
                    "mode": "drop_ship",
                    "release": {"immediate": True},
                    "catalogue": {"path": "bloom.csv"},
                    "transport": {
                        "type": "email",
                        "to": "orders@bloom.example",
                        "attach_pdf": False,
                    },
                }
            ],
            "daemon": {"intervals": {"poll_orders": "2s", "plan": "1s", "dispatch": "1s"}},
        }
        path = tmp_path / "tandem.yaml"
        path.write_text(yaml.safe_dump(config))
        replicas = []
        try:
            for n in range(3):
                port = free_port()
                replicas.append(start(path, port, tmp_path / f"replica-{n}.log"))
            wait_for(lambda: len(recorder.envelopes) >= ORDERS, 240, f"{ORDERS} PO emails")
        finally:
            codes = [stop(process) for process in replicas]
    assert codes == [0, 0, 0]
    numbers = Counter(str(m["X-Tandem-PO"]) for m in recorder.messages())
    assert len(numbers) == ORDERS
    assert set(numbers.values()) == {1}
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.purchase_orders)).scalar() == ORDERS
        statuses = set(conn.execute(select(t.purchase_orders.c.status)).scalars())
    assert statuses == {"sent"}
    sent_by = [(tmp_path / f"replica-{n}.log").read_text().count('"po sent"') for n in range(3)]
    assert sum(sent_by) == ORDERS  # each PO sent by exactly one replica ...
    assert sum(1 for count in sent_by if count) >= 2  # ... and the replicas shared the work


def polls(log: Path) -> list[tuple[datetime, datetime]]:
    """When this replica held the shop's poll lock: from "polling orders" to "polling over"."""
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    marks = [line for line in lines if line["event"] in ("polling orders", "polling over")]
    assert [m["event"] for m in marks] == ["polling orders", "polling over"] * (len(marks) // 2)
    times = [datetime.fromisoformat(m["timestamp"]) for m in marks]
    return list(zip(times[::2], times[1::2], strict=True))


def test_two_replicas_never_poll_one_shop_at_once(
    shopify_standin: ShopifyStandin, tmp_path: Path
) -> None:
    _postgres()  # an empty, migrated database
    for n in range(20):
        shopify_standin.add_order([(f"SKU-{n}", 1)])
    # A slow store: every answer takes 0.4 s, so a poll outlasts the poll interval.
    shopify_standin.delay_next(0.4, times=10_000)
    config = {
        "database_url": POSTGRES_URL,
        "store": {
            "platform": "shopify",
            "shop_url": shopify_standin.url,
            "access_token": shopify_standin.token,
        },
        "daemon": {"intervals": {"poll_orders": "1s", "plan": "1h", "reconcile": "1h"}},
    }
    path = tmp_path / "tandem.yaml"
    path.write_text(yaml.safe_dump(config))
    logs = [tmp_path / f"replica-{n}.log" for n in range(2)]
    replicas = []
    try:
        for log in logs:
            replicas.append(start(path, free_port(), log, "--log-level", "DEBUG"))
        time.sleep(10)
    finally:
        codes = [stop(process) for process in replicas]
    assert codes == [0, 0]

    first, second = (polls(log) for log in logs)
    assert len(first) + len(second) >= 3, "too few polls to tell"
    for a_start, a_end in first:
        for b_start, b_end in second:
            assert a_end <= b_start or b_end <= a_start, (a_start, a_end, b_start, b_end)
    skipped = sum(log.read_text().count('"another replica polls this shop"') for log in logs)
    assert skipped >= 1  # they did meet at the lock
