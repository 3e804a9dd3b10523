"""A real HTTP server for feed tests (and benchmarks/feed_refresh.py): serves one feed at
`/feed.csv` with an ETag and Last-Modified, answers conditional requests with 304, can ask
for a bearer token, and records every request's headers."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    status: int = 0


@dataclass
class FeedServer:
    body: bytes = b""
    token: str | None = None  # when set, requests need "Authorization: Bearer <token>"
    status: int | None = None  # when set, every answer has this status (500: a broken feed)
    send_length: bool = True  # False: no Content-Length, the body ends with the connection
    requests: list[Seen] = field(default_factory=list)
    _modified: float = 1_700_000_000.0
    _server: ThreadingHTTPServer | None = None

    def serve(self, body: bytes) -> None:
        """A new version of the feed (a new ETag and a later Last-Modified)."""
        self.body = body
        self._modified += 60

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/feed.csv"

    def __enter__(self) -> FeedServer:
        feed = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                seen = Seen(self.path, dict(self.headers.items()))
                feed.requests.append(seen)
                seen.status = self._answer()

            def _answer(self) -> int:
                if feed.token is not None and (
                    self.headers.get("Authorization") != f"Bearer {feed.token}"
                ):
                    return self._empty(401)
                if feed.status is not None:
                    return self._empty(feed.status)
                if self.headers.get("If-None-Match") == feed.etag:
                    return self._empty(304)
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("ETag", feed.etag)
                self.send_header("Last-Modified", formatdate(feed._modified, usegmt=True))
                if feed.send_length:
                    self.send_header("Content-Length", str(len(feed.body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                view = memoryview(feed.body)
                for start in range(0, len(view), 1 << 16):
                    self.wfile.write(view[start : start + (1 << 16)])
                return 200

            def _empty(self, status: int) -> int:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                if status == 304:
                    self.send_header("ETag", feed.etag)
                self.end_headers()
                return status

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
