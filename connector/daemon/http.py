"""The uvicorn settings `tandem run` and `tandem serve` share: bounded connections and headers.

uvicorn bounds an idle keep-alive connection but not one that is sending its headers: a
client could open a connection and send nothing, or one byte every few seconds, and hold it
for ever. `BoundedH11Protocol` gives every request `header_timeout` seconds to finish its
headers (from the connection's start, or the end of the previous response) and closes the
connection otherwise. The body has its own bound (`connector.web.limits`). Past
`max_connections` open connections uvicorn answers 503 at once.

Whenever the server closes a connection (an idle keep-alive timed out, headers too slow, an
answer with `Connection: close`), it closes it gracefully: a bare close with bytes from the
client unread, or still on their way, makes the kernel reset the connection, and a reset can
destroy the answer before the client reads it. That is the race of every keep-alive connection
reused just as the server gives up on it: the client's next delivery crosses the close and ends
in a reset. So the server sends its FIN first and reads (and drops) whatever arrives until the
client closes too, for at most `LINGER_SECONDS`: such a client sees a clean close before any
answer, which tells it the request was never read, so it can send it again.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from tandem.connector.configuration.model import DaemonConfig

LINGER_SECONDS = 2.0


class GracefulTransport:
    """A connection's transport whose `close` is graceful (see above); the rest is the
    transport's own."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self.loop = loop
        self.draining = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)

    def is_closing(self) -> bool:
        return self.draining or self.transport.is_closing()

    def close(self) -> None:
        if self.is_closing():
            return
        if not self.transport.can_write_eof():  # TLS: no half-close
            self.transport.close()
            return
        self.draining = True
        self.transport.write_eof()  # the FIN, once everything written is sent
        self.transport.resume_reading()  # read and drop until the client's FIN
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


class BoundedH11Protocol(H11Protocol):
    header_timeout: float = 10.0  # set per server by `server_config`
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        graceful = GracefulTransport(transport, self.loop)
        super().connection_made(cast(asyncio.Transport, graceful))
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        if not self.transport.is_closing():  # closing: what still comes is dropped
            super().data_received(data)

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
