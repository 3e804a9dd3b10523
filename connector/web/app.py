"""The Starlette application: `POST /webhooks/{platform}`, `GET /healthz`, `GET /metrics` and the
dashboard (`connector.web.dashboard`), as both `tandem serve` and `tandem run` serve it.

The webhook route does the least work that makes a delivery safe — find the shop it is for,
verify and check with the platform's webhook door (`connector.platforms`), store — and answers
200 at once; reading the
order and planning happen after the response (`on_delivery`), so a platform's delivery timeout
(seconds) is never at risk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tandem.connector.configuration import TandemConfig
from tandem.connector.daemon import metrics
from tandem.connector.daemon.logs import get_logger
from tandem.connector.portal.routes import portal_routes
from tandem.connector.store import Database
from tandem.connector.web.dashboard import dashboard_routes
from tandem.connector.web.limits import RequestLimits
from tandem.connector.web.webhook_route import OnDelivery, webhook_endpoint

log = get_logger("tandem.web")


def create_app(
    config: TandemConfig,
    db: Database,
    *,
    on_delivery: OnDelivery | None = None,
    health: Callable[[], dict[str, Any]] | None = None,
) -> Starlette:
    """The web app. `health` adds the daemon's job times to /healthz."""
    webhook = webhook_endpoint(config, db, on_delivery)

    async def healthz(_: Request) -> Response:
        def check() -> None:
            with db.read() as conn:
                conn.execute(text("SELECT 1"))

        extra = health() if health else {}
        try:
            await run_in_threadpool(check)
        except Exception as exc:  # any database failure is "unhealthy"
            body = {"database": f"error: {type(exc).__name__}", **extra}
            return JSONResponse(body, status_code=503)
        # Something Tandem depends on fails (tandem.connector.health): unhealthy, saying what.
        status = 503 if extra.get("failing") else 200
        return JSONResponse({"database": "ok", **extra}, status_code=status)

    async def prometheus(_: Request) -> Response:
        try:
            await run_in_threadpool(metrics.read_state, db)
        except Exception as exc:  # the counters are still worth serving
            log.warning("metrics: database not read", error=f"{type(exc).__name__}: {exc}")
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/webhooks/{platform}", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", prometheus, methods=["GET"]),
            *dashboard_routes(config, db),
            *portal_routes(config, db),  # the supplier portal, when portal.enabled
        ],
        middleware=[
            Middleware(
                RequestLimits,
                body_timeout=config.daemon.body_timeout.total_seconds(),
                max_body_bytes=config.daemon.max_body_bytes,
                exempt=("/webhooks/",),  # the receiver caps its own bodies
            )
        ],
    )
