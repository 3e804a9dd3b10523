"""Logging in and out.

The login form carries a CSRF token like every other form (a session cookie exists before
login for that reason), so another site cannot log a browser in under its own account.
A wrong user name takes as long to refuse as a wrong password, and after too many failures
from one address the form refuses for a while.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connector.clock import utcnow
from connector.web.dashboard.passwords import verify_password
from connector.web.dashboard.session import Session
from connector.web.dashboard.web import Dashboard, read_form, safe_next

log = logging.getLogger("tandem.web.dashboard")


class Throttle:
    """At most `limit` failed logins per client address in `window` seconds."""

    def __init__(self, limit: int = 10, window: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures[client]
        cutoff = time.monotonic() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return deque()
        return failures

    def blocked(self, client: str) -> bool:
        return len(self._recent(client)) >= self.limit

    def failed(self, client: str) -> None:
        self._failures[client].append(time.monotonic())

    def clear(self, client: str) -> None:
        self._failures.pop(client, None)


def check_password(dashboard: Dashboard, name: str, password: str) -> bool:
    stored = dashboard.users.get(name)
    if stored is None:
        # Same work as for a real user, so the time taken does not say which names exist.
        verify_password(password, next(iter(dashboard.users.values())))
        return False
    return verify_password(password, stored)


def auth_routes(dashboard: Dashboard) -> list[BaseRoute]:
    throttle = Throttle()

    def login_page(
        request: Request,
        session: Session,
        status: int = 200,
        error: str | None = None,
        target: str | None = None,
    ) -> Response:
        target = safe_next(target or request.query_params.get("next"))
        return dashboard.render(
            request, session, "login.html", status, error=error, next=target, title="Log in"
        )

    async def login_form(request: Request) -> Response:
        if not dashboard.users:
            return dashboard.setup(request)
        session = dashboard.sessions.load(request, utcnow())
        if dashboard.user(session) is not None:
            return dashboard.redirect(request, session, safe_next(request.query_params.get("next")))
        return login_page(request, session)

    async def login(request: Request) -> Response:
        if not dashboard.users:
            return dashboard.setup(request)
        now = utcnow()
        session = dashboard.sessions.load(request, now)
        form = await read_form(request)
        token, name, password, target = (
            value if isinstance(value, str) else None
            for value in (form.get(k) for k in ("csrf", "username", "password", "next"))
        )
        if not session.csrf_ok(token):
            return dashboard.forbidden(
                request, "the login form's security token is missing or stale"
            )
        client = request.client.host if request.client else "unknown"
        if throttle.blocked(client):
            why = "Too many failed attempts; wait a few minutes."
            return login_page(request, session, 429, why, target)
        name = (name or "").strip()
        if (
            not name
            or not password
            or not await dashboard.run(check_password, dashboard, name, password)
        ):
            throttle.failed(client)
            log.warning("dashboard: failed login from %s", client)
            return login_page(request, session, 401, "Wrong user name or password.", target)
        throttle.clear(client)
        log.info("dashboard: %s logged in from %s", name, client)
        fingerprint = dashboard.sessions.fingerprint(dashboard.users[name])
        fresh = dashboard.sessions.fresh(now, name, fingerprint)
        return dashboard.redirect(request, fresh, safe_next(target))

    async def logout(request: Request, session: Session, _form: object) -> Response:
        log.info("dashboard: %s logged out", session.user)
        fresh = dashboard.sessions.fresh(utcnow())
        fresh.notice("You are logged out.")
        return dashboard.redirect(request, fresh, "/login")

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", dashboard.action(logout), methods=["POST"]),
    ]
