"""`tandem backfill --since DATE [--dry-run]` against the Shopify stand-in: the dry run shows
what it would order and keeps nothing, here or in the shop; the real run orders once, and
the fences hold as for every plan."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tandem.connector.configuration import load_config
from tandem.connector.store import open_database
from tandem.connector.store import schema as t
from tests.integration.shopify_support import (
    config_data,
    exceptions,
    mutations,
    pos,
    tandem,
    write_config,
)
from tests.standin import ShopifyStandin

HANDLED = "handled_elsewhere"
TABLES = ("orders", "order_lines", "purchase_orders", "allocations", "outbox", "exceptions")


def fresh_database(shop: ShopifyStandin, tmp_path: Path, folder: str = "fresh") -> Path:
    """The shop's configuration with an empty database whose first poll looks back at nothing
    (the default)."""
    where = tmp_path / folder
    where.mkdir()
    data = config_data(shop, where)
    data["store"]["first_poll_lookback"] = None
    return write_config(where / "tandem.yaml", data)


def counts(config: Path) -> dict[str, int]:
    db = open_database(load_config(config).database_url)
    try:
        with db.read() as conn:
            return {
                name: conn.execute(
                    select(func.count()).select_from(t.metadata.tables[name])
                ).scalar_one()
                for name in TABLES
            }
    finally:
        db.dispose()


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def since(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()


@pytest.fixture
def old_orders(shop: ShopifyStandin) -> dict[str, str]:
    """Three orders placed before Tandem ran: two in the last days, one long before."""
    return {
        "mixed": shop.add_order([("SPADE", 2), ("ROSE", 3)], created_at=days_ago(2)),
        "forks": shop.add_order([("FORK", 4), ("SPADE", 1)], created_at=days_ago(1)),
        "ancient": shop.add_order([("SPADE", 5)], created_at=days_ago(30)),
    }


def test_a_dry_run_shows_what_it_would_order_and_keeps_nothing(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path, old_orders: dict[str, str]
) -> None:
    config = fresh_database(shop, tmp_path)
    mixed, forks = (shop.order(old_orders[k])["name"] for k in ("mixed", "forks"))
    before = mutations(shop)

    out = tandem("backfill", "--since", since(3), "--dry-run", "--config", str(config))

    assert "2 order(s) updated since" in out and "2 new" in out
    assert "(dry run: nothing is kept)" in out
    assert "would order from Acme (back-to-back):" in out
    assert f"3 × SPADE (AC-1) for {mixed}, {forks}" in out
    assert f"4 × FORK (AC-2) for {forks}" in out
    assert "would order from Bloom (drop-ship):" in out
    assert f"3 × ROSE (BL-7) for {mixed}" in out
    assert "released" not in out and "exceptions list" not in out
    # Nothing kept: no order, no PO, no outbox item; and nothing written to the shop.
    assert counts(config) == dict.fromkeys(TABLES, 0)
    assert mutations(shop) == before

    shown = json.loads(
        tandem("backfill", "--since", since(3), "--dry-run", "--json", "--config", str(config))
    )
    assert shown["dry_run"] is True and shown["orders"] == 2
    assert [(x["supplier_id"], x["mode"], x["sku"], x["units"]) for x in shown["ordered"]] == [
        ("acme", "back_to_back", "FORK", 4),
        ("acme", "back_to_back", "SPADE", 3),
        ("bloom", "drop_ship", "ROSE", 3),
    ]
    assert shown["plan"]["released"] == [] and shown["exceptions"] == []
    assert counts(config) == dict.fromkeys(TABLES, 0)
    assert mutations(shop) == before


def test_backfill_orders_what_the_dry_run_showed_once(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path, old_orders: dict[str, str]
) -> None:
    config = fresh_database(shop, tmp_path)
    dry = json.loads(
        tandem("backfill", "--since", since(3), "--dry-run", "--json", "--config", str(config))
    )

    out = tandem("backfill", "--since", since(3), "--config", str(config))

    assert "ordered from Acme (back-to-back):" in out and "dry run" not in out
    assert "released: PO-00001, PO-00002" in out
    done = json.loads(tandem("backfill", "--since", since(3), "--json", "--config", str(config)))
    assert done["ordered"] == []  # the second run finds everything planned
    assert done["plan"]["released"] == []
    listed = pos(config)
    assert sorted((p["supplier"], p["mode"]) for p in listed) == [
        ("acme", "back_to_back"),
        ("bloom", "drop_ship"),
    ]
    units = {(line["sku"], line["quantity"]) for p in listed for line in p["lines"]}
    assert units == {(x["sku"], x["units"]) for x in dry["ordered"]}
    stored = counts(config)
    assert stored["orders"] == 2  # not the order from before --since
    assert stored["purchase_orders"] == 2 and stored["exceptions"] == 0
    assert stored["outbox"] > 0  # the POs wait to be sent, by `tandem sync` or `tandem run`

    # A later sync sends what was released and orders nothing again.
    tandem("sync", "--config", str(config))
    assert sorted(p["number"] for p in pos(config)) == ["PO-00001", "PO-00002"]


def test_an_order_another_tandem_database_handled_stays_an_exception(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path
) -> None:
    served = shop.add_order([("SPADE", 2)], created_at=days_ago(0.5))
    tandem("sync", "--config", str(config_file))  # the first database reaches back a day
    [first] = pos(config_file)
    newer = shop.add_order([("FORK", 1)])
    config = fresh_database(shop, tmp_path)
    name, other = shop.order(served)["name"], shop.order(newer)["name"]

    # The shop names the first database as the one serving it: this one refuses, keeps nothing.
    refused = tandem("backfill", "--since", since(2), "--dry-run", "--config", str(config), code=1)
    assert refused.count("\n") == 1 and "is served by another Tandem database" in refused
    assert counts(config) == dict.fromkeys(TABLES, 0)
    # The merchant says the first database is gone for good: this one takes the shop over.
    tandem("db", "adopt-shop", "--config", str(config))

    dry = tandem("backfill", "--since", since(2), "--dry-run", "--config", str(config))
    assert f"1 × FORK (AC-2) for {other}" in dry
    assert "SPADE (AC-1)" not in dry
    assert f"{name} SPADE [{HANDLED}] order {name} already names {first['number']}" in dry

    out = tandem("backfill", "--since", since(2), "--config", str(config))
    assert "released: PO-00001" in out
    [po] = pos(config)
    assert [line["sku"] for line in po["lines"]] == ["FORK"]
    [held] = [e for e in exceptions(config) if e["kind"] == HANDLED]
    assert held["order_name"] == name
    assert "from another Tandem database" in held["message"]


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-02-30", "2026-13-01", "01/02/2026", "", "2026-01-01T25:00", "[/x]"],
)
def test_a_date_that_is_not_one_is_named_in_one_line(
    shop: ShopifyStandin, config_file: Path, value: str
) -> None:
    out = tandem("backfill", "--since", value, "--dry-run", "--config", str(config_file), code=2)
    assert "Traceback" not in out
    [line] = out.strip().splitlines()
    assert line.startswith(f"error: --since {value!r} is not a date")
    assert counts(config_file)["orders"] == 0


def test_a_date_in_the_future_is_refused(shop: ShopifyStandin, config_file: Path) -> None:
    later = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    out = tandem("backfill", "--since", later, "--config", str(config_file), code=2)
    [line] = out.strip().splitlines()
    assert line.startswith(f"error: --since {later} is in the future")


def test_a_date_with_a_time_and_zone_reaches_back_to_that_moment(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path, old_orders: dict[str, str]
) -> None:
    config = fresh_database(shop, tmp_path)
    moment = (datetime.now(UTC) - timedelta(hours=36)).strftime("%Y-%m-%dT%H:%M+00:00")
    out = tandem("backfill", "--since", moment, "--dry-run", "--config", str(config))
    assert "1 order(s) updated since" in out  # only the order of a day ago
    assert f"for {shop.order(old_orders['forks'])['name']}" in out
