"""`tandem shopify …`: the Shopify side of the set-up (subscribing the webhooks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tandem.adapters.shopify.connect_cmd import connect
from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    console,
    errors,
    fail,
    get_config,
    reported,
)

# The client (httpx, ShopifyAPI) is imported when a command runs: `tandem --help` lists them
# without it (issue 14).
if TYPE_CHECKING:
    from tandem.adapters.shopify.definitions import Definition
    from tandem.adapters.shopify.webhooks import Registration

app = typer.Typer(help="Shopify store set-up.", no_args_is_help=True)
app.command("connect")(connect)
webhooks = typer.Typer(help="Webhook subscriptions.", no_args_is_help=True)
app.add_typer(webhooks, name="webhooks")


@webhooks.command("register")
def register_command(
    url: Annotated[
        str, typer.Option("--url", help="Public URL of Tandem's /webhooks/shopify endpoint.")
    ],
    config_path: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Subscribe the shop's order and app webhooks to URL; existing ones are kept. Also
    defines and pins the order metafield Tandem shows its purchase orders in."""
    import asyncio

    from tandem.adapters.shopify.definitions import define_purchase_orders
    from tandem.adapters.shopify.sync import make_client
    from tandem.adapters.shopify.webhooks import register_webhooks

    config = get_config(config_path)
    if config.store.platform != "shopify":
        fail("store.platform is not shopify", code=2)

    async def run() -> tuple[Registration, Definition]:
        async with make_client(config) as client:
            return await register_webhooks(client, url), await define_purchase_orders(client)

    with reported():
        result, definition = asyncio.run(run())
    for topic in result.created:
        console.print(f"created {topic} → {url}", highlight=False)
    for topic in result.kept:
        console.print(f"kept    {topic} → {url}", highlight=False)
    pinned = "pinned on the order page" if definition.pinned else "not pinned"
    console.print(
        f"order metafield tandem.purchase_orders: {definition.outcome}, {pinned}",
        highlight=False,
    )
    if definition.problem:
        errors.print(f"warning: {definition.problem}", highlight=False, markup=False)
