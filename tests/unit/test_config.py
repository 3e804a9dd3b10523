"""Configuration: every problem at once, each with file, line and key; secrets stay secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.connector.configuration import load_config
from tandem.connector.configuration.fields import sqlite_url_against
from tandem.connector.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "tandem.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tandem.yaml"
    path.write_text(text)
    return path


def problems(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env or {})
    return caught.value.lines()


def test_the_bundled_example_is_valid() -> None:
    config = load_config(EXAMPLE, env={})
    # Relative to the configuration file, like every other path in it.
    assert config.database_url == f"sqlite:///{EXAMPLE.parent.resolve() / 'tandem.db'}"
    assert [s.id for s in config.suppliers] == ["acme", "northwind", "greenline"]
    assert config.store.orders_file == EXAMPLE.parent / "example-orders.json"
    assert config.supplier("acme").catalogue.path == EXAMPLE.parent / "catalogues/acme.csv"


def test_environment_variables_fill_in_and_secrets_are_masked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
database_url: ${DB:-sqlite:///x.db}
store:
  platform: shopify
  shop_url: https://demo.myshopify.com
  access_token: ${TOKEN}
  webhook_secret: pa$$word
""",
    )
    config = load_config(path, env={"TOKEN": "shpat_secret"})
    assert config.database_url == f"sqlite:///{tmp_path.resolve() / 'x.db'}"
    assert config.store.access_token is not None
    assert config.store.access_token.get_secret_value() == "shpat_secret"
    assert config.store.webhook_secret.get_secret_value() == "pa$word"  # type: ignore[union-attr]
    assert "shpat_secret" not in repr(config) and "shpat_secret" not in str(config.store)


def test_every_problem_is_reported_with_file_line_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
database_url: sqlite:///x.db
store:
  platform: shopify
  access_token: ${MISSING_TOKEN}
rules:
  supplier_strategy: cheapest_first
  quantity_basis: full
suppliers:
  - id: acme
    name: Acme
    prority: 1
    release:
      cron: "0 25 * * *"
      max_wait: soon
  - id: acme
    name: Acme again
    transport:
      type: email
      to: not-an-address
