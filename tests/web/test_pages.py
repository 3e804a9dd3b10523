"""The dashboard's pages show what the services did: orders and what serves each line, POs
with the exact message sent, exceptions with their reasons, suppliers' health."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tandem.connector.catalogue.importer import import_catalogue
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.services.ingest import ingest_orders
from tandem.connector.services.plan import run_planner
from tandem.connector.services.shipments import ShippedLine, record_shipment
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.web.dashboard import dashboard_routes
from tests.store.helpers import ingest, offers, order, shops_served
from tests.web.conftest import log_in
from tests.web.support import B2B, DROP, dashboard_config, held_send, seed


@pytest.fixture
def seeded(cfg: TandemConfig, db: Database) -> datetime:
    return seed(db, cfg)


def order_id(db: Database, name: str) -> int:
    with db.read() as conn:
        return int(conn.execute(select(t.orders.c.id).where(t.orders.c.name == name)).scalar_one())


def text_of(html: str) -> str:
    """The page's words, without tags, on one line."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_overview_counts(alice: TestClient, seeded: datetime) -> None:
    page = text_of(alice.get("/").text)
    # Waiting: #1001 (goods not received), #1003 and #1004 (short), #1005 (its PO not sent).
    assert "4 orders waiting of 5 orders" in page
    assert "0 draft POs" in page
    assert "1 released POs" in page  # PO-00003, its sending failed
    assert "1 sent POs" in page
    assert "3 open exceptions" in page
    assert "0 outbox items waiting nothing waiting; 1 given up" in page
    assert "unmapped_sku 1" in page and "no_stock 1" in page and "send_failed 1" in page


def test_overview_tells_sends_held_in_doubt_from_those_given_up(
    alice: TestClient, seeded: datetime, cfg: TandemConfig, db: Database
) -> None:
    held_send(db, cfg, seeded)
    page = text_of(alice.get("/").text)
    assert "0 outbox items waiting nothing waiting; 1 given up; 1 held in doubt" in page


def test_orders_list_shows_each_lines_supply(alice: TestClient, seeded: datetime) -> None:
    page = alice.get("/orders").text
    names = re.findall(r'<a href="/orders/\d+">(#\d+)</a>', page)
    assert names == ["#1005", "#1004", "#1003", "#1002", "#1001"]  # newest first
    words = text_of(page)
    assert "Tracking Carrier Shipped" in words
    assert "HOSE HOSE 2 back_to_back allocated acme PO-00001 sent 2 — — —" in words
    shipped = seeded.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M %Z")
    assert f"ROSE ROSE 1 drop_ship shipped bloom PO-00002 shipped 1 TRK-42 UPS {shipped}" in words
    assert "unmapped_sku : order #1003: SKU GNOME is in no catalogue" in words
    assert 'href="/pos/PO-00001"' in page
    assert "1 High Street" not in page  # addresses only on the order's own page


def test_a_line_shipped_in_two_parts_shows_each_shipment(
    alice: TestClient, seeded: datetime, cfg: TandemConfig, db: Database
) -> None:
    first, second = seeded + timedelta(hours=1), seeded + timedelta(days=1)
    record_shipment(
        db, cfg, "PO-00001", ["1Z-A"], first, carrier="UPS", lines=[ShippedLine("HOSE", 1)]
    )
    record_shipment(db, cfg, "PO-00001", ["JD-B", "JD-C"], second, carrier="DHL")
    page = alice.get(f"/orders/{order_id(db, '#1001')}").text
    row = re.search(r"<tr>\s*<td[^>]*>HOSE</td>.*?</tr>", page, re.S)
    assert row is not None
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", c).split())
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(), re.S)
    ]
    london = ZoneInfo("Europe/London")
    assert cells[-3:] == [
        "1Z-A JD-B, JD-C",
        "UPS DHL",
        " ".join(f"{when.astimezone(london):%Y-%m-%d %H:%M %Z}" for when in (first, second)),
    ]


def test_orders_search_and_pages(alice: TestClient, seeded: datetime) -> None:
    found = alice.get("/orders", params={"q": "1003"}).text
    assert re.findall(r'<a href="/orders/\d+">(#\d+)</a>', found) == ["#1003"]
    assert "1 order matching “1003”" in text_of(found)
    assert "No orders match" in alice.get("/orders", params={"q": "nope%_"}).text
    assert alice.get("/orders", params={"page": "x"}).status_code == 200


