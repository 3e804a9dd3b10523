"""Back-to-back goods arriving: oldest orders first, notes on both sides, surplus to stock."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tandem.connector.errors import ConflictError, NotFound
from tandem.connector.services.plan import run_planner
from tandem.connector.services.receive import receive
from tandem.connector.services.stock import import_stock
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.views import show_po
from tests.store.helpers import T0, config, holdings, ingest, offers, order


def events_of(db: Database, order_ref: str) -> list[str]:
    with db.read() as conn:
        return list(
            conn.execute(
                select(t.events.c.message)
                .join(t.orders, t.orders.c.id == t.events.c.order_id)
                .where(t.orders.c.external_id == order_ref)
                .order_by(t.events.c.id)
            ).scalars()
        )


def test_goods_go_to_the_oldest_orders_first_and_surplus_to_stock(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "10", None, 1, 5))  # minimum 5 per line
    ingest(db, order(2, ("SPADE", 2), minutes=30), order(1, ("SPADE", 2), minutes=10))
    run_planner(db, cfg, T0)
    receipt = receive(db, "PO-00001", "SPADE", 3, T0)
    assert receipt.served == [("#1", 2), ("#2", 1)] and receipt.surplus == 0
    assert receipt.po_status == "partially_received"
    receipt = receive(db, "PO-00001", "ACME-SPADE", 2, T0)  # by supplier SKU
    assert receipt.served == [("#2", 1)] and receipt.surplus == 1
    assert receipt.po_status == "received"
    with db.read() as conn:
        po = show_po(conn, "PO-00001")
        on_hand = conn.execute(select(t.stock_levels.c.on_hand)).scalar()
    assert on_hand == 5  # every unit that arrived is in the warehouse
    assert "Received 2 × SPADE (by cli): #2 1; 1 to stock" in [e["message"] for e in po["events"]]
    assert "2 × SPADE received on PO-00001: ready to ship" in events_of(db, "1")


def test_surplus_serves_a_waiting_line_in_shortfall_mode(db: Database) -> None:
    cfg = config(rules={"default_mode": "stock", "quantity_basis": "shortfall"})
    offers(db, cfg, "acme", ("SPADE", "10", None, 6))  # packs of 6
    ingest(db, order(1, ("SPADE", 2)))
    run_planner(db, cfg, T0)
    ingest(db, order(2, ("SPADE", 3)))
    run_planner(db, cfg, T0)  # the 4 spare units on PO-00001 cover order 2
    assert holdings(db) == {"1-1": 2, "2-1": 3}
    with db.read() as conn:
        assert [ln["quantity"] for ln in show_po(conn, "PO-00001")["lines"]] == [1]
        assert conn.execute(select(t.purchase_orders.c.id)).all() == [(1,)]
    receipt = receive(db, "PO-00001", "SPADE", 1, T0)
    assert receipt.served == [("#1", 2), ("#2", 3)] and receipt.surplus == 1


def test_shortfall_links_warehouse_stock_before_ordering(db: Database, tmp_path: Path) -> None:
    cfg = config(rules={"default_mode": "stock", "quantity_basis": "shortfall"})
    offers(db, cfg, "acme", ("SPADE", "10"))
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,on_hand\nSPADE,2\nRAKE,x\n")
    result = import_stock(db, stock, T0)
    assert result.rows == 1
    assert result.problems == ["line 3: on_hand 'x' is not a whole number (SKU RAKE)"]
    ingest(db, order(1, ("SPADE", 3)), order(2, ("SPADE", 1)))
    run_planner(db, cfg, T0)
    with db.read() as conn:
        [po] = conn.execute(select(t.po_lines.c.quantity)).all()
    assert po == (2,)  # 2 from stock for order 1, then 1 + 1 ordered
    assert holdings(db) == {"1-1": 3, "2-1": 1}


def test_receiving_explains_what_is_wrong(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "10"))
    offers(db, cfg, "bloom", ("OLIVE", "30"))
    ingest(db, order(1, ("SPADE", 1), ("OLIVE", 1)))
    run_planner(db, cfg, T0)
    with pytest.raises(NotFound, match="no PO numbered PO-09999"):
        receive(db, "PO-09999", "SPADE", 1, T0)
    with pytest.raises(NotFound, match=r"PO-00001 has no line for SKU RAKE \(it has SPADE\)"):
        receive(db, "PO-00001", "RAKE", 1, T0)
    with pytest.raises(ConflictError, match="drop-ship PO"):
        receive(db, "PO-00002", "OLIVE", 1, T0)


def test_a_back_to_back_po_shipped_in_full_is_received_at_the_warehouse(db: Database) -> None:
    from tandem.connector.services.shipments import record_shipment

    cfg = config()
    offers(db, cfg, "acme", ("SPADE", 10, 100))
    ingest(db, order(1, ("SPADE", 2)))
    run_planner(db, cfg, T0)
    with db.read() as conn:
        number = conn.execute(select(t.purchase_orders.c.number)).scalar_one()
    assert record_shipment(db, cfg, number, ["TRK-9"], T0).complete
    receipt = receive(db, number, "SPADE", 2, T0, config=cfg)
    assert receipt.units == 2
    with db.read() as conn:
        assert conn.execute(select(t.purchase_orders.c.status)).scalar_one() == "received"
