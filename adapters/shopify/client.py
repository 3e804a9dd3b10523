"""One shop's GraphQL Admin API client: httpx, the cost throttle, and retries.

Retries (tenacity, exponential backoff with jitter, bounded by attempts and total time) cover
THROTTLED, HTTP 429 (after its Retry-After), 5xx, connect errors and timeouts. Nothing else is
retried: a 4xx or a GraphQL error would fail the same way again. A mutation's variables,
idempotency key included, are made once by the caller, so every retry sends the same key
(DESIGN.md §3, 4).

A mutation without `@idempotent` (fulfillmentCreate, tagsAdd...) is resent here only when it
surely did not run: THROTTLED, 429, a connection never made. After a timeout, a 5xx or an
unreadable answer it may have run, so the error goes back to the caller, whose next attempt
looks at the store before writing again (DESIGN.md §3, 3: never a blind resend).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pydantic import SecretStr
from shopify.api_version import ApiVersion
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)

from tandem.adapters.shopify import deprecations
from tandem.adapters.shopify.auth import StaticToken, TokenSource
from tandem.adapters.shopify.documents import Operation
from tandem.adapters.shopify.errors import (
    AuthError,
    MalformedResponse,
    RequestError,
    RetryableError,
    Throttled,
    Unavailable,
)
from tandem.adapters.shopify.throttle import Stats, Throttle
from tandem.adapters.tls import trust_store

DEFAULT_VERSION = "2026-07"
USER_AGENT = "Tandem (purchasing connector)"
# Failures that happen before the request leaves: the call cannot have run.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def shop_host(shop_url: str) -> str:
    """The shop's host, as Tandem names the shop in its tables and messages:
    "https://my-shop.myshopify.com/" -> "my-shop.myshopify.com"."""
    return shop_url.split("://", 1)[-1].rstrip("/")


def endpoint(shop_url: str, api_version: str) -> str:
    """The GraphQL Admin endpoint; ShopifyAPI knows the path of each version."""
    version = ApiVersion.coerce_to_version(api_version)
    return f"{version.api_path(shop_url.rstrip('/'))}/graphql.json"


class ShopifyClient:
    def __init__(
        self,
        shop_url: str,
        access_token: SecretStr | TokenSource,
        api_version: str = DEFAULT_VERSION,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        max_attempts: int = 8,
        max_retry_seconds: float = 120.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        throttle: Throttle | None = None,
    ) -> None:
        """`access_token`: a static token, or a source of expiring ones (adapters.shopify.auth).
        `throttle`: share one between the clients of a shop that run at the same time (the
        daemon's jobs), since Shopify keeps one bucket per app and shop."""
        self.url = endpoint(shop_url, api_version)
        self.shop = shop_host(shop_url)
        self._tokens: TokenSource = (
            StaticToken(access_token) if isinstance(access_token, SecretStr) else access_token
        )
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            verify=trust_store(),
        )
        self._throttle = throttle or Throttle(sleep=sleep, clock=clock)
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._max_retry_seconds = max_retry_seconds

    @property
    def stats(self) -> Stats:
        return self._throttle.stats

    async def __aenter__(self) -> ShopifyClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def execute(
        self, op: Operation, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run `op` and return its `data`, retrying what is safe to retry."""

        def resend(error: BaseException) -> bool:
            if not isinstance(error, RetryableError):
                return False
            return op.safe_to_resend or not error.may_have_applied

        retrying = AsyncRetrying(
            retry=retry_if_exception(resend),
            stop=stop_after_attempt(self._max_attempts) | stop_after_delay(self._max_retry_seconds),
            wait=lambda state: self._backoff(op, state),
            sleep=self._sleep,
            before_sleep=self._count_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(op, variables or {})
        raise AssertionError("unreachable")  # pragma: no cover

    def _count_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, Throttled) and state.next_action is not None:
            self.stats.waited_seconds += state.next_action.sleep

    def _backoff(self, op: Operation, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        exponential = min(30.0, 0.5 * 2 ** (state.attempt_number - 1))
        jittered = random.uniform(exponential / 2, exponential)
        if isinstance(error, RetryableError) and error.retry_after is not None:
            return error.retry_after + random.uniform(0, 0.1 * error.retry_after + 0.05)
        if isinstance(error, Throttled):
            return max(self._throttle.wait_after_throttled(op.name), 0.05) + jittered / 10
        return jittered

    async def _once(self, op: Operation, variables: dict[str, Any]) -> dict[str, Any]:
        token = await self._tokens.token(self._http)
        await self._throttle.reserve(op.name)
        self.stats.calls += 1
        body = {"query": op.text, "variables": variables}
        try:
            response = await self._post(body, token)
            # A refused token did not run the call: with a renewed one it is sent once more.
            if response.status_code == 401:
                renewed = await self._tokens.renew(self._http, token)
                if renewed is not None:
                    self.stats.calls += 1
                    response = await self._post(body, renewed)
        except NOT_SENT as exc:
            raise Unavailable(
                f"Shopify could not be reached for {op.name}: {type(exc).__name__}"
            ) from None
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise Unavailable(
                f"Shopify did not answer {op.name}: {type(exc).__name__}", may_have_applied=True
            ) from None
        return self._read(op, response)

    async def _post(self, body: dict[str, Any], token: SecretStr) -> httpx.Response:
        headers = {"X-Shopify-Access-Token": token.get_secret_value()}
        return await self._http.post(self.url, json=body, headers=headers)

    def _read(self, op: Operation, response: httpx.Response) -> dict[str, Any]:
        deprecations.notice(op.name, response.headers)
        status = response.status_code
        if status == 429:
            self.stats.throttled += 1
            raise Throttled(f"Shopify throttled {op.name} (HTTP 429)", _retry_after(response))
        if status >= 500:
            raise Unavailable(
                f"Shopify answered {op.name} with HTTP {status}",
                _retry_after(response),
                may_have_applied=True,
            )
        if status in (401, 403):
            raise AuthError(
                f"Shopify refused the access token for {self.shop} (HTTP {status});"
                f" check {self._tokens.origin} and the app's scopes"
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if status >= 400:
            raise RequestError(f"Shopify refused {op.name} (HTTP {status}): {_message(body)}")
        if not isinstance(body, dict):
            raise MalformedResponse(f"Shopify answered {op.name} with something not a JSON object")
        extensions = body.get("extensions") or {}
        if isinstance(extensions, dict):
            self._throttle.record(op.name, extensions.get("cost"))
        errors = body.get("errors") or []
        if errors:
            codes = _codes(errors)
            if "THROTTLED" in codes:
                self.stats.throttled += 1
                raise Throttled(f"Shopify throttled {op.name}")
            if "INTERNAL_SERVER_ERROR" in codes:
                raise Unavailable(
                    f"Shopify failed on {op.name}: {_message(body)}", may_have_applied=True
                )
            if "ACCESS_DENIED" in codes:
                raise AuthError(f"Shopify denied {op.name}: {_message(body)}")
            raise RequestError(f"Shopify rejected {op.name}: {_message(body)}", codes)
        data = body.get("data")
        if not isinstance(data, dict):
            raise MalformedResponse(f"Shopify answered {op.name} without data")
        return data


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _codes(errors: Any) -> list[str]:
    if not isinstance(errors, list):
        return []
    return [
        str((e.get("extensions") or {}).get("code", "")) if isinstance(e, dict) else ""
        for e in errors
    ]


def _message(body: Any) -> str:
    """Shopify's own words for what went wrong, each with the field it was about."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, str):
        return errors
    if isinstance(errors, dict):  # {"query": "Required parameter missing or invalid"}
        return "; ".join(f"{k}: {v}" for k, v in errors.items()) or "no details"
    if isinstance(errors, list) and errors:
        parts = []
        for error in errors[:3]:
            if not isinstance(error, dict):
                continue
            message = str(error.get("message", "no message"))
            path = error.get("path")
            if isinstance(path, list) and path:
                message = f"{'.'.join(str(p) for p in path)}: {message}"
            parts.append(message)
        return "; ".join(parts) or "no details"
    return "no details"
