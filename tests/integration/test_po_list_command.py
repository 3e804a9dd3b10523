"""`tandem po list` and `tandem po show` as a retailer reads them (issue 9's known defects):
how many orders each PO serves, an unknown `--supplier` named with the ones configured, and
costs written exactly as the supplier was sent them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from tandem.connector.cli import app
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig, load_config
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database, open_database
from tests.store.helpers import ingest, offers, order

B2B = {"_fulfilment": "back_to_back"}


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")
    data: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'tandem.db'}",
        "currency": "USD",
        "rules": {"default_mode": "stock"},
        "warehouse": {"name": "Main warehouse", "address": {"city": "Bristol"}},
        "suppliers": [
            {"id": "acme", "name": "Acme", "mode": "back_to_back"},
            {"id": "bloom", "name": "Bloom", "mode": "drop_ship"},
        ],
    }
    path = tmp_path / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def config(config_file: Path) -> TandemConfig:
    return load_config(config_file)


@pytest.fixture
def db(config: TandemConfig) -> Iterator[Database]:
    database = open_database(config.database_url)
    yield database
    database.dispose()


@pytest.fixture
def three_orders_one_po(config: TandemConfig, db: Database) -> None:
    """#2001..#2003 wait for hoses (0.125 each) on one PO to Acme, PO-00001."""
    now = utcnow()
    offers(db, config, "acme", ("HOSE", "0.125", 100), now=now)
    ingest(
        db,
        order(2001, ("HOSE", 2, B2B)),
        order(2002, ("HOSE", 2, B2B)),
        order(2003, ("HOSE", 1, B2B)),
        now=now,
    )
    run_planner(db, config, now)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def table_row(output: str, first_cell: str) -> list[str]:
    """The cells of the table row that starts with `first_cell`."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{output}")


def test_po_list_shows_how_many_orders_each_po_serves(
    config_file: Path, three_orders_one_po: None
) -> None:
    result = run("po", "list", "--config", str(config_file))
    assert result.exit_code == 0, result.output
    cells = table_row(result.output, "PO-00001")
    assert cells[-1] == "3: #2001, #2002, #2003"


def test_po_list_writes_costs_as_the_supplier_reads_them(
    config_file: Path, three_orders_one_po: None
) -> None:
    result = run("po", "list", "--config", str(config_file))
    assert table_row(result.output, "PO-00001")[-2] == "0.625 USD"  # 5 hoses at 0.125
    shown = run("po", "show", "PO-00001", "--config", str(config_file))
    assert shown.exit_code == 0, shown.output
    assert table_row(shown.output, "HOSE")[5] == "0.125"
    assert "total 0.625 USD" in shown.output


def test_po_list_of_an_unknown_supplier_names_the_configured_ones(
    config_file: Path, three_orders_one_po: None
) -> None:
    result = run("po", "list", "--config", str(config_file), "--supplier", "nosuch")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "error: no supplier 'nosuch'; the configured suppliers are: acme, bloom"
    )
    assert "Traceback" not in result.output


def test_po_list_of_a_known_supplier_without_pos_is_an_empty_list(
    config_file: Path, three_orders_one_po: None
) -> None:
    result = run("po", "list", "--config", str(config_file), "--supplier", "bloom")
    assert result.exit_code == 0, result.output
    assert "0 purchase order(s)" in result.output
    listed = run("po", "list", "--config", str(config_file), "--supplier", "acme", "--json")
    assert listed.exit_code == 0, listed.output
    assert [p["number"] for p in json.loads(listed.output)] == ["PO-00001"]


def test_po_list_of_an_unknown_status_names_the_statuses(
    config_file: Path, three_orders_one_po: None
) -> None:
    result = run("po", "list", "--config", str(config_file), "--status", "snet")
    assert result.exit_code == 2  # a value the option does not take: usage, as Click says
    assert result.output.startswith("error: no PO status 'snet'; the statuses are: draft, released")
