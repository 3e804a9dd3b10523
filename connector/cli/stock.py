"""`tandem stock import`: warehouse on-hand levels for the shortfall quantity basis."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    console,
    errors,
    get_config,
    get_database,
    reported,
)
from connector.clock import utcnow
from connector.services.stock import import_stock

app = typer.Typer(help="Warehouse stock levels.", no_args_is_help=True)


@app.command("import")
def import_levels(
    file: Annotated[Path, typer.Argument(help="CSV with columns sku,on_hand.")],
    config_path: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Replace the warehouse stock levels with a CSV snapshot."""
    config = get_config(config_path)
    db = get_database(config)
    with reported():
        result = import_stock(db, file, utcnow())
    console.print(f"{file}: {result.rows} stock level(s) stored", highlight=False)
    for problem in result.problems:
        errors.print(f"{file}: {problem}", highlight=False, markup=False)
    if result.problems:
        raise typer.Exit(1)
