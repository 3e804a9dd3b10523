"""`tandem config check`: validate a configuration and explain what it sets up."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    console,
    errors,
    get_config,
    print_json,
)
from tandem.connector.errors import TandemError

if TYPE_CHECKING:
    from tandem.connector.configuration import TandemConfig

app = typer.Typer(help="Check the configuration.", no_args_is_help=True)


@app.command("check")
def check(config_path: ConfigOption = DEFAULT_CONFIG, as_json: JsonOption = False) -> None:
    """Validate the configuration; list every problem with its file, line and key."""
    config = get_config(config_path)
    problems = channel_problems(config) + missing_files(config)
    if problems:
        for problem in problems:
            errors.print(f"{config_path}: {problem}", highlight=False, markup=False, soft_wrap=True)
        errors.print(f"{len(problems)} problem(s) in {config_path}", style="red", highlight=False)
        raise typer.Exit(2)
    if as_json:
        print_json(summary(config_path, config))
        return
    console.print(f"[green]{config_path}: configuration is valid[/green]", highlight=False)
    console.print(f"database: {database_of(config.database_url)}", highlight=False)
    for store in config.stores:
        console.print(f"shop: {store.shop_name} ({store.platform})", highlight=False)
    console.print(
        f"default mode {config.rules.default_mode} · strategy"
        f" {config.rules.supplier_strategy} · quantity basis {config.rules.quantity_basis}",
        highlight=False,
    )
    table = Table("supplier", "mode", "priority", "transport", "release", "catalogue")
    for s in suppliers(config):
        table.add_row(
            f"{s['id']}{'' if s['active'] else ' (inactive)'}",
            "/".join(s["modes"]),
            str(s["priority"]),
            s["transport"],
            s["release"],
            s["catalogue"] or "-",
        )
    console.print(table)


def summary(path: Path, config: TandemConfig) -> dict[str, Any]:
    """What `config check --json` prints for a valid configuration (no secret in it)."""
    rules = config.rules
    return {
        "config": str(path),
        "valid": True,
        "database": database_of(config.database_url),
        "shops": [{"name": s.shop_name, "platform": s.platform} for s in config.stores],
        "rules": {
            "default_mode": rules.default_mode.value,
            "supplier_strategy": rules.supplier_strategy.value,
            "quantity_basis": rules.quantity_basis.value,
        },
        "suppliers": suppliers(config),
    }


def suppliers(config: TandemConfig) -> list[dict[str, Any]]:
    """Each supplier as the check shows it: modes, priority, transport, release, catalogue."""
    from tandem.connector.configuration.fields import format_duration

    found = []
    for s in config.suppliers:
        policy = s.release.policy(config.timezone)
        release = (
            "immediate"
            if not policy.waits
            else ", ".join(
                part
                for part in (
                    f"cron {s.release.cron}" if s.release.cron else "",
                    f"min {s.release.min_order_value}" if s.release.min_order_value else "",
                    f"max wait {format_duration(s.release.max_wait)}" if s.release.max_wait else "",
                )
                if part
            )
        )
        found.append(
            {
                "id": s.id,
                "active": s.active,
                "modes": sorted(m.value for m in s.accepted_modes()),
                "priority": s.priority,
                "transport": s.transport.type,
                "release": release,
                "catalogue": str(s.catalogue.path) if s.catalogue.path else None,
            }
        )
    return found


def channel_problems(config: TandemConfig) -> list[str]:
    """What each supplier's channel finds wrong with its settings when it is built (CSV
    columns, templates, file names): shown now rather than when its first PO goes out."""
    from tandem.adapters.suppliers import make_channel

    found: list[str] = []
    for supplier in config.suppliers:
        try:
            make_channel(supplier, config)
        except TandemError as exc:
            if str(exc) not in found:  # smtp.from is every email supplier's
                found.append(str(exc))
    return found


def missing_files(config: TandemConfig) -> list[str]:
    """The files the configuration reads that are not there (yet): each would fail later."""
    several = len(config.stores) > 1
    named = [
        (f"stores[{i}].orders_file" if several else "store.orders_file", store.orders_file)
        for i, store in enumerate(config.stores)
    ]
    named.append(("warehouse.stock_file", config.warehouse.stock_file))
    named.extend((f"supplier {s.id}: catalogue.path", s.catalogue.path) for s in config.suppliers)
    return [f"{key}: {path} does not exist" for key, path in named if path and not path.exists()]


def database_of(url: str) -> str:
    """Where the state is kept: the SQLite file (new or existing), or the URL without its
    password."""
    from tandem.connector.configuration.fields import sqlite_file

    if (database := sqlite_file(url)) is not None:
        path = Path(database)
        return f"{path} ({'exists' if path.exists() else 'new: made on the first run'})"
    from sqlalchemy import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        path = Path(parsed.database)
        return f"{path} ({'exists' if path.exists() else 'new: made on the first run'})"
    return parsed.render_as_string(hide_password=True)
