"""Loud failures: whatever `tandem run` depends on and cannot use is reported three ways at
once (an exception in the queue, /healthz answering 503 with the reason, the gauge
`tandem_check_failing`), and all three clear by themselves when it works again."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from starlette.testclient import TestClient

from tandem.connector.configuration import TandemConfig
from tandem.connector.daemon.jobs import Jobs
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.web import create_app
from tests.conftest import make_config
from tests.standin import ShopifyStandin
from tests.suppliers.email.support import free_port

ORDER = {
    "id": 9001,
    "name": "#1042",
    "created_at": "2026-12-01T09:00:00+00:00",
    "financial_status": "paid",
    "currency": "GBP",
    "customer": {"id": 1, "email": "ada@example.com", "first_name": "Ada", "last_name": "L"},
    "shipping_address": {
        "first_name": "Ada",
        "last_name": "L",
        "address1": "1 Lane",
        "city": "Bath",
        "zip": "BA1 1AA",
        "country_code": "GB",
    },
    "line_items": [{"id": 90011, "sku": "SPADE", "title": "Spade", "quantity": 2, "price": "9"}],
}


def file_shop(tmp_path: Path, **supplier: Any) -> TandemConfig:
    (tmp_path / "acme.csv").write_text("sku,supplier_sku,name,cost,stock\nSPADE,A-1,Spade,5,50\n")
    (tmp_path / "orders.json").write_text(json.dumps({"orders": [ORDER]}))
    return make_config(
        {
            "currency": "GBP",
            "store": {"platform": "file", "orders_file": "orders.json"},
            "smtp": {"host": "127.0.0.1", "port": free_port(), "from": "po@shop.example"},
            "rules": {"default_mode": "back_to_back"},
            "warehouse": {"name": "Shop", "address": {"address1": "1 Road", "country_code": "GB"}},
            "suppliers": [
                {
                    "id": "acme",
                    "name": "Acme",
                    "mode": "back_to_back",
                    "release": {"immediate": True},
                    "transport": {"type": "email", "to": "orders@acme.example"},
                    "catalogue": {"path": "acme.csv"},
                    **supplier,
                }
            ],
        },
        base_dir=tmp_path,
    )


def run(jobs: Jobs, *names: str) -> None:
    for name in names:
        asyncio.run(jobs.guarded(name, getattr(jobs, name)))


def seen(db: Database, jobs: Jobs) -> tuple[int, dict[str, Any], dict[str, float]]:
    """The three views of what fails: open dependency exceptions, /healthz, the gauge."""
    app = create_app(jobs.config, db, health=lambda: jobs.health_report(["catalogues"]))
    with TestClient(app) as client:
        health = client.get("/healthz")
        gauges = {
            sample.labels["check"]: sample.value
            for family in text_string_to_metric_families(client.get("/metrics").text)
            for sample in family.samples
            if sample.name == "tandem_check_failing"
        }
    return health.status_code, health.json(), gauges


def open_dependency_exceptions(db: Database) -> list[str]:
    e = t.exceptions
    with db.read() as conn:
        return list(
            conn.execute(
                select(e.c.message).where(e.c.status == "open", e.c.kind == "dependency_failed")
            ).scalars()
        )


def reasons(health: dict[str, Any]) -> dict[str, str]:
    return {f["check"]: f["reason"] for f in health.get("failing", [])}


def test_a_missing_catalogue_file_fails_loudly_and_clears_when_it_is_back(
    db: Database, tmp_path: Path
) -> None:
    config = file_shop(tmp_path)
    (tmp_path / "acme.csv").rename(tmp_path / "acme.csv.away")
    jobs = Jobs(db, config)
    run(jobs, "catalogues")

    status, health, gauges = seen(db, jobs)
    assert status == 503
    assert "acme.csv" in reasons(health)["catalogue:acme"]
    assert gauges["catalogue:acme"] == 1
    [message] = open_dependency_exceptions(db)
    assert message.startswith("catalogue of acme:") and "acme.csv" in message

    run(jobs, "catalogues")  # still missing: still one exception, not two
    assert len(open_dependency_exceptions(db)) == 1

    (tmp_path / "acme.csv.away").rename(tmp_path / "acme.csv")
    run(jobs, "catalogues")
    status, health, gauges = seen(db, jobs)
    assert status == 200 and health["failing"] == []
    assert gauges["catalogue:acme"] == 0
    assert open_dependency_exceptions(db) == []


def test_a_feed_older_than_its_limit_fails_loudly(db: Database, tmp_path: Path) -> None:
    config = file_shop(tmp_path, catalogue={"path": "acme.csv", "max_age": "2d"})
    three_days_ago = time.time() - 3 * 86400
    os.utime(tmp_path / "acme.csv", (three_days_ago, three_days_ago))
    jobs = Jobs(db, config)
    run(jobs, "catalogues")

    status, health, gauges = seen(db, jobs)
    assert status == 503
    reason = reasons(health)["catalogue:acme:age"]
    assert "longer ago than its limit of 48h" in reason
    assert gauges["catalogue:acme:age"] == 1
    assert open_dependency_exceptions(db) == [reason]

    (tmp_path / "acme.csv").touch()  # the supplier drops a fresh file
    run(jobs, "catalogues")
    assert seen(db, jobs)[0] == 200
    assert open_dependency_exceptions(db) == []


def test_an_unreadable_orders_file_fails_loudly(db: Database, tmp_path: Path) -> None:
    config = file_shop(tmp_path)
    (tmp_path / "orders.json").write_text('{"orders": [')
    jobs = Jobs(db, config)
    run(jobs, "poll_orders")

    status, health, gauges = seen(db, jobs)
    assert status == 503
    assert "not valid JSON" in reasons(health)["orders_file"]
    assert "orders.json" in reasons(health)["orders_file"]
    assert gauges["orders_file"] == 1
    [message] = open_dependency_exceptions(db)
    assert "orders.json" in message


def test_an_smtp_server_that_refuses_fails_loudly(db: Database, tmp_path: Path) -> None:
    config = file_shop(tmp_path)  # nothing listens on the SMTP port
    jobs = Jobs(db, config)
    run(jobs, "catalogues", "poll_orders", "plan", "dispatch")

    status, health, gauges = seen(db, jobs)
    assert status == 503
    reason = reasons(health)["channel:acme"]
    assert reason.startswith("sending to acme fails:")
    assert gauges["channel:acme"] == 1
    assert reason in open_dependency_exceptions(db)


def test_a_revoked_store_token_fails_loudly(
    db: Database, tmp_path: Path, shopify_standin: ShopifyStandin
) -> None:
    config = make_config(
        {
            "store": {
                "platform": "shopify",
                "shop_url": shopify_standin.url,
                "access_token": "shpat_revoked",
                "webhook_secret": "s",
                "first_poll_lookback": "1d",  # so the first poll asks the shop at all
            },
        },
        base_dir=tmp_path,
    )
    jobs = Jobs(db, config)
    run(jobs, "poll_orders")

    status, health, gauges = seen(db, jobs)
    assert status == 503
    reason = reasons(health)["job:poll_orders"]
    assert "refused the access token" in reason
    assert "shpat_revoked" not in json.dumps(health)
    assert gauges["job:poll_orders"] == 1
    assert open_dependency_exceptions(db) == [reason]  # lasting: no waiting for a repeat
