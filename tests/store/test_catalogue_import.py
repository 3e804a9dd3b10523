"""Importing catalogues into a real database: good rows in, bad rows named, the previous
catalogue kept until the new one is committed, waiting lines woken, offers found again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, select
from typer.testing import CliRunner

from tandem.connector.catalogue import changes, import_catalogue, search_offers
from tandem.connector.cli.app import app
from tandem.connector.errors import InputError, NotFound
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.views import list_exceptions
from tests.store.helpers import T0, config, ingest, offers, order

HEADER = "sku,supplier_sku,name,cost,stock\n"


def feed(tmp_path: Path, *rows: str, name: str = "feed.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def stored(db: Database, supplier: str = "acme") -> dict[str, tuple[Any, ...]]:
    """Supplier SKU -> (store SKU, name, cost, stock) of the supplier's offers."""
    o = t.offers
    with db.read() as conn:
        rows = conn.execute(
            select(o.c.supplier_sku, o.c.sku, o.c.name, o.c.cost, o.c.stock).where(
                o.c.supplier_id == supplier
            )
        ).all()
    return {r.supplier_sku: (r.sku, r.name, r.cost, r.stock) for r in rows}


def imports(db: Database) -> list[Any]:
    ci = t.catalogue_imports
    with db.read() as conn:
        return list(conn.execute(select(ci).order_by(ci.c.id)).all())


def switched_at(db: Database, supplier: str = "acme") -> Any:
    with db.read() as conn:
        return conn.execute(
            select(t.suppliers.c.catalogue_switched_at).where(t.suppliers.c.id == supplier)
        ).scalar()


def test_good_rows_are_imported_and_bad_ones_reported(db: Database, tmp_path: Path) -> None:
    path = feed(
        tmp_path,
        "00123,AC-1,Garden spade,19.99,5",
        "00124,AC-2,Rake,,3",
        "00125,AC-3,Hoe,1.5,",
        "00126,AC-1,Spade again,20,1",
    )
    report = import_catalogue(db, config(), "acme", path, now=T0)
    assert (report.rows_total, report.rows_imported, report.rows_rejected) == (4, 2, 2)
    assert [str(p) for p in report.problems] == [
        "line 3: cost is empty",
        'line 5: supplier SKU "AC-1" already on line 2',
    ]
    assert not report.kept_previous and not report.skipped
    assert stored(db) == {
        "AC-1": ("00123", "Garden spade", Decimal("19.99"), 5),
        "AC-3": ("00125", "Hoe", Decimal("1.5"), None),
    }
    [record] = imports(db)
    assert (record.rows_total, record.rows_imported, record.rows_rejected) == (4, 2, 2)
    assert record.problems == [str(p) for p in report.problems]
    assert record.source == str(path) and len(record.sha256) == 64
    assert switched_at(db) == T0


def test_text_survives_the_bulk_insert_exactly(db: Database, tmp_path: Path) -> None:
    """Commas, quotes, line breaks, backslashes and non-ASCII text pass through the driver's
    bulk path (COPY on PostgreSQL) unchanged."""
    names = {
        "Q1": 'Spade, "heavy"',
        "Q2": "Two\nlines",
        "Q3": "C:\\tools\\N",
        "Q4": "\\.",
        "Q5": "Crème brûlée 5€ 🌱",
        "Q6": "tab\tinside",
    }
    path = tmp_path / "feed.csv"
    lines = [HEADER]
    for supplier_sku, name in names.items():
        quoted = '"' + name.replace('"', '""') + '"'
        lines.append(f"0{supplier_sku},{supplier_sku},{quoted},0.000001,\n")
    path.write_text("".join(lines), encoding="utf-8")
    report = import_catalogue(db, config(), "acme", path, now=T0)
    assert report.problems == []
    assert {k: v[1] for k, v in stored(db).items()} == names
    assert {v[2] for v in stored(db).values()} == {Decimal("0.000001")}


