"""The portal's routes, mounted by the web app when `portal.enabled`: no dashboard login,
each page opened by the token in its address."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tandem.connector.configuration import TandemConfig
from tandem.connector.portal.bulk_pages import bulk_routes
from tandem.connector.portal.po_pages import po_routes
from tandem.connector.portal.web import Portal
from tandem.connector.store import Database

STYLESHEET = Path(__file__).resolve().parent.parent / "web" / "static" / "portal.css"


def portal_routes(config: TandemConfig, db: Database) -> list[BaseRoute]:
    if not config.portal.enabled:
        return []
    portal = Portal(config, db)
    css = STYLESHEET.read_bytes()

    async def stylesheet(_: Request) -> Response:
        return Response(
            css,
            media_type="text/css",
            headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    return [
        Route("/portal/portal.css", stylesheet, methods=["GET"]),
        *po_routes(portal),
        *bulk_routes(portal),
    ]
