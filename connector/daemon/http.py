"""The uvicorn settings `tandem run` and `tandem serve` share: bounded connections and headers.

uvicorn bounds an idle keep-alive connection but not one that is sending its headers: a
client could open a connection and send nothing, or one byte every few seconds, and hold it
for ever. `BoundedH11Protocol` gives every request `header_timeout` seconds to finish its
headers (from the connection's start, or the end of the previous response) and closes the
connection otherwise. The body has its own bound (`connector.web.limits`). Past
`max_connections` open connections uvicorn answers 503 at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from tandem.connector.configuration.model import DaemonConfig


class BoundedH11Protocol(H11Protocol):
    header_timeout: float = 10.0  # set per server by `server_config`
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        if not self.transport.is_closing():
            self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_late(self) -> None:
        self._header_deadline = None
        # IDLE: no request's headers are complete (a request being answered is past IDLE).
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def server_config(
    app: Any, daemon: DaemonConfig, host: str, port: int, **options: Any
) -> uvicorn.Config:
    """uvicorn.Config for `app` with the daemon's bounds on connections and headers."""
    protocol = type(
        "TandemH11Protocol",
        (BoundedH11Protocol,),
        {"header_timeout": daemon.header_timeout.total_seconds()},
    )
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        limit_concurrency=daemon.max_connections,
        timeout_keep_alive=max(1, int(daemon.keep_alive_timeout.total_seconds())),
        h11_max_incomplete_event_size=daemon.max_header_bytes,
        **options,
    )
