"""One HTTP attempt at a supplier's API, and what its answer means for the dispatcher.

Transport failures and timeouts become TransientError; 408, 429 and 5xx answers too (with the
supplier's Retry-After); other 4xx PermanentError carrying the supplier's own words. Secrets go
into request headers only, and are scrubbed from anything echoed back into a message.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from tandem.adapters.suppliers.rest.responses import error_text, retry_after
from tandem.adapters.tls import trust_store
from tandem.connector.channels import PermanentError, TransientError
from tandem.connector.configuration.transports import RestTransport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    content: str | None = None  # the JSON body exactly as sent

    @property
    def sent(self) -> str:
        line = f"{self.method} {self.url}"
        return line if self.content is None else f"{line}\n{self.content}"


class _Borrowed(httpx.AsyncBaseTransport):
    """An injected transport lent to each call's client: closing the client leaves it open
    for the owner (a test, a shared pool) to close."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        return None


class SupplierHttp:
    def __init__(
        self,
        transport: RestTransport,
        name: str,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.transport = transport
        self.name = name
        self._inner = http_transport

    async def exchange(
        self, request: Request, *, idempotency_key: str | None = None
    ) -> httpx.Response:
        """One attempt; transport failures become TransientError, a bad URL PermanentError."""
        headers = {"Accept": "application/json", "User-Agent": "Tandem", **self._auth_headers()}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if request.content is not None:
            headers["Content-Type"] = "application/json"
        content = None if request.content is None else request.content.encode()
        transport = None if self._inner is None else _Borrowed(self._inner)
        timeout = self.transport.timeout_seconds
        try:
            async with httpx.AsyncClient(
                transport=transport, timeout=timeout, verify=trust_store()
            ) as client:
                response = await client.request(
                    request.method, request.url, content=content, headers=headers
                )
        except httpx.TimeoutException:
            raise TransientError(
                f"{self.name} did not answer {request.method} {request.url} within {timeout:g} s"
            ) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise PermanentError(f"cannot call {request.url}: {self._scrub(str(exc))}") from None
        except httpx.TransportError as exc:
            raise TransientError(
                f"cannot reach {self.name} at {request.url}: "
                f"{self._scrub(str(exc)) or type(exc).__name__}"
            ) from None
        log.info("%s %s -> %s", request.method, request.url, response.status_code)
        return response

    def raise_for(self, response: httpx.Response, request: Request) -> None:
        status = response.status_code
        if status < 300:
            return
        words = self._scrub(error_text(response)) if status >= 400 else "a redirect"
        message = f"{self.name} answered {status} to {request.method} {request.url}: "
        if status in (408, 429) or status >= 500:
            raise TransientError(message + words, retry_after=retry_after(response))
        if status < 400:
            where = response.headers.get("location", "elsewhere")
            raise PermanentError(f"{message}moved to {where}; check base_url and the path")
        raise PermanentError(message + words)

    def _auth_headers(self) -> dict[str, str]:
        auth = self.transport.auth
        if auth.type == "bearer":
            return {"Authorization": f"Bearer {self._secret(auth.token, 'token')}"}
        if auth.type == "basic":
            if not auth.username:
                raise PermanentError(f"{self.name}: auth type basic needs `username`")
            password = auth.password.get_secret_value() if auth.password else ""
            pair = base64.b64encode(f"{auth.username}:{password}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        if auth.type == "header":
            return {auth.header: self._secret(auth.value, "value")}
        return {}

    def _secret(self, secret: SecretStr | None, key: str) -> str:
        value = secret.get_secret_value() if secret is not None else ""
        if not value:
            kind = self.transport.auth.type
            raise PermanentError(f"{self.name}: auth type {kind} needs `{key}`")
        return value

    def _scrub(self, text: str) -> str:
        """Whatever a supplier or a library echoes back, our secrets do not reach a message."""
        auth = self.transport.auth
        for secret in (auth.token, auth.password, auth.value):
            value = secret.get_secret_value() if secret is not None else ""
            if len(value) >= 4:
                text = text.replace(value, "***")
        return text
