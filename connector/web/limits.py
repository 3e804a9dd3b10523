"""Bounds on every request the web app reads: how long its body may take, and how big it may be.

`RequestLimits` wraps the whole ASGI app. From the moment a request's headers are in, its body
must arrive within `body_timeout` seconds, else the client gets 408 and the connection is
closed; a client sending one byte every few seconds cannot hold a connection for long. A body
larger than `max_body_bytes` is refused with 413 on its Content-Length, or as soon as the bytes
read pass the cap, before anything is buffered. Paths under an `exempt` prefix (the webhook
receiver, which has a cap of its own) are bounded in time only.

When a bound is hit, the app sees the client as gone (`http.disconnect`) and anything it still
tries to send is dropped: the answer has already been given.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem.connector.daemon.logs import get_logger

log = get_logger("tandem.web")

DISCONNECT: Message = {"type": "http.disconnect"}


class _Request:
    """One request's bookkeeping: bytes read so far, whether the answer has begun or was ours."""

    def __init__(self, limits: RequestLimits, scope: Scope, receive: Receive, send: Send) -> None:
        self.limits = limits
        self.path = str(scope.get("path", ""))
        self.capped = not any(self.path.startswith(p) for p in limits.exempt)
        self._receive = receive
        self._send = send
        self.deadline = asyncio.get_running_loop().time() + limits.body_timeout
        self.read = 0
        self.body_done = False
        self.started = False  # the response has begun
        self.cut = False  # we answered for the app; it is told the client left

    async def receive(self) -> Message:
        if self.cut:
            return DISCONNECT
        if self.body_done:
            return await self._receive()  # e.g. waiting for the client to go: no bound
        remaining = self.deadline - asyncio.get_running_loop().time()
        try:
            message = await asyncio.wait_for(self._receive(), max(remaining, 0.0))
        except TimeoutError:
            await self.refuse(408, "Request body not received in time.")
            return DISCONNECT
        if message["type"] == "http.request":
            self.read += len(message.get("body", b""))
            if self.capped and self.read > self.limits.max_body_bytes:
                await self.refuse(413, "Request body too large.")
                return DISCONNECT
            self.body_done = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        if self.cut:
            return  # we answered already
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def refuse(self, status: int, text: str) -> None:
        log.warning("request refused", path=self.path, status=status, reason=text)
        if not self.started:
            await answer(self._send, status, text)
        self.cut = True


async def answer(send: Send, status: int, text: str) -> None:
    """A plain-text answer that also closes the connection (the rest of the body is unread)."""
    body = text.encode() + b"\n"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        body_timeout: float,
        max_body_bytes: int,
        exempt: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.max_body_bytes = max_body_bytes
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = _Request(self, scope, receive, send)
        length = declared_length(scope)
        if request.capped and length is not None and length > self.max_body_bytes:
            await request.refuse(413, "Request body too large.")
            return
        try:
            await self.app(scope, request.receive, request.send)
        except Exception:
            if not request.cut:
                raise
            # The app tripped over the client we cut off (e.g. ClientDisconnect): expected.
