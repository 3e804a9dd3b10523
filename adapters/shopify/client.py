"""One shop's GraphQL Admin API client: httpx, the cost throttle, and retries.

Retries (tenacity, exponential backoff with jitter, bounded by attempts and total time) cover
what did not take effect: THROTTLED, HTTP 429 (after its Retry-After), 5xx, connect errors and
timeouts. Nothing else is retried: a 4xx or a GraphQL error would fail the same way again. A
mutation's variables, idempotency key included, are made once by the caller, so every retry
sends the same key (DESIGN.md §3, 4).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pydantic import SecretStr
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
)

from adapters.shopify.documents import Operation
from adapters.shopify.errors import (
    AuthError,
    RequestError,
    RetryableError,
    Throttled,
    Unavailable,
)
from adapters.shopify.throttle import Stats, Throttle

DEFAULT_VERSION = "2026-07"
USER_AGENT = "Tandem (purchasing connector)"


def endpoint(shop_url: str, api_version: str) -> str:
    return f"{shop_url.rstrip('/')}/admin/api/{api_version}/graphql.json"


class ShopifyClient:
    def __init__(
        self,
        shop_url: str,
        access_token: SecretStr,
        api_version: str = DEFAULT_VERSION,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        max_attempts: int = 8,
        max_retry_seconds: float = 120.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = endpoint(shop_url, api_version)
        self.shop = shop_url.split("://", 1)[-1]
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            headers={
                "X-Shopify-Access-Token": access_token.get_secret_value(),
                "User-Agent": USER_AGENT,
            },
        )
        self._throttle = Throttle(sleep=sleep, clock=clock)
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

    async def execute(self, op: Operation, variables: dict[str, Any] | None = None) -> Any:
        """Run `op` and return its `data`, retrying what is safe to retry."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(RetryableError),
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

    def _count_retry(self, _state: RetryCallState) -> None:
        self.stats.retries += 1

    def _backoff(self, op: Operation, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        exponential = min(30.0, 0.5 * 2 ** (state.attempt_number - 1))
        jittered = random.uniform(exponential / 2, exponential)
        if isinstance(error, RetryableError) and error.retry_after is not None:
            return error.retry_after + random.uniform(0, 0.1 * error.retry_after + 0.05)
        if isinstance(error, Throttled):
            return max(self._throttle.wait_after_throttled(op.name), 0.05) + jittered / 10
        return jittered

    async def _once(self, op: Operation, variables: dict[str, Any]) -> Any:
        await self._throttle.reserve(op.name)
        self.stats.calls += 1
        try:
            response = await self._http.post(
                self.url, json={"query": op.text, "variables": variables}
            )
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise Unavailable(f"Shopify did not answer {op.name}: {type(exc).__name__}") from None
        return self._read(op, response)

    def _read(self, op: Operation, response: httpx.Response) -> Any:
        status = response.status_code
        if status == 429:
            self.stats.throttled += 1
            raise Throttled(f"Shopify throttled {op.name} (HTTP 429)", _retry_after(response))
        if status >= 500:
            raise Unavailable(
                f"Shopify answered {op.name} with HTTP {status}", _retry_after(response)
            )
        if status in (401, 403):
            raise AuthError(
                f"Shopify refused the access token for {self.shop} (HTTP {status});"
                " check store.access_token and the app's scopes"
            )
        try:
            body = response.json()
        except ValueError:
            raise Unavailable(f"Shopify answered {op.name} with something not JSON") from None
        if status >= 400:
            raise RequestError(f"Shopify refused {op.name} (HTTP {status}): {_message(body)}")
        extensions = body.get("extensions") or {}
        self._throttle.record(op.name, extensions.get("cost"))
        errors = body.get("errors") or []
        if errors:
            codes = [str((e.get("extensions") or {}).get("code", "")) for e in errors]
            if "THROTTLED" in codes:
                self.stats.throttled += 1
                raise Throttled(f"Shopify throttled {op.name}")
            if "INTERNAL_SERVER_ERROR" in codes:
                raise Unavailable(f"Shopify failed on {op.name}: {_message(body)}")
            if "ACCESS_DENIED" in codes:
                raise AuthError(f"Shopify denied {op.name}: {_message(body)}")
            raise RequestError(f"Shopify rejected {op.name}: {_message(body)}", codes)
        return body.get("data")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _message(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list) and errors:
        return "; ".join(str(e.get("message", e)) for e in errors[:3] if isinstance(e, dict))
    return "no details"