def test_order_page_has_address_lines_exceptions_and_timeline(
    alice: TestClient, seeded: datetime, db: Database
) -> None:
    page = alice.get(f"/orders/{order_id(db, '#1002')}").text
    words = text_of(page)
    assert "Customer 1002" in words and "1 High Street" in words and "London" in words
    assert "Planned:" in words
    assert "PO-00002 PO-00002 rev 1 sent to Bloom" in words  # the PO's events, linked
    assert "po.shipped PO-00002 PO-00002 shipped" in words
    gnome = alice.get(f"/orders/{order_id(db, '#1003')}").text
    assert "SKU GNOME is in no catalogue" in gnome
    assert re.search(r'action="/exceptions/\d+/retry"', gnome)
    assert alice.get("/orders/999").status_code == 404
    assert alice.get("/orders/abc").status_code == 404


def test_po_list_filters(alice: TestClient, seeded: datetime) -> None:
    def numbers(**params: str) -> list[str]:
        page = alice.get("/pos", params=params).text
        return re.findall(r'<a href="/pos/[^"]+">(PO-\d+|draft \d+)</a>', page)

    assert numbers() == ["PO-00003", "PO-00002", "PO-00001"]
    assert numbers(supplier="bloom") == ["PO-00003", "PO-00002"]
    assert numbers(status="sent") == ["PO-00001"]
    assert numbers(supplier="bloom", status="shipped") == ["PO-00002"]
    assert numbers(days="5") == ["PO-00001"]  # opened ten days ago
    assert numbers(days="30") == []
    assert numbers(days="soon") == ["PO-00003", "PO-00002", "PO-00001"]
    assert "20.00 USD" in text_of(alice.get("/pos", params={"supplier": "acme"}).text)


def test_po_page_shows_the_exact_message_sent_escaped(alice: TestClient, seeded: datetime) -> None:
    page = alice.get("/pos/PO-00001").text
    assert "<details><summary>The exact message sent (revision 1)</summary>" in page
    assert "<pre>Subject: Purchase order PO-00001 &lt;&amp;&gt;\n\nACME-HOSE x 2</pre>" in page
    words = text_of(page)
    assert "HOSE ACME-HOSE HOSE by acme 2 1 2 10.00 20.00 0 #1001 × 2" in words
    assert "Orders served #1001" in words
    assert "SUP-PO-00001" in words


def test_the_po_page_reads_the_timeline_and_the_orders_served_once(
    alice: TestClient, seeded: datetime, db: Database
) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = alice.get("/pos/PO-00001").text
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert "The exact message sent (revision 1)" in page
    assert f'<a href="/orders/{order_id(db, "#1001")}">#1001</a>' in page
    assert len([s for s in statements if "FROM events" in s]) == 1
    # The orders served come with the PO's lines, not from a query of their own.
    assert not [s for s in statements if "FROM orders JOIN order_lines" in s]


def test_po_page_shows_failures_and_drafts_by_id(
    alice: TestClient, seeded: datetime, cfg: TandemConfig, db: Database
) -> None:
    page = text_of(alice.get("/pos/PO-00003").text)
    assert "send_failed" in page and "550 mailbox unavailable" in page
    assert "Resend PO-00003" in page and "Cancel PO-00003" in page
    assert "1 High Street" not in page  # the customer's address stays on the order page
    assert alice.get("/pos/PO-09999").status_code == 404
    with db.read() as conn:
        first = conn.execute(select(t.purchase_orders.c.id).order_by(t.purchase_orders.c.id))
        po_id = first.scalars().first()
    assert alice.get(f"/pos/draft-{po_id}").status_code == 200


def test_exceptions_queue_and_resolved_toggle(
    alice: TestClient, seeded: datetime, db: Database
) -> None:
    page = alice.get("/exceptions").text
    words = text_of(page)
    assert "order #1003: SKU GNOME is in no catalogue" in words
    assert "no_stock" in words and "send_failed" in words
    kinds = dict(
        re.findall(r'id="exception-(\d+)">\s*<header>\s*<strong>#\d+ (\w+)</strong>', page)
    )
    actions = {
        kind: set(re.findall(rf'action="/exceptions/{number}/(\w+)"', page))
        for number, kind in kinds.items()
    }
    assert actions["unmapped_sku"] == {"retry", "supplier", "resolve"}
    assert actions["no_stock"] == {"retry", "supplier", "resolve"}
    assert actions["send_failed"] == {"resend", "cancel", "resolve"}
    assert '<option value="north">Northwind (north)</option>' in page
    with db.write() as conn:
        conn.execute(
            t.exceptions.update()
            .where(t.exceptions.c.kind == "no_stock")
            .values(status="resolved", resolved_by="bob", resolution="ordered by phone")
        )
    assert "no_stock" not in alice.get("/exceptions").text
    everything = text_of(alice.get("/exceptions", params={"show": "all"}).text)
    assert "by bob : ordered by phone" in everything


