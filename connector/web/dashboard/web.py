"""What every dashboard page shares: templates, sessions, the login and CSRF guards, headers.

`Dashboard.page` wraps a GET handler: no users configured shows how to add one, no session
sends the browser to /login. `Dashboard.action` wraps a POST handler: it also needs the form's
CSRF token to match the session's, else 403 and nothing is touched.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.money import money
from tandem.connector.store import Database, dashboard_sessions
from tandem.connector.web.dashboard.session import Session, SessionCodec

log = logging.getLogger("tandem.web.dashboard")

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
T = TypeVar("T")
P = ParamSpec("P")

PageHandler = Callable[[Request, Session], Awaitable[Response]]
ActionHandler = Callable[[Request, Session, FormData], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


MAX_FORM_BYTES = 64 * 1024


async def read_form(request: Request) -> FormData:
    """The posted form. The dashboard's forms are URL-encoded (no uploads), so this needs
    no multipart parser; anything else, or anything too big, reads as an empty form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return FormData()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return FormData()
    fields: list[tuple[str, str | UploadFile]] = list(
        parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    )
    return FormData(fields)


def safe_next(target: str | None) -> str:
    """A local path to return to after login; anything else (another site) becomes `/`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


class Dashboard:
    def __init__(self, config: TandemConfig, db: Database) -> None:
        self.config = config
        self.db = db
        self.tz = ZoneInfo(config.timezone)
        settings = config.dashboard
        if settings.secret_key is not None:
            key = settings.secret_key.get_secret_value().encode()
        else:
            key = secrets.token_bytes(32)
            if settings.users:
                log.warning(
                    "dashboard.secret_key is not set: sessions are signed with a random key"
                    " and end when the process restarts"
                )
        self.sessions = SessionCodec(key, timedelta(hours=settings.session_hours))
        self.users = {u.name: u.password_hash.get_secret_value() for u in settings.users}
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
        )
        self.env.filters.update(
            when=self.when, ago=self.ago, duration=duration, money=money_or_dash
        )

    # --- formatting -------------------------------------------------------------------------

    def when(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return value.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z")

    def ago(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return duration((utcnow() - value).total_seconds()) + " ago"

    # --- sessions and responses ---------------------------------------------------------------

    def user(self, session: Session) -> str | None:
        """The logged-in user, if the session names one still configured with that password."""
        stored = self.users.get(session.user or "")
        if stored is None or session.fingerprint != self.sessions.fingerprint(stored):
            return None
        return session.user if session.sid else None  # no id: from before sessions had one

    async def load(self, request: Request) -> Session:
        """The request's session; a new anonymous one if it has none or it was logged out."""
        now = utcnow()
        session = self.sessions.load(request, now)
        if session.sid is not None and await self.read(dashboard_sessions.is_ended, session.sid):
            return self.sessions.fresh(now)
        return session

    async def end(self, session: Session) -> None:
        """Log `session` out for good: any copy of its cookie is no session from now on."""
        if session.sid is None:
            return
        sid, expires = session.sid, datetime.fromtimestamp(session.expires, UTC)

        def work() -> None:
            try:
                with self.db.write() as conn:
                    dashboard_sessions.end_session(conn, sid, expires, utcnow())
            except IntegrityError:
                pass  # the same session logged out by a concurrent request

        await run_in_threadpool(work)

    def finish(self, request: Request, response: Response, session: Session | None) -> Response:
        if session is not None:
            self.sessions.save(request, response, session, utcnow())
        response.headers.update(HEADERS)
        return response

    def render(
        self,
        request: Request,
        session: Session | None,
        template: str,
        status: int = 200,
        **context: Any,
    ) -> Response:
        page = self.env.get_template(f"dashboard/{template}").render(
            user=self.user(session) if session else None,
            csrf=session.csrf if session else "",
            notices=session.pop_notices() if session else [],
            path=request.url.path,
            **context,
        )
        return self.finish(request, HTMLResponse(page, status_code=status), session)

    def redirect(self, request: Request, session: Session | None, url: str) -> Response:
        return self.finish(request, RedirectResponse(url, status_code=303), session)

    def forbidden(self, request: Request, why: str) -> Response:
        log.warning("dashboard: refused %s %s: %s", request.method, request.url.path, why)
        return self.render(request, None, "error.html", 403, title="Forbidden", message=why)

    def not_found(self, request: Request, session: Session, message: str) -> Response:
        return self.render(request, session, "error.html", 404, title="Not found", message=message)

    def setup(self, request: Request) -> Response:
        return self.render(request, None, "setup.html", 503, title="Set up the dashboard")

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Blocking work (the database, password hashing) off the event loop."""
        return await run_in_threadpool(fn, *args, **kwargs)

    async def read(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`fn(conn, ...)` in a read transaction, off the event loop."""

        def work() -> T:
            with self.db.read() as conn:
                return fn(conn, *args, **kwargs)

        return await run_in_threadpool(work)

    # --- guards -------------------------------------------------------------------------------

    def page(self, handler: PageHandler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            if not self.users:
                return self.setup(request)
            session = await self.load(request)
            if self.user(session) is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return self.redirect(request, session, f"/login?next={quote(target, safe='')}")
            return await handler(request, session)

        return endpoint

    def action(self, handler: ActionHandler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            if not self.users:
                return self.setup(request)
            session = await self.load(request)
            if self.user(session) is None:
                return self.forbidden(request, "not logged in (or the session has expired)")
            form = await read_form(request)
            token = form.get("csrf")
            if not session.csrf_ok(token if isinstance(token, str) else None):
                return self.forbidden(request, "the form's security token is missing or stale")
            return await handler(request, session, form)

        return endpoint


def money_or_dash(value: Decimal | None, currency: str | None = None) -> str:
    """The `money` filter: an amount as `connector.money` writes it, or "—" when there is none."""
    return "—" if value is None else money(value, currency)