def test_a_new_import_replaces_the_catalogue(db: Database, tmp_path: Path) -> None:
    cfg = config()
    offers(db, cfg, "bloom", ("OLIVE", "34"))
    import_catalogue(db, cfg, "acme", feed(tmp_path, "1,A,Spade,10,1", "2,B,Rake,5,2"), now=T0)
    later = T0 + timedelta(hours=1)
    report = import_catalogue(
        db, cfg, "acme", feed(tmp_path, "1,A,Spade,11.50,0", "3,C,Hoe,2,"), now=later
    )
    assert report.rows_imported == 2
    assert stored(db) == {
        "A": ("1", "Spade", Decimal("11.5"), 0),
        "C": ("3", "Hoe", Decimal("2"), None),
    }
    assert list(stored(db, "bloom")) == ["BLOOM-OLIVE"]  # another supplier's offers stay
    assert len(imports(db)) == 2 and switched_at(db) == later


@pytest.mark.parametrize(
    "rows", [("1,A,Spade,,1", "2,B,Rake,free,1"), ()], ids=["all-bad", "header-only"]
)
def test_a_file_without_a_good_row_keeps_the_previous_catalogue(
    db: Database, tmp_path: Path, rows: tuple[str, ...]
) -> None:
    cfg = config()
    import_catalogue(db, cfg, "acme", feed(tmp_path, "1,A,Spade,10,1"), now=T0)
    before = stored(db)
    report = import_catalogue(
        db, cfg, "acme", feed(tmp_path, *rows, name="bad.csv"), now=T0 + timedelta(hours=1)
    )
    assert report.kept_previous and report.rows_imported == 0
    assert report.rows_rejected == len(rows)
    assert stored(db) == before == {"A": ("1", "Spade", Decimal("10"), 1)}
    assert len(imports(db)) == 1 and switched_at(db) == T0