def test_suppliers_page(
    alice: TestClient, seeded: datetime, cfg: TandemConfig, db: Database, tmp_path: Path
) -> None:
    feed = tmp_path / "north.csv"
    feed.write_text(
        "sku,supplier_sku,name,cost,stock\nSPADE,N-1,Spade,8,5\nRAKE,N-2,Rake,oops,1\n",
        encoding="utf-8",
    )
    import_catalogue(db, cfg, "north", feed)
    page = text_of(alice.get("/suppliers").text)
    assert "Acme acme back_to_back (also drop_ship) manual 2 offers never 1 0 none" in page
    assert "Bloom bloom drop_ship manual 1 offers never 1 0" in page
    assert "1 given up in the outbox, 0 held in doubt, 1 open send exception" in page
    assert re.search(
        r"Northwind north back_to_back manual 1 offers \S+ \S+ \S+ \(\d+ s ago\) : 1 imported,"
        r" 1 rejected 0 0 none",
        page,
    )


def test_the_suppliers_page_counts_sends_held_in_doubt(
    alice: TestClient, seeded: datetime, cfg: TandemConfig, db: Database
) -> None:
    held_send(db, cfg, seeded)
    page = text_of(alice.get("/suppliers").text)
    # PO-00003 failed, PO-00004 is held: both wait for a person.
    assert (
        "Bloom bloom drop_ship manual 1 offers never 2 0 1 given up in the outbox,"
        " 1 held in doubt, 2 open send exceptions see" in page
    )


def test_times_show_in_the_configured_time_zone(alice: TestClient, seeded: datetime) -> None:
    page = alice.get("/pos/PO-00001").text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d (GMT|BST)", page)


def test_text_from_the_store_is_escaped(alice: TestClient, seeded: datetime, db: Database) -> None:
    with db.write() as conn:
        conn.execute(
            t.orders.update().where(t.orders.c.name == "#1003").values(name="<script>x</script>")
        )
    page = alice.get("/orders").text
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_po_numbers_with_slashes_and_long_lists_page(db: Database, client: TestClient) -> None:
    cfg = dashboard_config(po_number_prefix="PO/2026/")
    offers(db, cfg, "bloom", ("ROSE", "5", 1000))
    ingest(db, *(order(n, ("ROSE", 1, DROP)) for n in range(1, 56)))
    ingest(db, order(99, ("GNOME", 1, B2B)))
    run_planner(db, cfg, utcnow())
    log_in(client)
    first = client.get("/pos").text
    assert "56 POs" not in first and "55 POs, newest first." in text_of(first)
    assert 'href="/pos/PO/2026/00055"' in first
    assert "page 1 of 2" in first and 'href="?supplier=&amp;status=&amp;days=&amp;page=2"' in first
    second = client.get("/pos", params={"page": "2"}).text
    assert len(re.findall(r'<a href="/pos/PO/2026/\d+">', second)) == 5
    page = client.get("/pos/PO/2026/00001")
    assert page.status_code == 200 and "PO/2026/00001" in page.text
    orders = client.get("/orders", params={"page": "2"}).text
    assert "page 2 of 2" in orders
    assert len(re.findall(r'<section class="order">', orders)) == 6


def test_with_several_shops_orders_and_pos_filter_by_shop(db: Database) -> None:
    shops = [
        {"platform": "shopify", "shop_url": f"{name}.myshopify.com", "access_token": "x"}
        for name in ("north", "south")
    ]
    cfg = dashboard_config(stores=shops, rules={"default_mode": "back_to_back"})
    offers(db, cfg, "acme", ("SPADE", "10"))
    with db.write() as conn:
        ingest_orders(conn, "north.myshopify.com", [order(1001, ("SPADE", 1))], ["paid"], utcnow())
        ingest_orders(conn, "south.myshopify.com", [order(2001, ("SPADE", 2))], ["paid"], utcnow())
    assert run_planner(db, cfg, utcnow()).released == ["PO-00001", "PO-00002"]
    app = Starlette(routes=dashboard_routes(cfg, db))
    with TestClient(app, follow_redirects=False) as client:
        log_in(client)
        everything = text_of(client.get("/orders").text)
        assert "#1001" in everything and "#2001" in everything
        north = text_of(client.get("/orders", params={"shop": "north.myshopify.com"}).text)
        assert "#1001" in north and "#2001" not in north
        assert "north.myshopify.com ·" in north  # each order says its shop
        south_pos = text_of(client.get("/pos", params={"shop": "south.myshopify.com"}).text)
        assert "1 PO," in south_pos
        [number] = re.findall(r"PO-\d+", south_pos)
        assert shops_served(db)[number] == {"south.myshopify.com"}
        # A shop not configured filters nothing out (it is not one of the choices).
        assert "#2001" in text_of(client.get("/orders", params={"shop": "elsewhere"}).text)
