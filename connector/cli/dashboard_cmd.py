"""`tandem dashboard hash-password`: the value to put in `dashboard.users[].password_hash`."""

from __future__ import annotations

import getpass
import sys

import typer

from tandem.connector.cli.common import fail

app = typer.Typer(help="The operations dashboard.", no_args_is_help=True)


@app.callback()
def dashboard() -> None:
    """The operations dashboard (served by `tandem serve` and `tandem run`)."""


def _read_password() -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            fail("the two passwords differ")
        return password
    # Piped in (e.g. from a secret store): the first line, without its line break.
    return sys.stdin.readline().rstrip("\r\n")


@app.command("hash-password")
def hash_password_command() -> None:
    """Read a password (hidden prompt, or stdin when piped) and print its hash."""
    from tandem.connector.web.dashboard.passwords import hash_password

    password = _read_password()
    if not password:
        fail("the password is empty")
    typer.echo(hash_password(password))
