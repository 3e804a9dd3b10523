"""A feed at a URL: a conditional GET (If-None-Match / If-Modified-Since) streamed to a file.

An unchanged feed costs that one request (304, nothing downloaded). Connection failures,
timeouts, 429 (after its Retry-After, at most MAX_RETRY_AFTER) and 5xx are tried again, a few
times within `max_seconds`; other 4xx are not. Credentials (`auth`, `headers`) go only into
the request: messages name the URL without its query string, and never a header.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

from tandem.adapters.feeds.download import BoundedFile, local_name
from tandem.adapters.tls import trust_store
from tandem.connector.catalogue.sources import FeedError, Fetched, Validators
from tandem.connector.configuration.feeds import UrlFeed, feed_label

ATTEMPTS = 3
MAX_RETRY_AFTER = 60.0
USER_AGENT = "Tandem (purchasing connector; catalogue feed)"


class _Retry(FeedError):
    def __init__(self, message: str, after: float | None = None) -> None:
        super().__init__(message)
        self.after = after


class UrlSource:
    def __init__(self, feed: UrlFeed, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.feed = feed
        self.label = feed_label(feed)
        self._transport = transport

    async def fetch(self, known: Validators | None, folder: Path) -> Fetched | None:
        try:
            async with asyncio.timeout(self.feed.max_seconds):
                return await self._with_retries(known, folder)
        except TimeoutError:
            raise FeedError(
                f"{self.label}: not downloaded within max_seconds ({self.feed.max_seconds:g} s)"
            ) from None

    async def _with_retries(self, known: Validators | None, folder: Path) -> Fetched | None:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retry),
            stop=stop_after_attempt(ATTEMPTS),
            wait=_backoff,
            reraise=True,
        )
        async with self._client() as client:
            async for attempt in retrying:
                with attempt:
                    return await self._once(client, known, folder)
        raise AssertionError("unreachable")  # pragma: no cover

    def _client(self) -> httpx.AsyncClient:
        feed = self.feed
        headers = {"User-Agent": USER_AGENT}
        headers.update({k: v.get_secret_value() for k, v in feed.headers.items()})
        auth: httpx.Auth | None = None
        a = feed.auth
        if a.type == "bearer" and a.token is not None:
            headers["Authorization"] = f"Bearer {a.token.get_secret_value()}"
        elif a.type == "basic" and a.username is not None:
            password = a.password.get_secret_value() if a.password else ""
            auth = httpx.BasicAuth(a.username, password)
        elif a.type == "header" and a.value is not None:
            headers[a.header] = a.value.get_secret_value()
        return httpx.AsyncClient(
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(feed.timeout_seconds),
            follow_redirects=True,
            transport=self._transport,
            verify=trust_store(),
        )

    async def _once(
        self, client: httpx.AsyncClient, known: Validators | None, folder: Path
    ) -> Fetched | None:
        conditions: dict[str, str] = {}
        if known is not None and known.etag:
            conditions["If-None-Match"] = known.etag
        if known is not None and known.last_modified:
            conditions["If-Modified-Since"] = known.last_modified
        try:
            async with client.stream("GET", self.feed.url, headers=conditions) as response:
                if response.status_code == 304:
                    return None
                self._refuse(response)
                path = folder / local_name(urlsplit(str(response.url)).path or self.feed.url)
                with BoundedFile(path, self.feed.max_bytes, self.label) as out:
                    out.refuse_size(_length(response))
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
                return Fetched(
                    path=path,
                    validators=Validators(
                        response.headers.get("ETag"), response.headers.get("Last-Modified")
                    ),
                    sha256=out.sha256,
                    size=out.size,
                    modified_at=_http_date(response.headers.get("Last-Modified")),
                )
        except httpx.TimeoutException:
            raise _Retry(
                f"{self.label}: no answer within {self.feed.timeout_seconds:g} s"
            ) from None
        except httpx.TransportError as exc:
            raise _Retry(f"{self.label}: {type(exc).__name__}: {exc}") from None

    def _refuse(self, response: httpx.Response) -> None:
        status = response.status_code
        if status == 429 or status >= 500:
            after = _retry_after(response.headers.get("Retry-After"))
            raise _Retry(f"{self.label}: the server answered {status}", after)
        if status in (401, 403):
            raise FeedError(
                f"{self.label}: the server refused the credentials ({status}); check"
                " catalogue.source.auth and headers"
            )
        if status >= 300:
            raise FeedError(f"{self.label}: the server answered {status}")


def _backoff(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, _Retry) and error.after is not None:
        return min(error.after, MAX_RETRY_AFTER)
    exponential = min(10.0, 0.5 * 2 ** (state.attempt_number - 1))
    return random.uniform(exponential / 2, exponential)


def _length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None or "Content-Encoding" in response.headers:
        return None  # compressed: the length is not what is written
    return int(value) if value.isdigit() else None


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    when = _http_date(value)
    return None if when is None else max(0.0, (when - datetime.now(UTC)).total_seconds())


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
