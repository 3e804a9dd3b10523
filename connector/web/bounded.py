"""Reading a request body with a cap, before any of it is buffered past the cap.

A body declared larger than the cap (Content-Length) is refused before a byte of it is read;
one sent without a length (chunked) is read chunk by chunk and refused as soon as it passes
the cap, the rest left unread. The answer to such a request closes the connection.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response


async def read_bounded(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > limit:
            return None
        body += chunk
    return bytes(body)


def too_large(limit: int) -> Response:
    return PlainTextResponse(
        f"the body is larger than {limit} bytes", status_code=413, headers={"Connection": "close"}
    )
