"""`tandem stock import`: warehouse on-hand levels for the shortfall quantity basis."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    console,
    errors,
    get_config,
    get_database,
    print_json,
    reported,
)
from tandem.connector.clock import utcnow

app = typer.Typer(help="Warehouse stock levels.", no_args_is_help=True)


@app.command("import")
def import_levels(
    file: Annotated[Path, typer.Argument(help="CSV with columns sku,on_hand.")],
    config_path: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Replace the warehouse stock levels with a CSV snapshot."""
    from tandem.connector.services.stock import import_stock

    config = get_config(config_path)
    db = get_database(config)
    with reported():
        result = import_stock(db, file, utcnow())
    if as_json:
        print_json({"file": str(file), "rows": result.rows, "problems": result.problems})
    else:
        console.print(f"{file}: {result.rows} stock level(s) stored", highlight=False)
    for problem in result.problems:
        errors.print(f"{file}: {problem}", highlight=False, markup=False)
    if result.problems:
        raise typer.Exit(1)
