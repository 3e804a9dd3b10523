"""`tandem orders import`: store the orders of a JSON file (the `file` platform's format)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    console,
    errors,
    get_config,
    get_database,
    reported,
)
from tandem.connector.clock import utcnow

app = typer.Typer(help="Bring orders in.", no_args_is_help=True)


@app.command("import")
def import_orders(
    file: Annotated[Path, typer.Argument(help="JSON file of orders.")],
    config_path: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Store the orders of a JSON file; the same file again changes nothing."""
    from tandem.adapters.file.storefront import store_orders_file

    config = get_config(config_path)
    db = get_database(config)
    with reported():
        report, problems = store_orders_file(db, config, file, utcnow())
    console.print(
        f"{file}: {report.created} new, {report.updated} updated, {report.unchanged} unchanged,"
        f" {report.stale} older than stored",
        highlight=False,
    )
    for problem in problems:
        errors.print(f"{file}: {problem}", highlight=False, markup=False)
    if problems:
        errors.print(
            f"{len(problems)} order(s) rejected; the others were stored",
            style="red",
            highlight=False,
        )
        raise typer.Exit(1)
