"""One WooCommerce site's REST API v3 client: httpx, consumer key/secret, retries.

Requests go to `{shop_url}/wp-json/wc/v3` with the consumer key and secret as HTTP basic auth.
WooCommerce takes them so only over HTTPS (over plain HTTP it wants OAuth 1.0a), so a plain
`http://` site is refused unless it is this machine (a local test site). With
`store.query_string_auth` (servers that strip the Authorization header) they go in the query
string instead, and never appear in an error or a log line.

Retries (exponential backoff with jitter, Retry-After honoured) cover 429, 5xx, connect
errors and timeouts, for requests that are safe to repeat (reads, PUTs and batch updates,
which set values). A request that adds something (an order note) is resent only when it
surely did not run (429, no connection); otherwise the error goes back to the caller, whose
next attempt reads the order before writing again.

Errors: WooCommerceError (a refusal, in WooCommerce's own words and code), AuthError (the keys
are refused), and Unavailable (a TemporaryError: may pass by itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from tandem.adapters.tls import trust_store
from tandem.connector.errors import TandemError, TemporaryError

API_PATH = "/wp-json/wc/v3"
USER_AGENT = "Tandem (purchasing connector)"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
MAX_RETRY_AFTER = 60.0


class WooCommerceError(TandemError):
    """WooCommerce refused a request; the message names the request and WooCommerce's words."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code, self.status = code, status


class AuthError(WooCommerceError):
    """The consumer key or secret is refused (revoked, wrong, or without the permission)."""


class NotFoundError(WooCommerceError):
    pass


class Unavailable(WooCommerceError, TemporaryError):
    """The site is busy, down or unreachable, or its answer was unreadable."""


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int
    pages: int


def site_host(shop_url: str) -> str:
    """The site's host (and port), as Tandem names the shop: "https://shop.example/" ->
    "shop.example"."""
    return urlsplit(shop_url).netloc.lower() or shop_url


class WooCommerceClient:
    def __init__(
        self,
        shop_url: str,
        consumer_key: str,
        consumer_secret: SecretStr,
        *,
        query_string_auth: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        max_attempts: int = 6,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        parts = urlsplit(shop_url)
        if parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
            raise WooCommerceError(
                f"store.shop_url {shop_url!r}: WooCommerce takes API keys over HTTPS only"
            )
        self.base = shop_url.rstrip("/") + API_PATH
        self._key, self._secret = consumer_key, consumer_secret
        self._query_auth = query_string_auth
        auth = None if query_string_auth else (consumer_key, consumer_secret.get_secret_value())
        self._http = httpx.AsyncClient(
            auth=auth,
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            verify=trust_store(),
        )
        self.max_attempts, self._sleep = max_attempts, sleep
        self.requests = 0
        self.waited_seconds = 0.0

    async def __aenter__(self) -> WooCommerceClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- calls -----------------------------------------------------------------------------

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return (await self.request("GET", path, params=params)).json()

    async def page(self, path: str, params: dict[str, Any]) -> Page:
        """One page of a collection, with WooCommerce's X-WP-Total and X-WP-TotalPages."""
        response = await self.request("GET", path, params=params)
        items = self._json(response, path)
        if not isinstance(items, list):
            raise Unavailable(f"WooCommerce GET {path}: the answer is not a list")
        try:
            total = int(response.headers.get("x-wp-total", len(items)))
            pages = int(response.headers.get("x-wp-totalpages", 1))
        except ValueError:
            raise Unavailable(f"WooCommerce GET {path}: unreadable page headers") from None
        return Page(items, total, pages)

    async def put(self, path: str, body: dict[str, Any]) -> Any:
        return self._json(await self.request("PUT", path, json=body), path)

    async def post(self, path: str, body: dict[str, Any], *, repeatable: bool) -> Any:
        """`repeatable`: the request sets values (a batch update), so resending it after a lost
        answer is safe; otherwise (it adds something) it is resent only when it surely did not
        run."""
        response = await self.request("POST", path, json=body, repeatable=repeatable)
        return self._json(response, path)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        repeatable: bool = True,
    ) -> httpx.Response:
        query = dict(params or {})
        if self._query_auth:
            query |= {"consumer_key": self._key, "consumer_secret": self._secret_value()}
        what = f"WooCommerce {method} {path}"
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            try:
                response = await self._http.request(
                    method, self.base + path, params=query, json=json
                )
            except httpx.HTTPError as exc:
                sent = not isinstance(exc, NOT_SENT)
                lost = Unavailable(f"{what}: {self._scrub(type(exc).__name__ + ' ' + str(exc))}")
                if attempt >= self.max_attempts or (sent and not repeatable):
                    raise lost from None
                await self._wait(attempt, None)
                continue
            if response.status_code < 400:
                return response
            error = self._error(what, response)
            retry = isinstance(error, Unavailable) and (repeatable or response.status_code == 429)
            if not retry or attempt >= self.max_attempts:
                raise error
            await self._wait(attempt, response.headers.get("retry-after"))

    # -- helpers ---------------------------------------------------------------------------

    def _secret_value(self) -> str:
        return self._secret.get_secret_value()

    def _scrub(self, text: str) -> str:
        for secret in (self._secret_value(), self._key):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _json(self, response: httpx.Response, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise Unavailable(
                f"WooCommerce {response.request.method} {path}: the answer is not JSON"
            ) from None

    def _error(self, what: str, response: httpx.Response) -> WooCommerceError:
        status = response.status_code
        code = message = None
        try:
            body = response.json()
            if isinstance(body, dict):
                code, message = body.get("code"), body.get("message")
        except ValueError:
            pass
        words = self._scrub(str(message or response.reason_phrase or "error"))[:300]
        text = f"{what}: {words} ({f'{code}, ' if code else ''}HTTP {status})"
        kind: type[WooCommerceError] = WooCommerceError
        if status == 429 or status >= 500:
            kind = Unavailable
        elif status in (401, 403):
            kind = AuthError
        elif status == 404:
            kind = NotFoundError
        return kind(text, code=str(code) if code else None, status=status)

    async def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = min(30.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
        if retry_after:
            # An HTTP date instead of seconds: the backoff stands.
            with contextlib.suppress(ValueError):
                delay = max(delay, min(MAX_RETRY_AFTER, float(retry_after)))
        self.waited_seconds += delay
        await self._sleep(delay)
