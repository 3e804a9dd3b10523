"""`tandem exceptions list|resolve`: what needs a person, and closing it."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from sqlalchemy import select

from connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    console,
    fail,
    get_config,
    get_database,
    print_json,
)
from connector.cli.output import exceptions_table
from connector.clock import utcnow
from connector.domain import ExceptionKind
from connector.store import schema as t
from connector.store.exceptions import resolve
from connector.store.views import list_exceptions

app = typer.Typer(help="The exceptions queue.", no_args_is_help=True)


@app.command("list")
def list_command(
    config_path: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
    all_: Annotated[bool, typer.Option("--all", help="Include resolved ones.")] = False,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
) -> None:
    """List open exceptions with the reason in plain words."""
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
    config = get_config(config_path)
    db = get_database(config)
    with db.write() as conn:
        held = conn.execute(
            select(t.exceptions.c.kind, t.purchase_orders.c.number)
            .join(t.purchase_orders, t.purchase_orders.c.id == t.exceptions.c.po_id)
            .where(t.exceptions.c.id == exception_id, t.exceptions.c.status == "open")
        ).first()
        if held is not None and held.kind == ExceptionKind.SEND_IN_DOUBT.value:
            # Closing it alone would leave the PO waiting for an answer that never comes.
            fail(
                f"exception {exception_id} asks whether {held.number} reached the supplier:"
                f" answer with `tandem po arrived {held.number}` (it did) or"
                f" `tandem po resend {held.number}` (it did not); either closes it"
            )
        done = resolve(conn, exception_id, getpass.getuser(), note, utcnow())
    if not done:
        fail(f"no open exception with id {exception_id}")
    console.print(f"exception {exception_id} resolved")
