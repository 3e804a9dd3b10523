"""The README's main job on the bundled example: `tandem sync` on config/tandem.yaml."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.connector.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of config/ with its own database, as a user who copied the example has."""
    folder = tmp_path / "config"
    shutil.copytree(EXAMPLE, folder)
    monkeypatch.setenv("TANDEM_DATABASE_URL", f"sqlite:///{tmp_path / 'tandem.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    return folder / "tandem.yaml"


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def po_list(config: Path) -> list[dict[str, object]]:
    return json.loads(run("po", "list", "--config", str(config), "--json"))  # type: ignore[no-any-return]


def test_sync_prints_the_example_purchase_orders_and_a_second_run_changes_nothing(
    example: Path,
) -> None:
    output = run("sync", "--config", str(example))
    assert "8 new" in output
    assert "PO-00001" in output
    first = po_list(example)

    by_supplier = {(p["supplier"], p["mode"], p["status"]) for p in first}
    assert ("acme", "back_to_back", "draft") in by_supplier  # waits for the 14:00 cut-off
    assert ("northwind", "back_to_back", "sent") in by_supplier  # immediate
    drop_ships = [p for p in first if p["supplier"] == "greenline"]
    assert len(drop_ships) == 2  # one per customer address
    for po in drop_ships:
        assert po["status"] == "sent"
        assert po["number"] and str(po["number"]).startswith("PO-")
    # The example writes its PO emails into var/mail beside the config folder.
    mails = sorted(p.name for p in (example.parent.parent / "var" / "mail").iterdir())
    assert mails == [
        f"{p['number']}.rev1.order.eml"  # named after each message's Message-ID
        for p in sorted((p for p in first if p["number"]), key=lambda p: str(p["number"]))
    ]

    second = run("sync", "--config", str(example))
    assert "0 new, 0 updated, 8 unchanged" in second
    assert "0 line(s) planned" in second
    assert po_list(example) == first


def test_po_list_json_names_every_order_line_a_po_line_serves(example: Path) -> None:
    run("sync", "--config", str(example))
    pos = po_list(example)
    hose = {
        p["supplier"]: line
        for p in pos
        for line in p["lines"]  # type: ignore[attr-defined]
        if line["sku"] == "0004-HOSE"
    }
    # Order #1003 wants 6 hoses: Acme has 4 in stock, Northwind covers the other 2.
    assert hose["acme"]["quantity"] == 4
    assert hose["northwind"]["quantity"] == 2
    assert hose["northwind"]["supplier_sku"] == "NW-HS-30"
    for po in pos:
        assert {"number", "supplier", "mode", "status", "ship_to", "lines"} <= set(po)
        for line in po["lines"]:  # type: ignore[attr-defined]
            assert {"sku", "supplier_sku", "quantity", "serves"} <= set(line)
            assert sum(s["quantity"] for s in line["serves"]) <= line["quantity"] * max(
                1, line.get("pack_size", 1)
            )
            for served in line["serves"]:
                assert served["order"].startswith("#")
                assert served["order_line_id"]


def test_exceptions_name_what_no_supplier_can_serve(example: Path) -> None:
    run("sync", "--config", str(example))
    listed = json.loads(run("exceptions", "list", "--config", str(example), "--json"))
    reasons = {(e["kind"], e["sku"]) for e in listed}
    assert ("unmapped_sku", "9999-GNOME") in reasons
    assert ("no_stock", "1004-ACER") in reasons
    # Each names its order as the shop does and as the dashboard links it (/orders/<id>).
    gnome = next(e for e in listed if e["sku"] == "9999-GNOME")
    assert gnome["order_name"].startswith("#") and gnome["order_ref"]
    assert isinstance(gnome["order_id"], int) and isinstance(gnome["order_line_id"], int)
    table = run("exceptions", "list", "--config", str(example))
    assert gnome["order_name"] in table and "9999-GNOME" in table
