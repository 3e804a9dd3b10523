"""`tandem serve`: the web app alone (webhooks, dashboard, portal), each delivery followed by a
pass over the shop without polling."""

from __future__ import annotations

from typing import Annotated

import typer

from tandem.connector.cli.common import DEFAULT_CONFIG, ConfigOption, errors, get_config, reported


def serve_command(
    config_path: ConfigOption = DEFAULT_CONFIG,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: daemon.host).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: daemon.port).")
    ] = None,
) -> None:
    """Receive the shop's webhooks at /webhooks/{platform} (and serve the dashboard): each new
    order is read, planned and written back right after the answer."""
    import asyncio

    import uvicorn

    from tandem.adapters.suppliers import make_channel
    from tandem.connector.cli.common import get_database
    from tandem.connector.daemon import process
    from tandem.connector.daemon.http import server_config
    from tandem.connector.sync import store_pass
    from tandem.connector.web import create_app

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
                result = await store_pass(
                    db, config, channels=make_channel, poll=False, push_stock=False
                )
                for line in result.problems + result.failures:
                    errors.print(line, highlight=False, markup=False)

    app = create_app(config, db, on_delivery=on_delivery)
    host, port = sock.getsockname()[:2]
    config_ = server_config(app, config.daemon, host, port)
    process.settle_heap()
    uvicorn.Server(config_).run(sockets=[sock])
