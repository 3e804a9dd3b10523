"""The Starlette application: `POST /webhooks/shopify`, `GET /healthz`, `GET /metrics` and the
dashboard (`connector.web.dashboard`), as both `tandem serve` and `tandem run` serve it.

The webhook route does the least work that makes a delivery safe — verify, store (with the
Shopify adapter's helpers) — and answers 200 at once; reading the order and planning happen
after the response (`on_delivery`), so Shopify's 5-second timeout is never at risk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from adapters.shopify.webhooks import Delivery, parse_delivery, store_delivery, verify
from connector.clock import utcnow
from connector.configuration import TandemConfig
from connector.daemon import metrics
from connector.daemon.logs import bound, get_logger
from connector.portal.routes import portal_routes
from connector.store import Database
from connector.web.bounded import read_bounded, too_large
from connector.web.dashboard import dashboard_routes
from connector.web.limits import RequestLimits

log = get_logger("tandem.web")

OnDelivery = Callable[[], Awaitable[None]]


def _claimed(value: str | None) -> str | None:
    return value if value is None or len(value) <= 100 else value[:100] + "…"


def create_app(
    config: TandemConfig,
    db: Database,
    *,
    on_delivery: OnDelivery | None = None,
    health: Callable[[], dict[str, Any]] | None = None,
) -> Starlette:
    """The web app. `health` adds the daemon's job times to /healthz."""
    secrets = [s for s in (config.store.webhook_secret, config.store.previous_webhook_secret) if s]
    max_body = config.daemon.max_webhook_bytes

    def store(delivery: Delivery) -> bool:
        try:
            with db.write() as conn:
                return store_delivery(conn, delivery, utcnow())
        except IntegrityError:
            return False  # the same delivery stored a moment ago by a concurrent request

    async def shopify_webhook(request: Request) -> Response:
        with metrics.webhook_latency.time():
            return await receive(request)

    async def receive(request: Request) -> Response:
        headers = request.headers
        # As the sender claims until the signature is checked (cut short, for the log's
        # sake); ids only, never the body.
        with bound(
            webhook_id=_claimed(headers.get("x-shopify-webhook-id")),
            topic=_claimed(headers.get("x-shopify-topic")),
            shop=_claimed(headers.get("x-shopify-shop-domain")),
        ):
            body = await read_bounded(request, max_body)
            if body is None:
                log.warning("webhook refused: body too large", limit=max_body)
                return too_large(max_body)
            if not secrets:
                log.warning("webhook refused: store.webhook_secret is not set")
                return PlainTextResponse("webhooks are not configured", status_code=401)
            if not verify(body, headers.get("x-shopify-hmac-sha256"), secrets):
                log.warning("webhook refused: bad signature")
                return PlainTextResponse("invalid signature", status_code=401)
            delivery = parse_delivery(dict(headers), body)
            if isinstance(delivery, str):
                log.warning("webhook refused", reason=delivery)
                return PlainTextResponse(delivery, status_code=400)
            new = await run_in_threadpool(store, delivery)
            with bound(order=delivery.resource_id):
                log.info("webhook stored" if new else "webhook already stored")
        task = BackgroundTask(on_delivery) if new and on_delivery else None
        return PlainTextResponse("ok" if new else "duplicate", background=task)

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
        # Something Tandem depends on fails (connector.health): unhealthy, saying what.
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
            Route("/webhooks/shopify", shopify_webhook, methods=["POST"]),
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
