"""`tandem shopify webhooks register` and `tandem serve`: the Shopify side of the set-up."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from adapters.shopify.sync import make_client
from adapters.shopify.webhooks import Registration, register_webhooks
from connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    console,
    errors,
    fail,
    get_config,
    reported,
)

app = typer.Typer(help="Shopify store set-up.", no_args_is_help=True)
webhooks = typer.Typer(help="Webhook subscriptions.", no_args_is_help=True)
app.add_typer(webhooks, name="webhooks")


@webhooks.command("register")
def register_command(
    url: Annotated[
        str, typer.Option("--url", help="Public URL of Tandem's /webhooks/shopify endpoint.")
    ],
    config_path: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Subscribe the shop's order and app webhooks to URL; existing ones are kept."""
    config = get_config(config_path)
    if config.store.platform != "shopify":
        fail("store.platform is not shopify", code=2)

    async def run() -> Registration:
        async with make_client(config) as client:
            return await register_webhooks(client, url)

    with reported():
        result = asyncio.run(run())
    for topic in result.created:
        console.print(f"created {topic} → {url}", highlight=False)
    for topic in result.kept:
        console.print(f"kept    {topic} → {url}", highlight=False)


def serve_command(
    config_path: ConfigOption = DEFAULT_CONFIG,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: daemon.host).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: daemon.port).")
    ] = None,
) -> None:
    """Receive Shopify webhooks at /webhooks/shopify (and serve the dashboard): each new order
    is read, planned and written back right after the answer."""
    import uvicorn

    from adapters.shopify.sync import shopify_pass
    from adapters.suppliers import make_channel
    from connector.cli.common import get_database
    from connector.daemon import process
    from connector.daemon.http import server_config
    from connector.web import create_app

    config = get_config(config_path)
    with reported():
        # Before anything starts, so a port in use is one line (see `process.listen`).
        sock = process.listen(
            host or config.daemon.host, config.daemon.port if port is None else port
        )
    db = get_database(config)
    lock = asyncio.Lock()
    again = asyncio.Event()

    async def on_delivery() -> None:
        again.set()
        if lock.locked():
            return  # the running pass goes round once more and reads this delivery too
        async with lock:
            while again.is_set():
                again.clear()
                result = await shopify_pass(
                    db, config, channels=make_channel, poll=False, push_stock=False
                )
                for line in result.problems + result.failures:
                    errors.print(line, highlight=False, markup=False)

    app = create_app(config, db, on_delivery=on_delivery)
    host, port = sock.getsockname()[:2]
    config_ = server_config(app, config.daemon, host, port)
    uvicorn.Server(config_).run(sockets=[sock])
