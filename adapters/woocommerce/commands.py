"""`tandem woocommerce …`: the WooCommerce side of the set-up (subscribing the webhooks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    ShopOption,
    console,
    fail,
    get_config,
    one_shop,
    reported,
)

# The client (httpx) is imported when a command runs (issue 14).
if TYPE_CHECKING:
    from tandem.adapters.woocommerce.subscriptions import Registration

app = typer.Typer(help="WooCommerce store set-up.", no_args_is_help=True)
webhooks = typer.Typer(help="Webhook subscriptions.", no_args_is_help=True)
app.add_typer(webhooks, name="webhooks")


@webhooks.command("register")
def register_command(
    url: Annotated[
        str, typer.Option("--url", help="Public URL of Tandem's /webhooks/woocommerce endpoint.")
    ],
    config_path: ConfigOption = DEFAULT_CONFIG,
    shop: ShopOption = None,
) -> None:
    """Subscribe the site's order.created and order.updated webhooks to URL, signed with the
    store's webhook_secret; webhooks already delivering there are kept."""
    import asyncio

    from tandem.adapters.woocommerce.client import WooCommerceClient
    from tandem.adapters.woocommerce.subscriptions import register_webhooks

    config = one_shop(get_config(config_path), shop)
    store = config.store
    if store.platform != "woocommerce":
        fail(f"{store.shop_name} is not a woocommerce shop", code=2)
    if store.webhook_secret is None:
        fail("store.webhook_secret is needed: WooCommerce signs every delivery with it", code=2)
    if not url.startswith(("https://", "http://")):
        fail(f"--url {url!r} is not an http(s) address", code=2)
    # The configuration is checked: a woocommerce shop has its URL and keys.
    shop_url, key, key_secret = (
        store.shop_url or "",
        store.consumer_key or "",
        store.consumer_secret,
    )
    secret = store.webhook_secret
    assert key_secret is not None

    async def run() -> Registration:
        async with WooCommerceClient(
            shop_url, key, key_secret, query_string_auth=store.query_string_auth
        ) as client:
            return await register_webhooks(client, url, secret)

    with reported():
        result = asyncio.run(run())
    for topic in result.created:
        console.print(f"created {topic} → {url}", highlight=False)
    for topic in result.kept:
        console.print(f"kept    {topic} → {url}", highlight=False)
