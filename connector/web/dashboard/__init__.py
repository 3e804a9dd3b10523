"""The operations dashboard: orders, POs, exceptions and suppliers, behind a login.

Server-rendered pages (Jinja2, autoescaped) and plain HTML forms; every change is a POST
carrying the session's CSRF token. `dashboard_routes` gives the routes to mount at the root of
the web app, beside the webhook receiver.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tandem.connector.configuration import TandemConfig
from tandem.connector.store import Database
from tandem.connector.web.dashboard.actions import action_routes
from tandem.connector.web.dashboard.auth import auth_routes
from tandem.connector.web.dashboard.pages import page_routes
from tandem.connector.web.dashboard.passwords import hash_password, verify_password
from tandem.connector.web.dashboard.web import Dashboard

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "dashboard.css"

__all__ = ["dashboard_routes", "hash_password", "verify_password"]


def dashboard_routes(config: TandemConfig, db: Database) -> list[BaseRoute]:
    dashboard = Dashboard(config, db)
    css = STYLESHEET.read_bytes()

    async def stylesheet(_: Request) -> Response:
        return Response(
            css,
            media_type="text/css",
            headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    return [
        Route("/static/dashboard.css", stylesheet, methods=["GET"]),
        *auth_routes(dashboard),
        *page_routes(dashboard),
        *action_routes(dashboard),
    ]