def test_an_import_failing_part_way_leaves_the_previous_offers(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config()
    import_catalogue(db, cfg, "acme", feed(tmp_path, "1,A,Spade,10,1", "2,B,Rake,5,2"), now=T0)
    before = stored(db)
    real_insert = changes.insert_offers
    inside: list[int] = []

    def insert_then_fail(conn: Connection, supplier_id: str, rows: Any, progress: Any) -> None:
        real_insert(conn, supplier_id, rows.head(2), progress)
        # The old offers are deleted and two new ones written, in the open transaction.
        inside.append(
            conn.execute(
                select(func.count()).where(t.offers.c.supplier_id == supplier_id)
            ).scalar_one()
        )
        raise OSError("disk full")

    monkeypatch.setattr(changes, "insert_offers", insert_then_fail)
    new = feed(tmp_path, "7,X,Fork,1,1", "8,Y,Hoe,2,2", "9,Z,Shears,3,3", name="new.csv")
    with pytest.raises(OSError, match="disk full"):
        import_catalogue(db, cfg, "acme", new, now=T0 + timedelta(hours=1))
    assert inside == [2]
    assert stored(db) == before
    assert len(imports(db)) == 1 and switched_at(db) == T0


def test_skip_unchanged_skips_a_file_with_the_same_bytes(db: Database, tmp_path: Path) -> None:
    cfg = config()
    path = feed(tmp_path, "1,A,Spade,10,1")
    assert not import_catalogue(db, cfg, "acme", path, now=T0, skip_unchanged=True).skipped
    again = import_catalogue(db, cfg, "acme", path, now=T0, skip_unchanged=True)
    assert again.skipped and again.rows_imported == 0
    assert len(imports(db)) == 1
    # Without the flag the same file is imported again; other bytes are never skipped.
    assert import_catalogue(db, cfg, "acme", path, now=T0).rows_imported == 1
    feed(tmp_path, "1,A,Spade,12,1")
    changed = import_catalogue(db, cfg, "acme", path, now=T0, skip_unchanged=True)
    assert not changed.skipped and changed.rows_imported == 1
    assert stored(db)["A"][2] == Decimal("12")
    assert len(imports(db)) == 3


def needs_planning(db: Database) -> dict[str, bool]:
    ol = t.order_lines
    with db.read() as conn:
        rows = conn.execute(select(ol.c.external_id, ol.c.needs_planning)).all()
    return dict(rows)


def test_an_import_offering_a_waiting_sku_wakes_its_line(db: Database, tmp_path: Path) -> None:
    cfg = config()
    offers(db, cfg, "bloom", ("SPADE", "10", 0))  # listed, but none in stock
    offers(db, cfg, "acme", ("RAKE", "4"))
    drop = {"_fulfilment": "drop_ship"}
    b2b = {"_fulfilment": "back_to_back"}
    ingest(
        db, order(1, ("GNOME", 1, drop)), order(2, ("SPADE", 2, drop)), order(3, ("RAKE", 1, b2b))
    )
    assert run_planner(db, cfg, T0).released == ["PO-00001"]  # the rake
    with db.read() as conn:
        waiting = {(e["kind"], e["sku"]) for e in list_exceptions(conn)}
    assert waiting == {("unmapped_sku", "GNOME"), ("no_stock", "SPADE")}
    assert needs_planning(db) == {"1-1": False, "2-1": False, "3-1": False}

    report = import_catalogue(
        db, cfg, "bloom", feed(tmp_path, "GNOME,BL-1,Gnome,12,5", "SPADE,BL-2,Spade,10,9"), now=T0
    )
    assert report.rows_imported == 2
    assert needs_planning(db) == {"1-1": True, "2-1": True, "3-1": False}
    assert run_planner(db, cfg, T0).released == ["PO-00002", "PO-00003"]
    with db.read() as conn:
        assert list_exceptions(conn) == []
    assert needs_planning(db) == {"1-1": False, "2-1": False, "3-1": False}


def test_an_import_marks_lines_on_the_suppliers_drafts_for_planning(
    db: Database, tmp_path: Path
) -> None:
    cfg = config(
        suppliers=[
            {"id": "acme", "name": "Acme", "release": {"min_order_value": 1000}},
            {"id": "north", "name": "Northwind", "release": {"min_order_value": 1000}},
        ]
    )
    b2b = {"_fulfilment": "back_to_back"}
    import_catalogue(db, cfg, "acme", feed(tmp_path, "RAKE,AC-1,Rake,4,"), now=T0)
    import_catalogue(db, cfg, "north", feed(tmp_path, "HOE,NO-1,Hoe,4,"), now=T0)
    ingest(db, order(1, ("RAKE", 1, b2b)), order(2, ("HOE", 1, b2b)))
    assert run_planner(db, cfg, T0).released == []  # both wait on drafts
    assert needs_planning(db) == {"1-1": False, "2-1": False}
    import_catalogue(db, cfg, "acme", feed(tmp_path, "RAKE,AC-1,Rake,3.50,"), now=T0)
    assert needs_planning(db) == {"1-1": True, "2-1": False}


def test_search_ranks_exact_skus_first_and_filters_by_supplier(
    db: Database, tmp_path: Path
) -> None:
    cfg = config()
    import_catalogue(
        db,
        cfg,
        "acme",
        feed(
            tmp_path,
            "AAA-1,AC-9,Garden spade with ash handle,20,",
            "SPADE-XL,AC-2,Long handle,25,",
            "SPADE,AC-1,Border tool,19.99,4",
            "ZZZ,AC-3,Trowel,3,",
            "50PCT,AC-4,Gloves 50% off,2,",
        ),
        now=T0,
    )
    import_catalogue(db, cfg, "bloom", feed(tmp_path, "SPADE,BL-1,Spade by Bloom,18,"), now=T0)
    with db.read() as conn:

        def found(query: str, supplier: str | None = None) -> list[tuple[str, str]]:
            return [(o.supplier_id, o.sku) for o in search_offers(conn, query, supplier)]

        assert found("SPADE") == [
            ("acme", "SPADE"),
            ("bloom", "SPADE"),
            ("acme", "SPADE-XL"),
            ("acme", "AAA-1"),
        ]
        assert found("spade") == found("SPADE")  # the same on SQLite and PostgreSQL
        assert found("spa") == [
            ("acme", "SPADE"),
            ("bloom", "SPADE"),
            ("acme", "SPADE-XL"),
            ("acme", "AAA-1"),
        ]
        assert found("SPADE", "bloom") == [("bloom", "SPADE")]
        assert found("AC-2") == [("acme", "SPADE-XL")]  # supplier SKUs count as SKUs
        assert found("handle ash") == [("acme", "AAA-1")]  # every word, in any order
        assert found("50%") == [("acme", "50PCT")]  # % is a character, not a wildcard
        assert found("  ") == [] and found("nothing") == []
        [offer] = search_offers(conn, "AC-1")
    assert (offer.cost, offer.currency, offer.stock, offer.pack_size) == (
        Decimal("19.99"),
        "USD",
        4,
        1,
    )


def test_progress_reports_rows_written(db: Database, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = feed(tmp_path, "1,A,Spade,1,", "2,B,Rake,2,", "3,C,Hoe,3,")
    import_catalogue(db, config(), "acme", path, now=T0, progress=lambda *p: seen.append(p))
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)


def test_an_unknown_supplier_or_no_file_is_refused(db: Database, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"no supplier 'nope'.*acme, bloom, north"):
        import_catalogue(db, config(), "nope", feed(tmp_path, "1,A,Spade,1,"))
    with pytest.raises(InputError, match="no catalogue file given"):
        import_catalogue(db, config(), "acme")
    with pytest.raises(InputError, match="cannot read the file"):
        import_catalogue(db, config(), "acme", tmp_path / "missing.csv")


# --- The command line ------------------------------------------------------------------------


def cli_config(tmp_path: Path) -> Path:
    path = tmp_path / "tandem.yaml"
    path.write_text(
        f"database_url: sqlite:///{tmp_path / 'cli.db'}\n"
        "suppliers:\n"
        "  - id: acme\n"
        "    name: Acme\n"
        "    catalogue:\n"
        "      columns:\n"
        "        supplier_sku: Item\n"
        "        cost: Price\n"
    )
    return path


def run(*args: str) -> Any:
    # A wide terminal, so that Rich does not wrap long paths into the messages.
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})


