"""A catalogue line with more fields than the header is one bad row, not a bad file: it is
reported by file and line number like any other rejected row, and every good row around it is
imported (issue 9's known defects)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tandem.connector.catalogue import import_catalogue
from tandem.connector.catalogue.readers import read_table
from tandem.connector.cli.app import app
from tandem.connector.configuration.model import CatalogueConfig
from tandem.connector.store import Database
from tests.store.helpers import T0, config
from tests.store.test_catalogue_import import stored

HEADER = "sku,supplier_sku,name,cost,stock\n"


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})


def cli_config(tmp_path: Path) -> Path:
    path = tmp_path / "tandem.yaml"
    path.write_text(
        f"database_url: sqlite:///{tmp_path / 'cli.db'}\nsuppliers:\n  - id: acme\n    name: Acme\n"
    )
    return path


def test_cli_reports_a_line_with_too_many_fields_and_imports_the_rest(tmp_path: Path) -> None:
    cfg = cli_config(tmp_path)
    path = tmp_path / "acme.csv"
    path.write_text(
        HEADER
        + "1,A,Spade,19.99,5\n"
        + "2,B,Rake, large,4.50,3\n"  # an unquoted comma in the name: one field too many
        + '3,C,"Hoe, long",7,2\n'
        + "4,D,Fork,9,1\n"
    )
    result = run("catalogue", "import", "--config", str(cfg), "--supplier", "acme", str(path))
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"{path}: line 3: 6 fields where the header has 5 (is a ',' inside a value not quoted?)"
    ]
    assert "acme: 3 offer(s) imported" in result.stdout
    assert "(1 row(s) rejected)" in result.stdout
    found = run("catalogue", "search", "Hoe", "-c", str(cfg), "--json")
    assert '"supplier_sku": "C"' in found.stdout


def test_line_numbers_count_blank_lines_and_values_spanning_lines(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(
        "\n"
        + HEADER  # line 2
        + '1,A,"Spade\nwith a long handle",19.99,5\n'  # lines 3-4
        + "2,B,Rake,4.50,3,extra\n"  # line 5: rejected
        + "\n"  # line 6
        + "3,C,Hoe,7,2,,\n"  # line 7: the extra fields are empty, nothing is lost
        + '4,D,Fork,9,1,"x\ny"\n'  # lines 8-9: rejected
        + "5,E,Trowel,x,1\n"  # line 10: a bad cost, as before
    )
    report = import_catalogue(db, config(), "acme", path, now=T0)
    assert [str(p) for p in report.problems] == [
        "line 5: 6 fields where the header has 5 (is a ',' inside a value not quoted?)",
        "line 8: 6 fields where the header has 5 (is a ',' inside a value not quoted?)",
        'line 10: cost "x" is not a number',
    ]
    assert sorted(stored(db)) == ["A", "C"]
    assert (report.rows_total, report.rows_imported, report.rows_rejected) == (5, 2, 3)


def test_a_tab_separated_file_names_its_own_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "feed.tsv"
    path.write_text("supplier_sku\tcost\nA\t1\nB\t2\t3\n")
    table = read_table(path, CatalogueConfig())
    assert [str(p) for p in table.rejected] == [
        "line 3: 3 fields where the header has 2 (is a '\\t' inside a value not quoted?)"
    ]
    assert table.frame["supplier_sku"].to_list() == ["A"]