""",
    )
    lines = problems(path)
    text = "\n".join(lines)
    assert f"{path}:2: store: platform shopify needs shop_url" in text
    assert f"{path}:4: store.access_token: environment variable MISSING_TOKEN is not set" in text
    assert f"{path}:6: rules.supplier_strategy: Input should be 'preferred', 'cheapest'," in text
    assert "(got 'cheapest_first')" in text
    assert f"{path}:11: suppliers[0].prority: unknown key (did you mean 'priority'?)" in text
    assert f"{path}:13: suppliers[0].release.cron: '0 25 * * *' is not a cron expression" in text
    assert f"{path}:14: suppliers[0].release.max_wait:" in text
    assert f"{path}:19: suppliers[1].transport.to: 'not-an-address' is not an email" in text
    assert "supplier id 'acme' is used twice" in text
    assert "smtp: required, since supplier acme receives POs by email" in text


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "store:\n  platform: file\n bad: [\n")
    [line] = problems(path)
    assert line.startswith(f"{path}:3: not valid YAML")


def test_missing_file_and_wrong_top_level(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]
    assert problems(write(tmp_path, "- a\n- b\n")) == [
        f"{tmp_path / 'tandem.yaml'}:1: the file must hold a mapping of keys"
    ]


def test_config_check_exits_2_with_messages_and_no_traceback(tmp_path: Path) -> None:
    from tandem.connector.cli import app

    path = write(tmp_path, "rules:\n  default_mode: sometimes\n")
    result = CliRunner().invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2: rules.default_mode: Input should be" in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an escaped error
    ok = CliRunner().invoke(app, ["config", "check", "--config", str(EXAMPLE)])
    assert ok.exit_code == 0, ok.output
    assert "configuration is valid" in ok.output and "greenline" in ok.output


def test_tandem_database_url_in_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "tandem.yaml"
    path.write_text("database_url: sqlite:///local.db\n")
    url = "postgresql+psycopg://tandem@db:5432/tandem"
    assert load_config(path, env={"TANDEM_DATABASE_URL": url}).database_url == url
    assert load_config(path, env={}).database_url == f"sqlite:///{tmp_path.resolve() / 'local.db'}"


def test_the_same_database_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir = tmp_path / "other" / "dir"
    config_dir.mkdir(parents=True)
    path = config_dir / "tandem.yaml"
    path.write_text("database_url: sqlite:///tandem.db\n")
    seen = set()
    for folder in (tmp_path, config_dir, tmp_path / "other"):
        monkeypatch.chdir(folder)
        seen.add(load_config(Path(os.path.relpath(path, folder)), env={}).database_url)
    assert seen == {f"sqlite:///{config_dir.resolve() / 'tandem.db'}"}
    # A relative file named in the environment is relative to where the command runs.
    monkeypatch.chdir(tmp_path)
    env = {"TANDEM_DATABASE_URL": "sqlite:///here.db"}
    assert load_config(path, env=env).database_url == f"sqlite:///{tmp_path.resolve() / 'here.db'}"


def test_odd_keys_enum_choices_and_secrets_read_plainly(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
~: odd
1: one
warehouse:
  address:
    zipp: BS1 6XN
store:
  platform: shopify
  shop_url: https://demo.myshopify.com
  access_token: 123456789
suppliers:
  - id: acme
    name: Acme
    mode: teleport
""",
    )
    found = problems(path)
    assert found == [
        f"{path}:1: '~' is not a key name (quote it if meant)",
        f"{path}:2: '1' is not a key name (quote it if meant)",
        f"{path}:5: warehouse.address.zipp: unknown key (did you mean 'zip'?)",
        f"{path}:9: store.access_token: Input should be a valid string",
        f"{path}:13: suppliers[0].mode: Input should be 'back_to_back' or 'drop_ship' "
        "(got 'teleport')",
    ]
    assert not any("123456789" in line for line in found)


@pytest.mark.parametrize(
    ("version", "accepted"),
    [
        ("2026-07", True),
        ("2025-10", True),
        ("unstable", True),
        ("2026-13", False),
        ("2026-05", False),
        ("july", False),
        ("2026-7", False),
    ],
)
def test_the_shopify_api_version_must_be_one_shopify_publishes(
    tmp_path: Path, version: str, accepted: bool
) -> None:
    path = write(
        tmp_path,
        f"""\
store:
  platform: shopify
  shop_url: demo.myshopify.com
  access_token: shpat_x
  api_version: "{version}"
""",
    )
    if accepted:
        assert load_config(path, env={}).store.api_version == version
        return
    [line] = problems(path)
    assert line.startswith(f"{path}:5: store.api_version: {version!r} is not a Shopify API version")
    assert "2026-07" in line  # an example of one that is


