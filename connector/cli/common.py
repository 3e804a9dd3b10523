"""What every command shares: the --config option, loading, error reporting, output."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from tandem.connector.clock import utcnow
from tandem.connector.errors import ConfigError, TandemError

# The configuration, the database and what a command does are imported by the commands that
# use them: `tandem --help` loads every command module and needs none of it (issue 14).
if TYPE_CHECKING:
    from tandem.connector.configuration import TandemConfig
    from tandem.connector.store import Database

# Written to a pipe or a file, output is as wide as it needs: no cell cut short or wrapped
# (a SKU cut short is another SKU). On a terminal, Rich fits it to the terminal.
UNCUT = 100_000


def _console(*, stderr: bool = False) -> Console:
    made = Console(stderr=stderr)
    if not made.is_terminal:
        made.width = UNCUT
    return made


console = _console()
errors = _console(stderr=True)
log = logging.getLogger("tandem.cli")

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        envvar="TANDEM_CONFIG",
        help="Configuration file (tandem.yaml).",
        show_default=True,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ShopOption = Annotated[
    str | None,
    typer.Option("--shop", help="The shop (as `tandem config check` names it), with several."),
]
DEFAULT_CONFIG = Path("tandem.yaml")


def fail(message: str, code: int = 1) -> NoReturn:
    errors.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def get_config(path: Path) -> TandemConfig:
    from tandem.connector.configuration import load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        for line in exc.lines():
            errors.print(line, highlight=False, markup=False, soft_wrap=True)
        errors.print(f"{len(exc.problems)} problem(s) in {path}", style="red", highlight=False)
        raise typer.Exit(2) from None
    log.debug(
        "configuration read: %s (%d shop(s), %d supplier(s))",
        path.resolve(),
        len(config.stores),
        len(config.suppliers),
    )
    return config


@contextmanager
def reported() -> Iterator[None]:
    """Turn Tandem's errors into a message and exit code 1 (config errors: 2). A database
    error is one line, without the statement or its parameters (customers' names)."""
    from sqlalchemy.exc import DBAPIError, StatementError

    from tandem.connector.store.db import database_error_message

    try:
        yield
    except ConfigError as exc:
        for line in exc.lines():
            errors.print(line, highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except TandemError as exc:
        fail(str(exc).replace("[", "\\["))
    except (DBAPIError, StatementError) as exc:
        fail(database_error_message(exc, "the database").replace("[", "\\["))


def get_database(config: TandemConfig) -> Database:
    """The configuration's database, up to date, after checking that it serves the
    configured shop (recording it on the first run; `connector.store.identity`)."""
    from tandem.connector.store import identity, open_database

    with reported():
        db = open_database(config.database_url)
        with db.write() as conn:
            shops = [(store.platform, store.shop_name) for store in config.stores]
            identity.ensure_all(conn, shops, utcnow(), db.describe())
        log.debug("using %s (schema up to date)", db.describe())
        return db


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=_default, indent=2, ensure_ascii=False) + "\n")


def is_terminal() -> bool:
    """Whether progress may be shown: on a terminal, outside CI, without -q."""
    return console.is_terminal and not console.quiet and not os.environ.get("CI")


def one_shop(config: TandemConfig, name: str | None) -> TandemConfig:
    """The configuration as the shop named by --shop reads it; with one shop, that one."""
    names = [store.shop_name for store in config.stores]
    if name is None:
        if len(names) == 1:
            return config
        fail(f"several shops are configured ({', '.join(names)}): name one with --shop", code=2)
    for shop in config.shops():
        if shop.store.shop_name.casefold() == name.strip().casefold():
            return shop
    fail(f"--shop {name!r} is not a configured shop (configured: {', '.join(names)})", code=2)


def check_shops(config: TandemConfig, db: Database) -> None:
    """`check_shop` for every configured shop."""
    for shop in config.shops():
        check_shop(shop, db)


def check_shop(config: TandemConfig, db: Database, *, adopt: bool = False) -> None:
    """Ask the shop (`config.store`) whether this database serves it (and, the first time, say
    so there): refuse with one line when another database does. When the shop cannot be asked
    now, carry on: each job asks again before it touches the shop. A platform that keeps no
    such record on the shop has nothing to ask."""
    import asyncio

    from tandem.connector.platforms import Capability, storefront
    from tandem.connector.store.identity import IdentityError

    shop = storefront(config)
    if Capability.CLAIM not in shop.capabilities:
        return

    async def claim() -> None:
        async with shop.session(db) as session:
            await session.claim(utcnow(), adopt=adopt)

    with reported():
        try:
            asyncio.run(claim())
        except IdentityError:
            raise
        except TandemError as exc:
            if adopt:
                raise
            errors.print(f"could not ask {shop.shop} which database serves it: {exc}", markup=False)
