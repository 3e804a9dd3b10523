"""`tandem db upgrade`: bring the database schema up to date (other commands do it too)."""

from __future__ import annotations

import typer

from connector.cli.common import DEFAULT_CONFIG, ConfigOption, console, get_config, get_database

app = typer.Typer(help="The state database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(config_path: ConfigOption = DEFAULT_CONFIG) -> None:
    """Apply pending migrations."""
    config = get_config(config_path)
    get_database(config)
    console.print("database schema is up to date")
