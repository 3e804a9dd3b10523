"""`tandem db upgrade`: bring the database schema up to date (other commands do it too)."""

from __future__ import annotations

import typer

from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    ShopOption,
    check_shop,
    console,
    fail,
    get_config,
    get_database,
    one_shop,
)
from tandem.connector.platforms import Capability, can

app = typer.Typer(help="The state database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(config_path: ConfigOption = DEFAULT_CONFIG) -> None:
    """Apply pending migrations."""
    config = get_config(config_path)
    get_database(config)
    console.print("database schema is up to date")


@app.command("adopt-shop")
def adopt_shop(config_path: ConfigOption = DEFAULT_CONFIG, shop: ShopOption = None) -> None:
    """Make this database the one that serves the configured shop, after the database that
    served it was lost for good. Orders that database handled stay fenced: the shop still
    names their POs, so they are not ordered again."""
    config = one_shop(get_config(config_path), shop)
    if not can(config, Capability.CLAIM):
        fail(
            f"a {config.store.platform} shop does not name the database that serves it;"
            " nothing to adopt"
        )
    db = get_database(config)
    check_shop(config, db, adopt=True)
    console.print(f"{config.store.shop_name} is now served by {db.describe()}", highlight=False)
