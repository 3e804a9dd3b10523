"""`tandem exceptions list|resolve`: what needs a person, and closing it."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    console,
    fail,
    get_config,
    get_database,
    print_json,
    reported,
)
from tandem.connector.cli.output import exceptions_table
from tandem.connector.clock import utcnow

# How a send held in doubt is answered from the command line.
ANSWERS = "`tandem po arrived {po}` (it did) or `tandem po resend {po}` (it did not)"

app = typer.Typer(help="The exceptions queue.", no_args_is_help=True)


@app.command("list")
def list_command(
    config_path: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
    all_: Annotated[bool, typer.Option("--all", help="Include resolved ones.")] = False,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
) -> None:
    """List open exceptions with the reason in plain words."""
    from tandem.connector.store.views import list_exceptions

    config = get_config(config_path)
    db = get_database(config)
    with db.read() as conn:
        items = list_exceptions(conn, status=None if all_ else "open", kind=kind)
    if as_json:
        print_json(items)
    else:
        console.print(exceptions_table(items))


@app.command("resolve")
def resolve_command(
    exception_id: Annotated[int, typer.Argument(help="Exception id (see `exceptions list`).")],
    note: Annotated[str, typer.Option(help="What was done about it.")] = "resolved by hand",
    config_path: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Mark an exception resolved, with who and what."""
    from tandem.connector.store.exceptions import resolve_by_hand

    config = get_config(config_path)
    db = get_database(config)
    with reported(), db.write() as conn:
        done = resolve_by_hand(
            conn, exception_id, getpass.getuser(), note, utcnow(), answers=ANSWERS
        )
    if not done:
        fail(f"no open exception with id {exception_id}")
    console.print(f"exception {exception_id} resolved")


@app.command("plan-anyway")
def plan_anyway_command(
    exception_id: Annotated[int, typer.Argument(help="A handled_elsewhere exception's id.")],
    config_path: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Order a line the shop says was handled elsewhere, deliberately, and plan it now."""
    from tandem.connector.services.plan_anyway import plan_anyway

    config = get_config(config_path)
    db = get_database(config)
    with reported():
        summary = plan_anyway(db, config, exception_id, getpass.getuser(), utcnow())
    released = f"; released {', '.join(summary.released)}" if summary.released else ""
    console.print(
        f"exception {exception_id} resolved: planned {summary.allocated_units} unit(s)"
        f" onto draft POs{released}",
        highlight=False,
    )