def test_a_misspelt_key_is_matched_against_its_own_section(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
daemon:
  prot: 80
suppliers:
  - id: a
    name: A
    transport:
      type: sftp
      host: files.example
      username: tandem
      colums: [po_number]
  - id: b
    name: B
    transport:
      type: rest
      base_url: https://api.example
      create: {path: /orders}
      auth: {type: bearer, tokn: x}
""",
    )
    assert problems(path) == [
        f"{path}:2: daemon.prot: unknown key (did you mean 'port'?)",
        f"{path}:10: suppliers[0].transport.colums: unknown key (did you mean 'columns'?)",
        f"{path}:17: suppliers[1].transport.auth.tokn: unknown key (did you mean 'token'?)",
    ]


def test_config_check_names_each_catalogue_or_stock_file_that_does_not_exist(
    tmp_path: Path,
) -> None:
    (tmp_path / "acme.csv").write_text("sku,cost\nSPADE,1.00\n")
    path = write(
        tmp_path,
        """
warehouse:
  stock_file: stock/levels.csv
suppliers:
  - id: acme
    name: Acme
    transport: {type: manual}
    catalogue: {path: acme.csv}
  - id: bloom
    name: Bloom
    transport: {type: manual}
    catalogue: {path: feeds/bloom.csv}
""",
    )
    from tandem.connector.cli import app

    result = CliRunner().invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert f"{path}: warehouse.stock_file: {tmp_path / 'stock/levels.csv'} does not exist" in lines
    assert (
        f"{path}: supplier bloom: catalogue.path: {tmp_path / 'feeds/bloom.csv'} does not exist"
        in lines
    )
    assert "acme.csv does not exist" not in result.output


def test_several_shops_are_listed_under_stores_each_checked_where_it_stands(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """\
stores:
  - platform: shopify
    shop_url: north.myshopify.com
    access_token: a
  - platform: woocommerce
    shop_url: https://garden.example
""",
    )
    assert f"{path}:5: stores[1]: platform woocommerce needs" in "\n".join(problems(path))
    twice = write(
        tmp_path,
        """stores:
  - {platform: shopify, shop_url: north.myshopify.com, access_token: a}
  - {platform: shopify, shop_url: north.myshopify.com, access_token: b}
""",
    )
    assert any(
        "stores[1]: the shop north.myshopify.com is listed already (stores[0])" in line
        for line in problems(twice)
    )
    both = write(
        tmp_path,
        "store: {platform: file}\n"
        "stores:\n  - {platform: shopify, shop_url: north.myshopify.com, access_token: a}\n"
        "  - {platform: shopify, shop_url: south.myshopify.com, access_token: b}\n",
    )
    assert any("give store (one shop) or stores" in line for line in problems(both))


def test_each_shop_reads_the_top_level_rules_with_its_own_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
rules:
  default_mode: back_to_back
  mode_properties: [_fulfilment]
stores:
  - platform: file
    orders_file: a.json
  - platform: shopify
    shop_url: north.myshopify.com
    access_token: a
    rules:
      mode_properties: [_ship_from]
""",
    )
    config = load_config(path)
    assert [s.store.shop_name for s in config.shops()] == ["file", "north.myshopify.com"]
    assert [s.rules.mode_properties for s in config.shops()] == [["_fulfilment"], ["_ship_from"]]
    assert {s.rules.default_mode for s in config.shops()} == {"back_to_back"}
    assert config.store.shop_name == "file"  # `store`: the first shop


def test_a_dumped_one_shop_configuration_loads_again_with_its_shop_changed() -> None:
    from tandem.connector.configuration import TandemConfig

    first = TandemConfig.model_validate({"store": {"platform": "file"}})
    data = first.model_dump()
    assert "stores" not in data
    data["store"] = {"platform": "shopify", "shop_url": "north.myshopify.com", "access_token": "a"}
    again = TandemConfig.model_validate(data)
    assert [s.shop_name for s in again.stores] == ["north.myshopify.com"]


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///tandem.db",
        "sqlite+pysqlite:///data/tandem.db?timeout=5&mode=ro",
        "sqlite:////srv/tandem.db",
        "sqlite:///~/tandem.db",
        "sqlite:///:memory:",
        "sqlite://",
        "sqlite:///file:tandem.db?uri=true",
        "sqlite:///a%20b.db",
        "postgresql+psycopg://tandem:secret@db:5432/tandem",
    ],
)
def test_a_database_url_names_the_same_database_as_sqlalchemy_reads_it(
    url: str, tmp_path: Path
) -> None:
    from sqlalchemy import make_url

    resolved = make_url(sqlite_url_against(url, tmp_path))
    given = make_url(url)
    database = given.database
    if (
        given.get_backend_name() == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file:")
        and not Path(database).expanduser().is_absolute()
    ):
        database = str(tmp_path / database)
    assert (resolved.drivername, resolved.database, dict(resolved.query)) == (
        given.drivername,
        database,
        dict(given.query),
    )
