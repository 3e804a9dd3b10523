"""One state per shop: a database records the shop it serves on its first run and refuses any
other; the shop records the database, so a second one refuses too. And the same configuration
finds the same database from whatever folder a command is run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.integration.shopify_support import pos, tandem
from tests.standin import ShopifyStandin


def test_sync_from_any_folder_uses_the_database_beside_the_configuration(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = yaml.safe_load(config_file.read_text())
    data["database_url"] = "sqlite:///tandem.db"  # relative: to the configuration file
    folder = tmp_path / "other" / "dir"
    folder.mkdir(parents=True)
    for name in ("acme.csv", "bloom.csv"):
        (folder / name).write_text((config_file.parent / name).read_text())
    config = folder / "tandem.yaml"
    config.write_text(yaml.safe_dump(data))
    shop.add_order([("SPADE", 2)])

    monkeypatch.chdir(tmp_path)
    out = tandem("sync", "--config", "other/dir/tandem.yaml")
    assert "released: PO-00001" in out
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    again = tandem("sync", "--config", os.path.relpath(config, elsewhere))
    assert "released: PO" not in again  # the same database: nothing is ordered twice
    assert (folder / "tandem.db").exists() and not (tmp_path / "tandem.db").exists()
    assert [p["number"] for p in pos(config)] == ["PO-00001"]
    checked = tandem("config", "check", "--config", str(config))
    assert f"database: {folder.resolve() / 'tandem.db'}" in checked
    assert f"shop: {shop.url.split('://')[1]} (shopify)" in checked


def test_a_database_of_another_shop_refuses_every_command_with_one_line(
    shop: ShopifyStandin, config_file: Path, tmp_path: Path
) -> None:
    orders = tmp_path / "orders.json"
    orders.write_text("[]")
    data = yaml.safe_load(config_file.read_text())
    file_config = tmp_path / "file.yaml"
    file_config.write_text(
        yaml.safe_dump(
            {
                "database_url": data["database_url"],
                "store": {"platform": "file", "orders_file": str(orders)},
            }
        )
    )
    tandem("sync", "--config", str(file_config))  # the database now serves the orders file

    for command in (["sync"], ["po", "list"], ["exceptions", "list"]):
        out = tandem(*command, "--config", str(config_file), code=1)
        assert out.count("\n") == 1, out
        assert "holds the state of the orders file" in out
        assert f"not of the shopify shop {shop.url.split('://')[1]}" in out
    assert "Traceback" not in out


def test_credentials_that_reach_another_shop_account_are_refused(
    shop: ShopifyStandin, config_file: Path
) -> None:
    tandem("sync", "--config", str(config_file))  # records the account the token reaches
    shop.store.shop["myshopifyDomain"] = "another-shop.myshopify.com"
    out = tandem("sync", "--config", str(config_file), code=1)
    assert "now reach another-shop.myshopify.com" in out and out.count("\n") == 1