def test_cli_import_lists_rejected_rows_and_exits_1(tmp_path: Path) -> None:
    cfg = cli_config(tmp_path)
    path = tmp_path / "acme.csv"
    path.write_text('Item,Price\nA,1.00\nB,"12,5"\n\nC,\n')
    result = run("catalogue", "import", "--config", str(cfg), "--supplier", "acme", str(path))
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f'{path}: line 3: Price "12,5" is not a number',
        f"{path}: line 5: Price is empty",
    ]
    assert "acme: 1 offer(s) imported" in result.stdout
    assert "(2 row(s) rejected)" in result.stdout


def test_cli_import_of_a_clean_file_exits_0_and_search_finds_it(tmp_path: Path) -> None:
    cfg = cli_config(tmp_path)
    path = tmp_path / "acme.csv"
    path.write_text("Item,Price\n00A,1.00\n00B,2.50\n")
    result = run("catalogue", "import", "-c", str(cfg), "-s", "acme", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert f"acme: 2 offer(s) imported from {path} (0 row(s) rejected)" in result.stdout
    found = run("catalogue", "search", "00B", "-c", str(cfg), "--json")
    assert found.exit_code == 0, found.output
    assert '"supplier_sku": "00B"' in found.stdout and '"cost": "2.5"' in found.stdout


def test_cli_import_of_an_unreadable_file_names_the_problem(tmp_path: Path) -> None:
    cfg = cli_config(tmp_path)
    path = tmp_path / "acme.csv"
    path.write_text("sku,Cost\n1,2\n")
    result = run("catalogue", "import", "-c", str(cfg), "-s", "acme", str(path))
    assert result.exit_code == 1
    assert "no column 'Item' or 'Price'" in result.stderr
    assert "'sku', 'Cost'" in result.stderr
