"""`tandem config check`: validate a configuration and explain what it sets up."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import make_url

from connector.cli.common import DEFAULT_CONFIG, ConfigOption, console, errors, get_config
from connector.configuration import TandemConfig
from connector.configuration.fields import format_duration
from connector.errors import TandemError

app = typer.Typer(help="Check the configuration.", no_args_is_help=True)


@app.command("check")
def check(config_path: ConfigOption = DEFAULT_CONFIG) -> None:
    """Validate the configuration; list every problem with its file, line and key."""
    config = get_config(config_path)
    problems = channel_problems(config) + missing_files(config)
    if problems:
        for problem in problems:
            errors.print(f"{config_path}: {problem}", highlight=False, markup=False, soft_wrap=True)
        errors.print(f"{len(problems)} problem(s) in {config_path}", style="red", highlight=False)
        raise typer.Exit(2)
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
        table.add_row(
            f"{s.id}{'' if s.active else ' (inactive)'}",
            "/".join(sorted(m.value for m in s.accepted_modes())),
            str(s.priority),
            s.transport.type,
            release,
            str(s.catalogue.path or "-"),
        )
    console.print(table)


def channel_problems(config: TandemConfig) -> list[str]:
    """What each supplier's channel finds wrong with its settings when it is built (CSV
    columns, templates, file names): shown now rather than when its first PO goes out."""
    from adapters.suppliers import make_channel

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
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        path = Path(parsed.database)
        return f"{path} ({'exists' if path.exists() else 'new: made on the first run'})"
    return parsed.render_as_string(hide_password=True)
