"""Re-importing a catalogue writes only what changed, however many batches the stored offers
are read back in; a feed that did not change writes nothing and wakes no line; a bulk import
leaves the offers table as it was built (its store SKU index included)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from tandem.connector.catalogue import changes, import_catalogue, search_offers
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.helpers import T0, config, ingest, offers, order
from tests.store.test_catalogue_import import feed, stored


def test_a_changed_feed_read_back_in_batches_writes_only_its_differences(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(changes, "BATCH", 3)  # ten stored offers: four batches read back
    cfg = config()
    offers(db, cfg, "bloom", ("OLIVE", "34"))
    rows = [f"S{i},A-{i:02d},Item {i},{i}.25,{i}" for i in range(10)]
    rows[4] = 'S4,A-04,"Spade, ""heavy""\nlong",4.25,'
    import_catalogue(db, cfg, "acme", feed(tmp_path, *rows), now=T0)
    before = stored(db)
    rows[2] = "S2,A-02,Item 2,2.30,2"  # cost
    rows[4] = 'S4,A-04,"Spade, ""heavy""\nlong",4.25,7'  # stock was empty
    rows[7] = "S7-NEW,A-07,Item 7,7.25,7"  # another store SKU
    del rows[9]  # A-09 removed
    rows.append("S10,A-10,Item 10,10,10")  # added
    report = import_catalogue(db, cfg, "acme", feed(tmp_path, *rows, name="new.csv"), now=T0)
    assert (report.changes.added, report.changes.changed, report.changes.removed) == (1, 3, 1)
    assert report.changes.skus == {"S2", "S4", "S7", "S7-NEW", "S9", "S10"}
    after = before | {
        "A-02": ("S2", "Item 2", Decimal("2.3"), 2),
        "A-04": ("S4", 'Spade, "heavy"\nlong', Decimal("4.25"), 7),
        "A-07": ("S7-NEW", "Item 7", Decimal("7.25"), 7),
        "A-10": ("S10", "Item 10", Decimal("10"), 10),
    }
    del after["A-09"]
    assert stored(db) == after
    assert list(stored(db, "bloom")) == ["BLOOM-OLIVE"]


def test_an_unchanged_feed_writes_nothing_and_wakes_no_line(db: Database, tmp_path: Path) -> None:
    cfg = config(suppliers=[{"id": "acme", "name": "Acme", "release": {"min_order_value": 1000}}])
    path = feed(tmp_path, "RAKE,AC-1,Rake,4,", "HOE,AC-2,Hoe,3,2")
    import_catalogue(db, cfg, "acme", path, now=T0)
    ingest(db, order(1, ("RAKE", 1, {"_fulfilment": "back_to_back"})))
    assert run_planner(db, cfg, T0).released == []  # the line waits on a draft
    again = import_catalogue(db, cfg, "acme", path, now=T0)
    assert again.changes.written == 0 and again.rows_imported == 2 and not again.skipped
    with db.read() as conn:
        waiting = conn.execute(select(t.order_lines.c.needs_planning)).scalars().all()
        assert waiting == [False]
        assert len(conn.execute(select(t.catalogue_imports.c.id)).all()) == 2


def test_a_bulk_import_keeps_the_store_sku_index_and_finds_offers_by_it(
    db: Database, tmp_path: Path
) -> None:
    rows = [f"SKU-{i % 7},B-{i:04d},Item {i},1,1" for i in range(200, 0, -1)]
    cfg = config()
    import_catalogue(db, cfg, "acme", feed(tmp_path, *rows), now=T0)
    rows.reverse()  # every offer changed (a new name): deleted and inserted again
    rows = [row.replace("Item", "Thing") for row in rows]
    import_catalogue(db, cfg, "acme", feed(tmp_path, *rows, name="all-new.csv"), now=T0)
    with db.read() as conn:
        indexes = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("offers")}
        assert indexes.get("ix_offers_sku") == ["sku"]
        found = search_offers(conn, "SKU-3", "acme", 100)
    assert len(found) == len([r for r in rows if r.startswith("SKU-3,")])
    assert {o.name.split()[0] for o in found} == {"Thing"}
