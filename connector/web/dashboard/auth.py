"""Logging in and out.

The login form carries a CSRF token like every other form (a session cookie exists before
login for that reason), so another site cannot log a browser in under its own account.
A wrong user name takes as long to refuse as a wrong password. Attempts are counted before
the password is hashed and only a few hashes run at once (`connector.web.dashboard.throttle`):
after too many failures from one address the form refuses for a while (429), in a way that
does not lock the owner out. Logging out ends the session for good, copies of its cookie too.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tandem.connector.clock import utcnow
from tandem.connector.web.dashboard.passwords import verify_password
from tandem.connector.web.dashboard.session import Session
from tandem.connector.web.dashboard.throttle import Busy, HashSlots, LoginLimits
from tandem.connector.web.dashboard.web import Dashboard, read_form, safe_next

log = logging.getLogger("tandem.web.dashboard")


def check_password(dashboard: Dashboard, name: str, password: str) -> bool:
    stored = dashboard.users.get(name)
    if stored is None:
        # Same work as for a real user, so the time taken does not say which names exist.
        verify_password(password, next(iter(dashboard.users.values())))
        return False
    return verify_password(password, stored)


def auth_routes(dashboard: Dashboard) -> list[BaseRoute]:
    limits = LoginLimits()
    slots = HashSlots()

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
        session = await dashboard.load(request)
        if dashboard.user(session) is not None:
            return dashboard.redirect(request, session, safe_next(request.query_params.get("next")))
        return login_page(request, session)

    async def login(request: Request) -> Response:
        if not dashboard.users:
            return dashboard.setup(request)
        now = utcnow()
        session = await dashboard.load(request)
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
        name = (name or "").strip()
        attempt = limits.begin(client, name)  # counted now, before the slow hash
        if attempt is None:
            log.warning("dashboard: login refused from %s: too many failures", client)
            why = "Too many failed attempts; wait a few minutes."
            return login_page(request, session, 429, why, target)
        try:
            async with slots.slot():
                right = bool(name and password) and await dashboard.run(
                    check_password, dashboard, name, password or ""
                )
        except Busy:
            limits.cancel(attempt)  # not checked: not counted
            log.warning("dashboard: login refused from %s: too many at once", client)
            why = "Too many logins at once; try again in a moment."
            return login_page(request, session, 429, why, target)
        if not right:
            log.warning("dashboard: failed login from %s", client)
            return login_page(request, session, 401, "Wrong user name or password.", target)
        limits.succeeded(attempt)
        log.info("dashboard: %s logged in from %s", name, client)
        fingerprint = dashboard.sessions.fingerprint(dashboard.users[name])
        fresh = dashboard.sessions.fresh(now, name, fingerprint)
        return dashboard.redirect(request, fresh, safe_next(target))

    async def logout(request: Request, session: Session, _form: object) -> Response:
        await dashboard.end(session)  # a copy of the cookie is no session either
        log.info("dashboard: %s logged out", session.user)
        fresh = dashboard.sessions.fresh(utcnow())
        fresh.notice("You are logged out.")
        return dashboard.redirect(request, fresh, "/login")

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", dashboard.action(logout), methods=["POST"]),
    ]
