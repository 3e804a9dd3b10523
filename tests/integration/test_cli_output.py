"""What the commands print, for people and for scripts, on the bundled example: `--json` is one
document of the run's real figures, `-q` leaves only errors and the exit code, `-v` adds log
lines on stderr, and a table written to a pipe keeps every cell whole."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner, Result

from tandem.connector.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "config"
TANDEM = Path(sys.executable).parent / "tandem"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of config/ with its own database, as a user who copied the example has."""
    folder = tmp_path / "config"
    shutil.copytree(EXAMPLE, folder)
    monkeypatch.setenv("TANDEM_DATABASE_URL", f"sqlite:///{tmp_path / 'tandem.db'}")
    return folder / "tandem.yaml"


@pytest.fixture
def logging_kept() -> Iterator[None]:
    """-v and -q set logging up for the process; the tests after these find it as it was."""
    root = logging.getLogger()
    handlers, levels = root.handlers[:], {"": root.level}
    levels |= {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    config = structlog.get_config()
    yield
    root.handlers[:] = handlers
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)
    structlog.configure(**config)


def tandem(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def as_json(*args: str, code: int = 0) -> Any:
    result = tandem(*args, "--json", code=code)
    return json.loads(result.stdout)  # the whole of stdout: one document, nothing else


def test_sync_json_reports_what_the_run_did(example: Path) -> None:
    first = as_json("sync", "--config", str(example))
    assert first["ok"] is True and first["problems"] == [] and first["failures"] == []
    assert first["orders"] == {"created": 8, "updated": 0, "unchanged": 0, "stale": 0}
    assert {c["supplier"] for c in first["catalogues"]} == {"acme", "northwind", "greenline"}
    listed = as_json("po", "list", "--config", str(example))
    assert first["purchase_orders"] == listed
    sent = sorted(p["number"] for p in listed if p["status"] == "sent")
    assert sorted(first["plan"]["released"]) == sent
    assert sorted(line.split()[0] for line in first["dispatch"]["sent"]) == sent
    assert first["open_exceptions"] == len(as_json("exceptions", "list", "--config", str(example)))

    again = as_json("sync", "--config", str(example))
    assert again["orders"] == {"created": 0, "updated": 0, "unchanged": 8, "stale": 0}
    assert again["plan"]["lines"] == 0 and again["dispatch"]["sent"] == []
    assert again["catalogues"] == []  # unchanged files are not imported again


def test_plan_json_with_dry_run_changes_nothing_and_says_what_plan_does(example: Path) -> None:
    orders = str(example.parent / "example-orders.json")
    tandem("orders", "import", orders, "--config", str(example))
    tandem("catalogue", "import", "--supplier", "acme", "--config", str(example))
    would = as_json("plan", "--dry-run", "--config", str(example))
    assert would["dry_run"] is True and would["lines"] > 0 and would["allocated_units"] > 0
    assert as_json("po", "list", "--config", str(example)) == []
    did = as_json("plan", "--config", str(example))
    assert did["dry_run"] is False
    assert (did["lines"], did["allocated_units"]) == (would["lines"], would["allocated_units"])
    assert {p["supplier"] for p in as_json("po", "list", "--config", str(example))} == {"acme"}
    assert as_json("plan", "--dry-run", "--config", str(example))["lines"] == 0  # all planned


def test_config_check_json_describes_the_configuration(example: Path) -> None:
    checked = as_json("config", "check", "--config", str(example))
    assert checked["valid"] is True and checked["config"] == str(example)
    assert checked["shops"] == [{"name": "file", "platform": "file"}]
    assert checked["rules"]["quantity_basis"] == "shortfall"
    by_id = {s["id"]: s for s in checked["suppliers"]}
    assert list(by_id) == ["acme", "northwind", "greenline"]
    assert by_id["acme"]["modes"] == ["back_to_back", "drop_ship"]
    assert by_id["acme"]["release"] == "cron 0 14 * * 1-5, min 150, max wait 48h"
    assert by_id["greenline"]["catalogue"] == str(example.parent / "catalogues/greenline.json")
    assert by_id["northwind"]["release"] == "immediate"

    (example.parent / "catalogues" / "acme.csv").unlink()
    broken = tandem("config", "check", "--config", str(example), "--json", code=2)
    assert broken.stdout == ""
    assert "supplier acme: catalogue.path:" in broken.stderr


def test_supplier_test_json_gives_the_message_id_of_the_message_written(example: Path) -> None:
    sent = as_json("supplier", "test", "acme", "--config", str(example))
    assert (sent["supplier"], sent["transport"], sent["sent"]) == ("acme", "email", True)
    reference = sent["reference"]
    message = example.parents[1] / "var" / "mail" / f"{reference.strip('<>').split('@')[0]}.eml"
    assert reference in message.read_text()

    unknown = tandem("supplier", "test", "nosuch", "--config", str(example), "--json", code=1)
    assert unknown.stdout == ""
    assert unknown.stderr.startswith("error: no supplier 'nosuch' in the configuration")


def test_search_finds_offers_as_json_and_exits_1_on_no_match_either_way(example: Path) -> None:
    tandem("sync", "--config", str(example))
    found = as_json("catalogue", "search", "HOSE", "--config", str(example))
    assert {(o["supplier_id"], o["supplier_sku"]) for o in found} >= {
        ("acme", "AC-3300"),
        ("northwind", "NW-HS-30"),
    }
    assert as_json("catalogue", "search", "zzz", "--config", str(example), code=1) == []
    none = tandem("catalogue", "search", "zzz", "--config", str(example), code=1)
    assert none.stdout == "no offer matches 'zzz'\n"


def test_quiet_leaves_errors_and_the_exit_code(example: Path) -> None:
    assert tandem("-q", "sync", "--config", str(example)).output == ""
    stock = example.parent / "example-stock.csv"
    good = stock.read_text()
    for args, bad in ((("-q", "sync"), "lots"), (("sync", "-q"), "many")):
        stock.write_text(f"{good}0009-RAKE,{bad}\n")  # a changed file: read again
        failed = tandem(*args, "--config", str(example), code=1)
        assert failed.stdout == ""
        assert f"'{bad}' is not a whole number" in failed.stderr
        assert "sync finished with 1 rejected input(s)" in failed.stderr
    # JSON is what was asked for: it stays.
    assert as_json("-q", "po", "list", "--config", str(example))


def test_quiet_and_verbose_do_not_go_together(example: Path) -> None:
    both = tandem("-q", "sync", "-v", "--config", str(example), code=2)
    assert "-v/--verbose and -q/--quiet do not go together" in both.output


def test_verbose_logs_on_stderr_and_leaves_json_alone(example: Path, logging_kept: None) -> None:
    plain = tandem("config", "check", "--config", str(example))
    assert "configuration read" not in plain.output
    for args in (("-v", "sync"), ("sync", "-v")):
        result = tandem(*args, "--config", str(example), "--json")
        assert json.loads(result.stdout)["ok"] is True
        lines = [json.loads(line) for line in result.stderr.splitlines()]
        said = {line["event"]: line["level"] for line in lines if line["logger"] == "tandem.cli"}
        read = f"configuration read: {example} (1 shop(s), 3 supplier(s))"
        assert said[read] == "debug"


@pytest.mark.parametrize("columns", [None, "80"])
def test_a_table_through_a_pipe_keeps_every_cell_whole(example: Path, columns: str | None) -> None:
    sku = "0099-HOSE-REEL-WALL-MOUNTED-STAINLESS-STEEL-WITH-45-M-HOSE-AND-SPRAY-GUN"
    name = "Wall-mounted stainless hose reel with 45 m of hose, spray gun and guide"
    with (example.parent / "catalogues" / "acme.csv").open("a") as catalogue:
        catalogue.write(f'{sku},AC-9999-REEL-STAINLESS-45M,"{name}",129.00,7,5,1\n')
    tandem("catalogue", "import", "--supplier", "acme", "--config", str(example))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns:
        env["COLUMNS"] = columns
    piped = subprocess.run(
        [str(TANDEM), "catalogue", "search", "REEL", "--config", str(example)],
        capture_output=True,  # stdout a pipe
        env=env,
        text=True,
        timeout=60,
        check=True,
    )
    [row] = [line for line in piped.stdout.splitlines() if "AC-9999" in line]
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[:5] == ["acme", sku, "AC-9999-REEL-STAINLESS-45M", name, "129.00 GBP"]
    assert "\x1b[" not in piped.stdout  # no colour codes in a pipe either
