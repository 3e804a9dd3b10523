"""What the dashboard tells a retailer about goods on their way (issue 9's known defects): how
many orders each PO serves, an order line that reads shipped once its units left the supplier
with tracking and received once they arrived, and costs written as the supplier was sent them.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.services.dispatch import dispatch
from tandem.connector.services.plan import run_planner
from tandem.connector.services.receive import receive
from tandem.connector.services.shipments import ShippedLine, record_shipment
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.helpers import ingest, offers, order
from tests.web.support import B2B, DROP, FakeSupplier, seed


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def order_page(client: TestClient, db: Database, name: str) -> str:
    with db.read() as conn:
        found = conn.execute(select(t.orders.c.id).where(t.orders.c.name == name)).scalar_one()
    return words(client.get(f"/orders/{found}").text)


def po_rows(client: TestClient) -> dict[str, list[str]]:
    """PO number -> the cells of its row on /pos."""
    page = client.get("/pos").text
    rows: dict[str, list[str]] = {}
    for row in re.findall(r"<tr>\s*<td><a href=\"/pos/.*?</tr>", page, re.S):
        cells = [words(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows[cells[0]] = cells
    return rows


def send_all(db: Database, cfg: TandemConfig, now: datetime) -> None:
    supplier = FakeSupplier(set())
    asyncio.run(dispatch(db, cfg, worker="test", channels=lambda _s, _c: supplier, now=lambda: now))


@pytest.fixture
def two_orders_one_po(cfg: TandemConfig, db: Database) -> datetime:
    """#2001 and #2002 both wait for hoses from Acme: one back-to-back PO serves both."""
    now = utcnow()
    offers(db, cfg, "acme", ("HOSE", "0.125", 100), now=now)
    ingest(db, order(2001, ("HOSE", 2, B2B)), order(2002, ("HOSE", 3, B2B)), now=now)
    run_planner(db, cfg, now)
    send_all(db, cfg, now)
    return now


def test_the_po_list_counts_the_orders_each_po_serves(
    alice: TestClient, two_orders_one_po: datetime
) -> None:
    [(number, cells)] = po_rows(alice).items()
    headers = ["PO", "Supplier", "Mode", "Status", "Rev", "Opened", "Released", "Lines"]
    orders = cells[len(headers)]
    assert (number, cells[-3], orders) == ("PO-00001", "1", "2")


def test_the_po_list_counts_one_order_for_a_po_serving_one(
    alice: TestClient, seeded_shop: datetime
) -> None:
    rows = po_rows(alice)
    assert {number: cells[-2] for number, cells in rows.items()} == {
        "PO-00001": "1",
        "PO-00002": "1",
        "PO-00003": "1",
    }


@pytest.fixture
def seeded_shop(cfg: TandemConfig, db: Database) -> datetime:
    return seed(db, cfg)


def test_a_drop_ship_line_reads_shipped_once_its_po_shipped_with_tracking(
    alice: TestClient, db: Database, seeded_shop: datetime
) -> None:
    # PO-00002 (Bloom, drop-ship for #1002) shipped with tracking TRK-42.
    page = order_page(alice, db, "#1002")
    assert "ROSE ROSE 1 drop_ship shipped bloom PO-00002 shipped 1 TRK-42 UPS" in page
    # #1005's PO never reached Bloom: its line is still only allocated.
    assert "ROSE ROSE 2 drop_ship allocated bloom PO-00003" in order_page(alice, db, "#1005")


def test_a_back_to_back_line_reads_shipped_once_all_its_units_left_the_supplier(
    alice: TestClient, cfg: TandemConfig, db: Database, seeded_shop: datetime
) -> None:
    later = seeded_shop + timedelta(hours=1)
    assert "HOSE HOSE 2 back_to_back allocated acme" in order_page(alice, db, "#1001")
    # Half the units left the supplier: the line still waits for the rest.
    record_shipment(db, cfg, "PO-00001", ["1Z-A"], later, lines=[ShippedLine("HOSE", 1)])
    assert "HOSE HOSE 2 back_to_back allocated acme" in order_page(alice, db, "#1001")
    record_shipment(db, cfg, "PO-00001", ["1Z-B"], later)
    assert "HOSE HOSE 2 back_to_back shipped acme PO-00001 shipped 2 1Z-A 1Z-B" in order_page(
        alice, db, "#1001"
    )


def test_a_back_to_back_line_reads_received_once_all_its_units_arrived(
    alice: TestClient, cfg: TandemConfig, db: Database, seeded_shop: datetime
) -> None:
    later = seeded_shop + timedelta(hours=1)
    record_shipment(db, cfg, "PO-00001", ["1Z-A"], later, lines=[ShippedLine("HOSE", 1)])
    receive(db, "PO-00001", "HOSE", 1, later, config=cfg)
    assert "HOSE HOSE 2 back_to_back allocated acme" in order_page(alice, db, "#1001")
    receive(db, "PO-00001", "HOSE", 1, later, config=cfg)
    page = order_page(alice, db, "#1001")
    assert "HOSE HOSE 2 back_to_back received acme PO-00001 received 2 (2 received)" in page


def test_the_orders_list_reads_the_same_status_as_the_order_page(
    alice: TestClient, seeded_shop: datetime
) -> None:
    listed = words(alice.get("/orders").text)
    assert "ROSE ROSE 1 drop_ship shipped bloom PO-00002 shipped" in listed


def test_a_cost_of_an_eighth_reads_as_the_supplier_was_sent_it(
    alice: TestClient, two_orders_one_po: datetime
) -> None:
    po = words(alice.get("/pos/PO-00001").text)
    assert "0.125" in po and "0.12 " not in po and "0.13" not in po
    assert "Total 0.625 USD" in po  # 5 hoses at 0.125
    [(_, cells)] = po_rows(alice).items()
    assert cells[-1] == "0.625 USD"


def test_the_dashboard_writes_a_total_as_the_suppliers_documents_do(
    alice: TestClient, cfg: TandemConfig, db: Database
) -> None:
    now = utcnow()
    offers(db, cfg, "bloom", ("ROSE", "1234.5", 10), now=now)
    ingest(db, order(3001, ("ROSE", 1, DROP)), now=now)
    run_planner(db, cfg, now)
    [(_, cells)] = po_rows(alice).items()
    assert cells[-1] == "1234.50 USD"
