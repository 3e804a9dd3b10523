"""Lines left to the global default for want of a catalogue are decided again when one lists
their SKU; a line already on a PO (or linked to stock) never changes mode for a default."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import select, text

from tandem.connector.catalogue import import_catalogue
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database, open_database
from tandem.connector.store import schema as t
from tandem.connector.store.migrate import alembic_config
from tandem.connector.store.views import list_exceptions
from tests.store.helpers import T0, config, ingest, offers, order

LATER = T0 + timedelta(hours=1)


def feed(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "feed.csv"
    path.write_text(
        "sku,supplier_sku,name,cost,stock\n" + "".join(f"{row}\n" for row in rows),
        encoding="utf-8",
    )
    return path


def lines(db: Database) -> dict[str, tuple[Any, ...]]:
    """External id -> (mode, mode source, fallback, status, needs planning)."""
    ol = t.order_lines
    with db.read() as conn:
        rows = conn.execute(
            select(
                ol.c.external_id,
                ol.c.mode,
                ol.c.mode_source,
                ol.c.mode_fallback,
                ol.c.status,
                ol.c.needs_planning,
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_a_stock_line_left_to_the_global_default_is_decided_again_by_a_catalogue(
    db: Database, tmp_path: Path
) -> None:
    cfg = config()  # global default: stock; bloom drop-ships by default
    stock = {"_fulfilment": "stock"}
    ingest(db, order(1, ("GNOME", 1), ("CANDLE", 2)), order(2, ("GNOME", 1, stock)))
    assert run_planner(db, cfg, T0).released == []
    assert lines(db) == {
        "1-1": ("stock", "global default", True, "stock", False),
        "1-2": ("stock", "global default", True, "stock", False),
        "2-1": ("stock", "line property _fulfilment=stock", False, "stock", False),
    }

    import_catalogue(db, cfg, "bloom", feed(tmp_path, "GNOME,BL-1,Gnome,12,5"), now=LATER)
    # Only the line the default decided, and only for the SKU the catalogue lists.
    assert {ref: row[-1] for ref, row in lines(db).items()} == {
        "1-1": True,
        "1-2": False,
        "2-1": False,
    }
    assert run_planner(db, cfg, LATER).released == ["PO-00001"]
    assert lines(db)["1-1"] == (
        "drop_ship",
        "default of supplier bloom",
        False,
        "allocated",
        False,
    )
    assert lines(db)["2-1"][:2] == ("stock", "line property _fulfilment=stock")
    with db.read() as conn:
        [po] = conn.execute(select(t.purchase_orders)).all()
        assert (po.supplier_id, po.mode) == ("bloom", "drop_ship")
        assert list_exceptions(conn) == []


def test_an_import_of_another_supplier_leaves_a_planned_line_alone(
    db: Database, tmp_path: Path
) -> None:
    cfg = config()
    ingest(db, order(1, ("GNOME", 1)))
    run_planner(db, cfg, T0)
    import_catalogue(db, cfg, "acme", feed(tmp_path, "RAKE,AC-1,Rake,4,"), now=LATER)
    assert lines(db)["1-1"][-1] is False
    assert run_planner(db, cfg, LATER).lines == 0


def test_a_line_on_a_po_keeps_its_mode_when_a_catalogue_changes_the_default(
    db: Database, tmp_path: Path
) -> None:
    # Bloom (drop-ship) comes before Acme (back-to-back) once it lists the SKU.
    cfg = config(
        suppliers=[
            {"id": "acme", "name": "Acme", "mode": "back_to_back", "priority": 2,
             "release": {"immediate": True}},
            {"id": "bloom", "name": "Bloom", "mode": "drop_ship", "priority": 1,
             "release": {"immediate": True}},
        ]
    )  # fmt: skip
    offers(db, cfg, "acme", ("RAKE", "4"))
    ingest(db, order(1, ("RAKE", 1)))
    assert run_planner(db, cfg, T0).released == ["PO-00001"]
    assert lines(db)["1-1"][:2] == ("back_to_back", "default of supplier acme")

    import_catalogue(db, cfg, "bloom", feed(tmp_path, "RAKE,BL-1,Rake,3,"), now=LATER)
    assert lines(db)["1-1"][-1] is False  # holds PO-00001: not marked
    # The customer asks for one more: the line is planned again, and stays back-to-back.
    ingest(db, order(1, ("RAKE", 2), version=1), now=LATER)
    ingest(db, order(2, ("RAKE", 1)), now=LATER)
    assert run_planner(db, cfg, LATER).released == ["PO-00002", "PO-00003"]
    mode, source, fallback, status, _ = lines(db)["1-1"]
    assert (mode, fallback, status) == ("back_to_back", False, "allocated")
    assert source == ("kept as on PO-00001 (default of supplier bloom would now say drop_ship)")
    assert lines(db)["2-1"][:2] == ("drop_ship", "default of supplier bloom")
    with db.read() as conn:
        pos = conn.execute(
            select(t.purchase_orders.c.number, t.purchase_orders.c.supplier_id)
            .where(t.purchase_orders.c.mode == "back_to_back")
            .order_by(t.purchase_orders.c.number)
        ).all()
        assert [tuple(p) for p in pos] == [("PO-00001", "acme"), ("PO-00002", "acme")]
        # Nothing changed behind the supplier's back: no "changed after send" to settle.
        assert list_exceptions(conn) == []


def test_a_line_holding_stock_is_not_decided_again(db: Database, tmp_path: Path) -> None:
    cfg = config()
    ingest(db, order(1, ("GNOME", 1)))
    run_planner(db, cfg, T0)
    with db.write() as conn:
        line_id = conn.execute(select(t.order_lines.c.id)).scalar_one()
        # Warehouse stock held for the line, as a person linking it by hand would leave it.
        conn.execute(
            t.allocations.insert().values(
                order_line_id=line_id, po_line_id=None, quantity=1, received=0, created_at=T0
            )
        )
    import_catalogue(db, cfg, "bloom", feed(tmp_path, "GNOME,BL-1,Gnome,12,5"), now=LATER)
    assert lines(db)["1-1"][-1] is False


def test_the_migration_marks_lines_already_left_to_the_global_default(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'old.db'}", migrate=False)
    config = alembic_config()
    with db.write() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0007")
        # Rows as a 0007 database holds them, written before mode_fallback existed.
        conn.execute(
            text(
                "INSERT INTO orders (id, shop, external_id, name, created_at, updated_at, tags,"
                " customer, content_hash, ingested_at)"
                " VALUES (1, 'shop', '1', '#1', :t, :t, '[]', '{}', 'x', :t)"
            ),
            {"t": T0.isoformat()},
        )
        for n, source in enumerate(["global default", "default of supplier acme"], start=1):
            conn.execute(
                text(
                    "INSERT INTO order_lines (order_id, external_id, position, sku, title,"
                    " quantity, properties, product_tags, removed, mode, mode_source, needed,"
                    " status, needs_planning) VALUES (1, :ref, :n, 'GNOME', 'Gnome', 1, '{}',"
                    " '[]', false, 'stock', :source, 0, 'stock', false)"
                ),
                {"ref": f"1-{n}", "n": n, "source": source},
            )
    db.upgrade()
    assert {ref: row[2] for ref, row in lines(db).items()} == {"1-1": True, "1-2": False}
    db.dispose()
