"""Shopify's token endpoint: an app's credentials (and a code, a session token or a refresh
token) exchanged for an Admin API access token.

Every grant is a POST to `{shop}/admin/oauth/access_token`, form-encoded, with the app's
`client_id` and `client_secret`; the answer is `{access_token, scope, expires_in?,
refresh_token?, refresh_token_expires_in?}`:

- client credentials (`grant_type=client_credentials`): an app of the merchant's own
  organisation, installed on their shop; the token lasts about a day, with no refresh token.
- authorization code (`code` from the OAuth callback) and token exchange (a session token of
  an embedded app, `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`): an offline
  token; with `expiring=1` it lasts an hour and comes with a refresh token.
- refresh (`grant_type=refresh_token`): a new expiring offline token and a new refresh token.

A refusal (4xx) is an AuthError naming the configuration keys to check; a 5xx, a 429 or a
connection failure is Unavailable, which the client retries. Tokens are SecretStr from here on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from tandem.adapters.shopify.errors import AuthError, Unavailable

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"

# A token is renewed this long before it expires: 10% of its life, at most five minutes, so
# the call that uses it never meets the end of it.
MAX_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class Grant:
    """An access token Shopify issued, and what came with it."""

    grant_type: str  # client_credentials, authorization_code, token_exchange, refresh_token
    access_token: SecretStr
    scope: frozenset[str]
    obtained_at: datetime
    expires_at: datetime | None = None  # None: the token does not expire
    refresh_token: SecretStr | None = None
    refresh_expires_at: datetime | None = None

    def renew_at(self) -> datetime | None:
        """When to stop using this token and get the next one."""
        if self.expires_at is None:
            return None
        margin = min(MAX_MARGIN, (self.expires_at - self.obtained_at) / 10)
        return self.expires_at - margin

    def fresh(self, now: datetime) -> bool:
        renew_at = self.renew_at()
        return renew_at is None or now < renew_at

    def can_refresh(self, now: datetime) -> bool:
        return self.refresh_token is not None and (
            self.refresh_expires_at is None or now < self.refresh_expires_at
        )


def token_url(shop_url: str) -> str:
    return f"{shop_url.rstrip('/')}/admin/oauth/access_token"


async def client_credentials(
    http: httpx.AsyncClient, shop_url: str, client_id: str, secret: SecretStr, now: datetime
) -> Grant:
    form = {"grant_type": "client_credentials"}
    return await _request(http, shop_url, client_id, secret, form, now, "client_credentials")


async def authorization_code(
    http: httpx.AsyncClient,
    shop_url: str,
    client_id: str,
    secret: SecretStr,
    code: str,
    now: datetime,
    *,
    expiring: bool = True,
) -> Grant:
    form = {"code": code, "expiring": "1" if expiring else "0"}
    return await _request(http, shop_url, client_id, secret, form, now, "authorization_code")


async def token_exchange(
    http: httpx.AsyncClient,
    shop_url: str,
    client_id: str,
    secret: SecretStr,
    session_token: SecretStr,
    now: datetime,
    *,
    expiring: bool = True,
) -> Grant:
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": session_token.get_secret_value(),
        "subject_token_type": ID_TOKEN,
        "requested_token_type": OFFLINE_TOKEN,
        "expiring": "1" if expiring else "0",
    }
    return await _request(http, shop_url, client_id, secret, form, now, "token_exchange")


async def refresh(
    http: httpx.AsyncClient,
    shop_url: str,
    client_id: str,
    secret: SecretStr,
    refresh_token: SecretStr,
    now: datetime,
) -> Grant:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token.get_secret_value()}
    return await _request(http, shop_url, client_id, secret, form, now, "refresh_token")


WHAT = {
    "client_credentials": "the client credentials (check store.client_id and"
    " store.client_secret, and that the app is installed on the shop)",
    "authorization_code": "the authorization code (it is used once and expires within"
    " minutes: run `tandem shopify connect --oauth` again)",
    "token_exchange": "the session token (check store.client_id and store.client_secret)",
    "refresh_token": "the refresh token (run `tandem shopify connect --oauth` again)",
}


async def _request(
    http: httpx.AsyncClient,
    shop_url: str,
    client_id: str,
    secret: SecretStr,
    form: dict[str, str],
    now: datetime,
    grant_type: str,
) -> Grant:
    shop = shop_url.split("://", 1)[-1].rstrip("/")
    body = {"client_id": client_id, "client_secret": secret.get_secret_value(), **form}
    try:
        response = await http.post(
            token_url(shop_url), data=body, headers={"Accept": "application/json"}
        )
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise Unavailable(
            f"Shopify's token endpoint for {shop} could not be reached: {type(exc).__name__}"
        ) from None
    status = response.status_code
    if status == 429 or status >= 500:
        raise Unavailable(f"Shopify's token endpoint for {shop} answered HTTP {status}")
    try:
        answer: Any = response.json()
    except ValueError:
        answer = None
    if status >= 400:
        raise AuthError(
            f"Shopify refused {WHAT[grant_type]} for {shop}: HTTP {status}, {_reason(answer)}"
        )
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
        raise Unavailable(f"Shopify's token endpoint for {shop} answered without an access token")
    return _grant(grant_type, answer, now)


def _grant(grant_type: str, answer: dict[str, Any], now: datetime) -> Grant:
    def after(key: str) -> datetime | None:
        seconds = answer.get(key)
        if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
            return now + timedelta(seconds=seconds)
        return None

    refresh_token = answer.get("refresh_token")
    return Grant(
        grant_type=grant_type,
        access_token=SecretStr(answer["access_token"]),
        scope=parse_scope(answer.get("scope")),
        obtained_at=now,
        expires_at=after("expires_in"),
        refresh_token=SecretStr(refresh_token) if isinstance(refresh_token, str) else None,
        refresh_expires_at=after("refresh_token_expires_in"),
    )


def parse_scope(value: Any) -> frozenset[str]:
    """`"read_orders,write_orders"` (Shopify separates by commas) as a set."""
    if not isinstance(value, str):
        return frozenset()
    return frozenset(s.strip() for s in value.replace(" ", ",").split(",") if s.strip())


def _reason(answer: Any) -> str:
    """Shopify's words: `{"error": ..., "error_description": ...}` or `{"errors": ...}`."""
    if isinstance(answer, dict):
        error, description = answer.get("error"), answer.get("error_description")
        if isinstance(error, str) and isinstance(description, str):
            return f"{error}: {description}"
        for value in (error, description, answer.get("errors")):
            if isinstance(value, str) and value:
                return value
    return "no reason given"
