"""Apps installed on the stand-in shop, and the Admin API tokens they hold.

A test adds an app (`shop.apps.add(client_id, client_secret, scopes=...)`) and Tandem gets
its tokens as from Shopify, at `POST /admin/oauth/access_token` (form or JSON body):

- `grant_type=client_credentials`: a token lasting `token_seconds` (Shopify: 86399);
- `code` from `GET /admin/oauth/authorize` (approved at once, redirected to `redirect_uri`
  with Shopify's HMAC-signed query), and the token exchange of a session token
  (`session_token()`, a JWT signed with the client secret): an offline token, expiring after
  `offline_seconds` with a refresh token when `expiring=1`, else lasting until revoked;
- `grant_type=refresh_token`: a new expiring token and refresh token. As Shopify does since
  August 2026, the refresh token used stays valid until its replacement's token is first
  used, so a lost answer can be asked again.

The GraphQL endpoint accepts the stand-in's static token and any app token not yet expired;
an expired or unknown one is answered 401 as Shopify does. Tokens, codes and refresh tokens
expire by `clock` (wall time), so a test can issue tokens lasting two seconds and wait.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"

# guess: Shopify's exact words for these refusals are not recorded.
BAD_CLIENT = {
    "error": "invalid_client",
    "error_description": "Client authentication failed: unknown client or wrong client secret.",
}
NOT_INSTALLED = {
    "error": "invalid_request",
    "error_description": "The app is not installed on this shop.",
}
# From a public report of Shopify's answer to a code used twice.
BAD_CODE = {
    "error": "invalid_request",
    "error_description": "The authorization code was not found or was already used",
}
BAD_REFRESH = {
    "error": "invalid_grant",
    "error_description": "The refresh token is invalid, expired or revoked.",
}
BAD_SESSION_TOKEN = {
    "error": "invalid_subject_token",
    "error_description": "The session token is invalid or expired.",
}


@dataclass
class App:
    client_id: str
    client_secret: str
    scopes: list[str]
    token_seconds: float = 86399  # client credentials
    offline_seconds: float = 3600  # expiring offline tokens
    refresh_seconds: float = 90 * 86400
    installed: bool = True


@dataclass
class Issued:
    client_id: str
    grant_type: str
    scopes: list[str]
    expires_at: float | None
    replaces_refresh: str | None = None  # retired when this token is first used


@dataclass
class Apps:
    clock: Callable[[], float] = time.time
    apps: dict[str, App] = field(default_factory=dict)
    tokens: dict[str, Issued] = field(default_factory=dict)
    codes: dict[str, tuple[str, list[str], float]] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[str, list[str], float]] = field(default_factory=dict)
    grants: list[str] = field(default_factory=list)  # each token issued, by grant type
    refusals: list[dict[str, str]] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def add(self, client_id: str, client_secret: str, *, scopes: list[str], **settings: Any) -> App:
        app = App(client_id, client_secret, list(scopes), **settings)
        with self._lock:
            self.apps[client_id] = app
        return app

    def clear(self) -> None:
        with self._lock:
            for table in (self.apps, self.tokens, self.codes, self.refresh_tokens):
                table.clear()
            self.grants.clear()
            self.refusals.clear()

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working now (as at a secret rotation)."""
        with self._lock:
            self.tokens.clear()

    def valid(self, token: str | None) -> bool:
        with self._lock:
            issued = self.tokens.get(token or "")
            if issued is None or not self.apps.get(issued.client_id, App("", "", [])).installed:
                return False
            if issued.expires_at is not None and self.clock() >= issued.expires_at:
                return False
            if issued.replaces_refresh is not None:
                self.refresh_tokens.pop(issued.replaces_refresh, None)
                issued.replaces_refresh = None
            return True

    # -- the token endpoint -------------------------------------------------------------------

    def token_request(self, form: Mapping[str, str], shop: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            app = self.apps.get(form.get("client_id", ""))
            secret = form.get("client_secret", "")
            if app is None or not hmac.compare_digest(secret.encode(), app.client_secret.encode()):
                return self._refuse(400, BAD_CLIENT)
            if not app.installed:
                return self._refuse(400, NOT_INSTALLED)
            grant = form.get("grant_type", "authorization_code" if "code" in form else "")
            expiring = form.get("expiring") == "1"
            if grant == "client_credentials":
                return 200, self._issue(app, grant, app.scopes, app.token_seconds)
            if grant == "authorization_code":
                found = self.codes.pop(form.get("code", ""), None)
                if found is None or found[0] != app.client_id or self.clock() >= found[2]:
                    return self._refuse(400, BAD_CODE)
                return 200, self._offline(app, grant, found[1], expiring)
            if grant == TOKEN_EXCHANGE:
                claims = self._session_claims(app, form, shop)
                if claims is None:
                    return self._refuse(400, BAD_SESSION_TOKEN)
                return 200, self._offline(app, grant, app.scopes, expiring)
            if grant == "refresh_token":
                used = form.get("refresh_token", "")
                found = self.refresh_tokens.get(used)
                if found is None or found[0] != app.client_id or self.clock() >= found[2]:
                    return self._refuse(400, BAD_REFRESH)
                return 200, self._offline(app, grant, found[1], True, replaces=used)
            return self._refuse(
                400, {"error": "unsupported_grant_type", "error_description": grant or "none"}
            )

    def _refuse(self, status: int, body: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.refusals.append(body)
        return status, dict(body)

    def _issue(
        self,
        app: App,
        grant: str,
        scopes: list[str],
        seconds: float | None,
        replaces: str | None = None,
    ) -> dict[str, Any]:
        token = f"shpat_{secrets.token_hex(16)}"
        expires_at = None if seconds is None else self.clock() + seconds
        self.tokens[token] = Issued(app.client_id, grant, list(scopes), expires_at, replaces)
        self.grants.append(grant)
        answer: dict[str, Any] = {"access_token": token, "scope": ",".join(scopes)}
        if seconds is not None:
            answer["expires_in"] = seconds
        return answer

    def _offline(
        self, app: App, grant: str, scopes: list[str], expiring: bool, replaces: str | None = None
    ) -> dict[str, Any]:
        if not expiring:
            return self._issue(app, grant, scopes, None)
        answer = self._issue(app, grant, scopes, app.offline_seconds, replaces)
        refresh = f"shprt_{secrets.token_hex(16)}"
        self.refresh_tokens[refresh] = (app.client_id, scopes, self.clock() + app.refresh_seconds)
        answer["refresh_token"] = refresh
        answer["refresh_token_expires_in"] = app.refresh_seconds
        return answer

    # -- OAuth: the merchant approves, the session token ---------------------------------------

    def authorize(self, query: Mapping[str, str], shop: str) -> tuple[int, str]:
        """The merchant approves the app at once: the callback URL (or a refusal's text)."""
        with self._lock:
            app = self.apps.get(query.get("client_id", ""))
            redirect = query.get("redirect_uri", "")
            if app is None or not redirect:
                return 400, "Oauth error invalid_request: unknown client_id or no redirect_uri"
            scopes = [s for s in query.get("scope", "").split(",") if s]
            code = secrets.token_hex(16)
            self.codes[code] = (app.client_id, scopes, self.clock() + 600)
            app.installed = True
            params = {
                "code": code,
                "host": base64.b64encode(f"{shop}/admin".encode()).decode().rstrip("="),
                "shop": shop,
                "timestamp": str(int(self.clock())),
            }
            if "state" in query:
                params["state"] = query["state"]
            params["hmac"] = callback_hmac(params, app.client_secret)
            separator = "&" if "?" in redirect else "?"
            return 302, f"{redirect}{separator}{urllib.parse.urlencode(params)}"

    def session_token(self, client_id: str, shop_url: str, *, seconds: float = 60) -> str:
        """A session token as App Bridge gives an embedded app (HS256, the client secret)."""
        app = self.apps[client_id]
        now = int(self.clock())
        claims = {
            "iss": f"{shop_url}/admin",
            "dest": shop_url,
            "aud": client_id,
            "sub": "1",
            "exp": now + int(seconds),
            "nbf": now,
            "iat": now,
            "jti": secrets.token_hex(8),
            "sid": secrets.token_hex(8),
        }
        return _jwt(claims, app.client_secret)

    def _session_claims(
        self, app: App, form: Mapping[str, str], shop: str
    ) -> dict[str, Any] | None:
        if form.get("subject_token_type") != ID_TOKEN:
            return None
        if form.get("requested_token_type", OFFLINE_TOKEN) != OFFLINE_TOKEN:
            return None
        claims = _jwt_claims(form.get("subject_token", ""), app.client_secret)
        if claims is None or claims.get("aud") != app.client_id:
            return None
        if str(claims.get("dest", "")).split("://", 1)[-1] != shop:
            return None
        if not isinstance(claims.get("exp"), int) or self.clock() >= claims["exp"]:
            return None
        return claims


def callback_hmac(params: Mapping[str, str], secret: str) -> str:
    """Shopify's signature of an OAuth callback: hex HMAC-SHA256 of the sorted `k=v` pairs
    (all but `hmac`) joined by `&`."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt(claims: dict[str, Any], secret: str) -> str:
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def _jwt_claims(token: str, secret: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256)
    if not hmac.compare_digest(_b64(expected.digest()), parts[2]):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


# -- HTTP -------------------------------------------------------------------------------------


def app_routes(apps: Apps) -> list[Route]:
    """The token endpoint and the authorize page. The shop in callbacks and session tokens is
    the host Tandem addresses (on Shopify, the shop's myshopify.com domain)."""

    async def access_token(request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                raw = json.loads(body or b"{}")
            except ValueError:
                raw = {}
            form = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
        else:  # application/x-www-form-urlencoded, as Shopify documents it
            form = dict(urllib.parse.parse_qsl(body.decode(errors="replace")))
        status, answer = apps.token_request(form, request.url.netloc)
        return JSONResponse(answer, status_code=status)

    async def authorize(request: Request) -> Response:
        status, answer = apps.authorize(dict(request.query_params), request.url.netloc)
        if status == 302:
            return RedirectResponse(answer, status_code=302)
        return PlainTextResponse(answer, status_code=status)

    return [
        Route("/admin/oauth/access_token", access_token, methods=["POST"]),
        Route("/admin/oauth/authorize", authorize, methods=["GET"]),
    ]
