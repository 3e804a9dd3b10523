"""/metrics as Prometheus scrapes it: the outbox and exception gauges are read from the
database at each scrape, so they are right before any job has run and follow changes made
by other processes (here: a PO resent from the command line)."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from tandem.connector.configuration import TandemConfig
from tandem.connector.services import po_actions
from tandem.connector.store import Database
from tandem.connector.web import create_app
from tests.web.support import dashboard_config, seed


def scrape(client: TestClient) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if not sample.labels
    }


def test_the_gauges_come_from_the_database_at_each_scrape(db: Database) -> None:
    cfg: TandemConfig = dashboard_config()
    now = seed(db, cfg)  # two planning exceptions and PO-00003's failed send are open
    with TestClient(create_app(cfg, db)) as client:
        first = scrape(client)
        assert first["tandem_exceptions_open"] == 3
        assert first["tandem_outbox_waiting"] == 0
        assert first["tandem_outbox_oldest_age_seconds"] == 0

        po_actions.resend(db, "PO-00003", now + timedelta(minutes=1), who="cli")
        second = scrape(client)
    assert second["tandem_exceptions_open"] == 2  # resending closed the send failure
    assert second["tandem_outbox_waiting"] == 1
    assert second["tandem_outbox_oldest_age_seconds"] > 0  # enqueued when PO-00003 was released
