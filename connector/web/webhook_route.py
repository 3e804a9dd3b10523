"""`POST /webhooks/{platform}`: a delivery for one of the configured shops of that platform.

The route finds the shop the delivery is for (the shop whose webhook secret signed it; the
one the sender names is tried first), lets that shop's webhook door check it, stores it (in
one transaction with the deliveries arriving meanwhile: `delivery_writer`) and answers;
`on_delivery` runs after the response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from tandem.connector.configuration import TandemConfig
from tandem.connector.daemon import metrics
from tandem.connector.daemon.logs import bound, get_logger
from tandem.connector.platforms import Storefront, storefront, unsigned_ping
from tandem.connector.store import Database
from tandem.connector.web.bounded import read_bounded, too_large
from tandem.connector.web.delivery_writer import DeliveryWriter

log = get_logger("tandem.web")

OnDelivery = Callable[[], Awaitable[None]]
Endpoint = Callable[[Request], Awaitable[Response]]


def _claimed(value: str | None) -> str | None:
    return value if value is None or len(value) <= 100 else value[:100] + "…"


def signed_by(
    shops: list[Storefront], claimed: str | None, headers: Mapping[str, str], body: bytes
) -> tuple[Storefront | None, bool]:
    """(The shop the delivery is for, whether that is certain by its secret alone.) A sender
    naming one of the shops must have signed with that shop's secret. Otherwise the shops
    whose secret signed it: one, and the delivery is that shop's; several (an app signing
    every shop's webhooks with one secret), and the name the sender gives decides later."""
    named = (claimed or "").casefold().split("://")[-1].rstrip("/")

    def signed(shop: Storefront) -> bool:
        door = shop.webhooks
        return bool(
            door is not None
            and shop.webhook_secrets
            and door.verify(headers, body, shop.webhook_secrets)
        )

    for shop in shops:
        if shop.shop.casefold() == named:
            return (shop, False) if signed(shop) else (None, False)
    fits = [shop for shop in shops if signed(shop)]
    return (fits[0] if fits else None), len(fits) == 1


def webhook_endpoint(
    config: TandemConfig, db: Database, on_delivery: OnDelivery | None
) -> Endpoint:
    shops = [storefront(shop) for shop in config.shops()]
    max_body = config.daemon.max_webhook_bytes

    writer = DeliveryWriter(db)

    async def webhook(request: Request) -> Response:
        platform = request.path_params["platform"]
        doors = [s for s in shops if s.platform == platform and s.webhooks is not None]
        if not doors:  # the body is left unread: the connection is closed with the answer
            return PlainTextResponse(
                "no such webhook endpoint", status_code=404, headers={"Connection": "close"}
            )
        with metrics.webhook_latency.time():
            return await receive(request, doors)

    async def receive(request: Request, candidates: list[Storefront]) -> Response:
        headers = request.headers
        door = candidates[0].webhooks
        assert door is not None
        # As the sender claims until the signature is checked (cut short, for the log's
        # sake); ids only, never the body.
        claims = {key: _claimed(value) for key, value in door.claimed(headers).items()}
        with bound(**claims):
            body = await read_bounded(request, max_body)
            if body is None:
                log.warning("webhook refused: body too large", limit=max_body)
                return too_large(max_body)
            if unsigned_ping(door, headers, body):
                log.info("webhook test ping answered")
                return PlainTextResponse("ok")
            if not any(s.webhook_secrets for s in candidates):
                log.warning("webhook refused: store.webhook_secret is not set")
                return PlainTextResponse("webhooks are not configured", status_code=401)
            shop, by_secret = signed_by(candidates, claims.get("shop"), headers, body)
            if shop is None or shop.webhooks is None:
                log.warning("webhook refused: bad signature")
                return PlainTextResponse("invalid signature", status_code=401)
            delivery = shop.webhooks.parse(dict(headers), body)
            if isinstance(delivery, str):
                log.warning("webhook refused", reason=delivery)
                return PlainTextResponse(delivery, status_code=400)
            if len(candidates) > 1 and by_secret:
                # Several shops of the platform, and only this one's secret fits: the
                # delivery is this shop's, whatever name the sender gives the shop.
                delivery = replace(delivery, shop=shop.shop)
            new = await writer.store(delivery)
            with bound(order=delivery.resource_id, shop=shop.shop):
                log.info("webhook stored" if new else "webhook already stored")
        task = BackgroundTask(on_delivery) if new and on_delivery else None
        return PlainTextResponse("ok" if new else "duplicate", background=task)

    return webhook
