"""The `tandem` application: command groups wired together, each installed platform's own
(`tandem orders`, `tandem shopify`, …) among them."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from tandem.connector.cli import (
    backfill,
    catalogue,
    completion_cmd,
    config_cmd,
    dashboard_cmd,
    db_cmd,
    demo_cmd,
    exceptions_cmd,
    options,
    plan,
    po,
    portal_cmd,
    run_cmd,
    serve_cmd,
    stock,
    supplier_cmd,
)
from tandem.connector.platforms import registered

app = typer.Typer(
    name="tandem",
    help="Tandem: storefront orders in, purchase orders to suppliers out.",
    no_args_is_help=True,
    epilog=options.EXIT_CODES,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DISTRIBUTION = "tandem-connector"


def installed_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"tandem {installed_version()}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print Tandem's version and exit.",
        ),
    ] = False,
    verbose: options.Verbose = False,
    quiet: options.Quiet = False,
) -> None:
    """Tandem: storefront orders in, purchase orders to suppliers out."""
    options.use(verbose=verbose, quiet=quiet, fresh=True)
    ctx.call_on_close(options.done)


app.add_typer(config_cmd.app, name="config")
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(stock.app, name="stock")
app.add_typer(po.app, name="po")
app.add_typer(exceptions_cmd.app, name="exceptions")
app.add_typer(db_cmd.app, name="db")
app.add_typer(supplier_cmd.app, name="supplier")
app.add_typer(dashboard_cmd.app, name="dashboard")
app.add_typer(portal_cmd.app, name="portal")
plan.register(app)
app.command("serve")(serve_cmd.serve_command)
app.command("run")(run_cmd.run_command)
app.command("demo")(demo_cmd.demo_command)
app.command("backfill")(backfill.backfill_command)
app.command("completion")(completion_cmd.completion_command)

for _platform in registered().values():
    for _group, _commands in _platform.commands().items():
        app.add_typer(_commands, name=_group)

options.on_every_command(app)
