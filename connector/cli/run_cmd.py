"""`tandem run`: leave Tandem running (scheduler + webhooks + dashboard)."""

from __future__ import annotations

from typing import Annotated

import typer

from tandem.connector.cli import options
from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    check_shops,
    get_config,
    get_database,
    reported,
)


def run_command(
    config_path: ConfigOption = DEFAULT_CONFIG,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: daemon.host).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port of the web server (default: daemon.port).")
    ] = None,
    log_level: Annotated[
        str, typer.Option(help="DEBUG, INFO, WARNING or ERROR (-v: DEBUG, -q: ERROR).")
    ] = "INFO",
    json_logs: Annotated[
        bool | None,
        typer.Option(
            "--json-logs/--text-logs", help="Log format (default: JSON unless a terminal)."
        ),
    ] = None,
) -> None:
    """Run every job on its schedule and serve webhooks, the dashboard, /healthz and /metrics
    until SIGTERM or Ctrl-C."""
    from tandem.connector.daemon import process
    from tandem.connector.daemon.logs import setup_logging
    from tandem.connector.daemon.runner import run_daemon

    setup_logging(options.log_level(log_level.upper()), json_logs)
    config = get_config(config_path)
    if host is not None:
        config.daemon.host = host
    if port is not None:
        config.daemon.port = port
    with reported():
        sock = process.listen(config.daemon.host, config.daemon.port)
    db = get_database(config)
    check_shops(config, db)
    raise typer.Exit(process.end(process.run(run_daemon(config, db, sock=sock))))
