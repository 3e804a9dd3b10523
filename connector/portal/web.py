"""What the portal's pages share: opening a link, limits, bounded bodies, templates, headers.

A request whose token does not open (forged, expired, revoked, another supplier's) gets the
same 403 page whatever the reason; the reason goes to the log with the token masked. Pages
send no Referer to another site (the token is in the address), may not be framed, and are
not cached. A post must come from the page's own origin when the browser says where from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.money import money
from tandem.connector.portal.limits import RateLimit
from tandem.connector.portal.tokens import Denied, masked
from tandem.connector.services.po_document import buyer
from tandem.connector.store import Database

log = logging.getLogger("tandem.web.portal")

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
T = TypeVar("T")

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # never the token to another site
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}
MAX_FORM_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # a shipments file for a few thousand rows
MAX_APPLY_BYTES = 3 * MAX_UPLOAD_BYTES + MAX_FORM_BYTES  # the file again, URL-encoded


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


async def read_form(request: Request, limit: int = MAX_FORM_BYTES) -> FormData:
    """A URL-encoded or multipart form of at most `limit` bytes (`TooLarge` beyond); any
    other body reads as an empty form. An uploaded file arrives as its text (UTF-8)."""
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return FormData()
    body = await read_body(request, limit)
    fields: list[tuple[str, str | UploadFile]] = []
    if kind == "application/x-www-form-urlencoded":
        fields += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return FormData(fields[:5000])
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return FormData()
    for part in list(message.iter_parts())[:20]:
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields.append((name, payload.decode("utf-8-sig", "replace")))
    return FormData(fields)


class Portal:
    def __init__(self, config: TandemConfig, db: Database) -> None:
        self.config = config
        self.db = db
        self.tz = ZoneInfo(config.timezone)
        per_minute = config.portal.actions_per_minute
        self.actions = RateLimit(per_minute)
        self.pages = RateLimit(max(60, 4 * per_minute))
        me = buyer(config)
        self.buyer_name = me.company or me.name
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
        )
        self.env.filters.update(when=self.when, money=money)
        base = urlsplit(config.portal.base_url or "")
        self.origin = f"{base.scheme}://{base.netloc}" if base.netloc else None

    def when(self, value: Any) -> str:
        if value is None:
            return "—"
        return str(value.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z"))

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        page = self.env.get_template(f"portal/{template}").render(
            buyer_name=self.buyer_name, **context
        )
        response = HTMLResponse(page, status_code=status)
        response.headers.update(HEADERS)
        return response

    def message(self, status: int, title: str, text: str) -> Response:
        return self.render("message.html", status, title=title, message=text)

    def denied(self, request: Request, token: str, why: Denied | str) -> Response:
        log.warning("portal: refused %s %s: %s", request.method, _path_without(request, token), why)
        return self.message(
            403,
            "This link does not open anything",
            "It may have expired or been replaced by a newer one. Ask"
            f" {self.buyer_name} for a new link; nothing was changed.",
        )

    def stale_form(self, request: Request, token: str) -> Response:
        log.warning(
            "portal: refused %s %s: the form's security token is missing or stale",
            request.method,
            _path_without(request, token),
        )
        return self.message(
            403,
            "This form has expired",
            "It was open too long, or did not come from this page; nothing was changed."
            " Open the link again and send the form once more.",
        )

    def too_many(self) -> Response:
        response = self.message(
            429, "Too many requests", "This link was used too often just now; wait a minute."
        )
        response.headers["Retry-After"] = "60"
        return response

    def too_large(self) -> Response:
        return self.message(413, "Too large", "What was sent is too large; nothing was changed.")

    def cross_site(self, request: Request) -> bool:
        """A post from another site (the browser says where a form came from)."""
        origin = request.headers.get("origin")
        if origin is None or origin == "null":
            return origin == "null"
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        return origin not in (own, self.origin)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        def work() -> T:
            with self.db.read() as conn:
                return fn(conn, *args)

        return await run_in_threadpool(work)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await run_in_threadpool(fn, *args)

    def failed(self, what: str, exc: Exception) -> Response:
        log.error("portal: %s failed: %s", what, type(exc).__name__)
        return self.message(
            500,
            "Something went wrong",
            f"Nothing was recorded. Try again in a few minutes, or tell {self.buyer_name}.",
        )

    def now(self) -> Any:
        return utcnow()


def _path_without(request: Request, token: str) -> str:
    """The request's path with the token cut to its first characters."""
    return request.url.path.replace(token, masked(token)) if token else request.url.path
