"""`tandem catalogue import|search`: supplier catalogues."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    console,
    errors,
    get_config,
    get_database,
    is_terminal,
    print_json,
    reported,
)
from tandem.connector.clock import utcnow
from tandem.connector.money import money

# The importer (polars, calamine) is imported when a command runs: `tandem --help` needs none
# of it (issue 14).
if TYPE_CHECKING:
    from tandem.connector.catalogue import ImportReport
    from tandem.connector.catalogue import Progress as ProgressCallback
    from tandem.connector.domain import Offer

app = typer.Typer(help="Supplier catalogues.", no_args_is_help=True)

SHOWN_PROBLEMS = 50


@contextmanager
def progress_bar(label: str) -> Iterator[ProgressCallback | None]:
    """A Rich progress bar on a terminal; nothing when output goes to a file or CI."""
    if not is_terminal():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def print_import(report: ImportReport, *, summary: bool = True) -> None:
    """Rejected rows on stderr, then (with `summary`) what was imported."""
    for problem in report.problems[:SHOWN_PROBLEMS]:
        errors.print(f"{report.source}: {problem}", highlight=False, markup=False, soft_wrap=True)
    if len(report.problems) > SHOWN_PROBLEMS:
        errors.print(
            f"{report.source}: ... and {len(report.problems) - SHOWN_PROBLEMS} more rejected"
            " row(s)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if report.kept_previous:
        errors.print(
            f"{report.source}: no row could be imported; {report.supplier_id} keeps its previous"
            " catalogue",
            style="red",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
    if summary:
        console.print(
            f"{report.supplier_id}: {report.rows_imported:,} offer(s) imported from {report.source}"
            f" ({report.rows_rejected:,} row(s) rejected) in {report.seconds:.1f} s",
            highlight=False,
            markup=False,
        )


def import_json(report: ImportReport) -> dict[str, Any]:
    """A catalogue import for `--json`: `problems` are its rejected rows ("line 7: ...")."""
    return {
        "supplier": report.supplier_id,
        "source": report.source,
        "rows_imported": report.rows_imported,
        "rows_rejected": report.rows_rejected,
        "problems": [str(problem) for problem in report.problems],
        "kept_previous": report.kept_previous,
        "seconds": round(report.seconds, 3),
    }


@app.command("import")
def import_command(
    supplier: Annotated[str, typer.Option("--supplier", "-s", help="Supplier id from config.")],
    file: Annotated[
        Path | None,
        typer.Argument(help="CSV, XLSX or JSON file (default: the supplier's catalogue.path)."),
    ] = None,
    config_path: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Replace a supplier's catalogue; rejected rows are listed (exit code 1)."""
    from tandem.connector.catalogue import import_catalogue

    config = get_config(config_path)
    db = get_database(config)
    with reported(), progress_bar(f"importing {supplier}") as progress:
        report = import_catalogue(db, config, supplier, file, now=utcnow(), progress=progress)
    if as_json:
        print_json(import_json(report))
    print_import(report, summary=not as_json)
    if report.problems or report.kept_previous:
        raise typer.Exit(1)


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="SKU, supplier SKU or words of the name.")],
    config_path: ConfigOption = DEFAULT_CONFIG,
    supplier: Annotated[str | None, typer.Option(help="Only this supplier's offers.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many offers.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Find offers by SKU or name across the imported catalogues."""
    from tandem.connector.catalogue import search_offers

    config = get_config(config_path)
    db = get_database(config)
    with db.read() as conn:
        found = search_offers(conn, query, supplier, limit)
    if as_json:
        print_json([asdict(o) for o in found])
    elif found:
        console.print(offers_table(found))
    else:
        console.print(f"no offer matches {query!r}", highlight=False, markup=False, soft_wrap=True)
    if not found:
        raise typer.Exit(1)  # as grep does when nothing matches


def offers_table(found: list[Offer]) -> Table:
    table = Table("supplier", "SKU", "supplier SKU", "name", "cost", "stock", "lead", "pack")
    for o in found:
        table.add_row(
            o.supplier_id,
            o.sku,
            o.supplier_sku,
            o.name,
            money(o.cost, o.currency),
            "" if o.stock is None else str(o.stock),
            "" if o.lead_time_days is None else f"{o.lead_time_days} d",
            str(o.pack_size),
        )
    return table
