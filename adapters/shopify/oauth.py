"""Installing Tandem's app on a shop by OAuth (authorization code grant): the permission URL
the merchant opens, and the callback Shopify redirects the browser to, checked before its
code is exchanged (grants.authorization_code).

A callback is taken only when
- its `hmac` is Shopify's signature of its other parameters with the app's client secret and
  its `timestamp` is less than a day old (ShopifyAPI's `Session.validate_params`);
- its `shop` is the shop Tandem is connecting;
- its `state` is one Tandem made for that shop less than an hour ago (signed with the client
  secret, so `tandem shopify connect` can check it in a later run, with nothing stored).
Anything else is refused with one line saying which check failed; the code is never used.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping

import shopify
from pydantic import SecretStr

from tandem.adapters.shopify.errors import ShopifyError

STATE_SECONDS = 3600


class CallbackRefused(ShopifyError):
    """An OAuth callback that is not Shopify's answer to this install."""


def _session_class(client_id: str, secret: SecretStr) -> type[shopify.Session]:
    # ShopifyAPI keeps the app's key and secret on the class: one subclass per app, so two
    # shops (or a test) never share them.
    attributes = {"api_key": client_id, "secret": secret.get_secret_value()}
    return type("TandemSession", (shopify.Session,), attributes)


def make_state(secret: SecretStr, shop: str, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    nonce = secrets.token_urlsafe(12)
    return f"{issued}.{nonce}.{_state_mac(secret, shop, issued, nonce)}"


def _state_mac(secret: SecretStr, shop: str, issued: int, nonce: str) -> str:
    message = f"tandem-oauth-state|{shop}|{issued}|{nonce}".encode()
    return hmac.new(secret.get_secret_value().encode(), message, hashlib.sha256).hexdigest()[:32]


def _state_ok(state: str, secret: SecretStr, shop: str, now: float) -> bool:
    parts = state.split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return False
    issued = int(parts[0])
    expected = _state_mac(secret, shop, issued, parts[1])
    return hmac.compare_digest(expected, parts[2]) and 0 <= now - issued < STATE_SECONDS


def permission_url(
    shop_url: str,
    client_id: str,
    secret: SecretStr,
    scopes: Iterable[str],
    redirect_uri: str,
    state: str,
    api_version: str = "2026-07",
) -> str:
    """Where the merchant approves the app: `{shop}/admin/oauth/authorize?client_id=&scope=
    &redirect_uri=&state=` (ShopifyAPI's `create_permission_url`, on the shop's own URL)."""
    session = _session_class(client_id, secret)(shop_url, api_version)
    made = session.create_permission_url(list(scopes), redirect_uri, state)
    query = urllib.parse.urlsplit(made).query
    return f"{shop_url.rstrip('/')}/admin/oauth/authorize?{query}"


def callback_params(callback: str | Mapping[str, str]) -> dict[str, str]:
    """The parameters of a callback, from the address the browser landed on (or its query)."""
    if isinstance(callback, Mapping):
        return {str(k): str(v) for k, v in callback.items()}
    text = callback.strip()
    query = urllib.parse.urlsplit(text).query if "?" in text or "://" in text else text
    return dict(urllib.parse.parse_qsl(query, keep_blank_values=True))


def verify_callback(
    callback: str | Mapping[str, str],
    *,
    shop_url: str,
    client_id: str,
    secret: SecretStr,
    clock: Callable[[], float] = time.time,
) -> str:
    """The authorization code of a genuine callback; CallbackRefused otherwise."""
    params = callback_params(callback)
    shop = shop_url.split("://", 1)[-1].rstrip("/")
    if not params.get("hmac"):
        raise CallbackRefused("the OAuth callback carries no hmac: it is not from Shopify")
    try:
        signed = _session_class(client_id, secret).validate_params(params)
    except ValueError:  # a timestamp that is not a number
        signed = False
    if not signed:
        raise CallbackRefused(
            "the OAuth callback's hmac does not match the app's client secret, or it is more"
            " than a day old: it is refused (check store.client_secret and approve again)"
        )
    if params.get("shop", "").lower() != shop.lower():
        raise CallbackRefused(
            f"the OAuth callback is for {params.get('shop') or 'no shop'}, not {shop}"
        )
    if not _state_ok(params.get("state", ""), secret, shop, clock()):
        raise CallbackRefused(
            "the OAuth callback's state is not one Tandem made for this shop in the last"
            " hour: open the permission URL again"
        )
    code = params.get("code")
    if not code:
        raise CallbackRefused("the OAuth callback carries no code")
    return code
