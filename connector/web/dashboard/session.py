"""Signed session cookies: who is logged in, their CSRF token, one-shot notices.

The cookie holds `v1.<payload>.<signature>`: the payload is base64url JSON, the signature an
HMAC-SHA256 of both under a key derived from `dashboard.secret_key`. Nothing in it is secret
(a password never is), but nothing in it can be changed without the key. Each session carries
its expiry, checked here as well as by the browser, and a CSRF token that every form posts
back; logging in replaces the token, so one picked up before login is worthless after.
A logged-in session also has an id of its own, which logging out records as ended
(`connector.store.dashboard_sessions`): a copy of the cookie dies with the session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "tandem_session"
VERSION = "v1"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Session:
    csrf: str
    expires: int  # unix time
    user: str | None = None
    fingerprint: str | None = None  # of the user's password hash: a new password ends sessions
    sid: str | None = None  # a logged-in session's id: logging out records it as ended
    notices: list[str] = field(default_factory=list)
    changed: bool = False  # the cookie must be written again

    def notice(self, text: str) -> None:
        self.notices.append(text[:400])
        self.changed = True

    def pop_notices(self) -> list[str]:
        notices, self.notices = self.notices, []
        if notices:
            self.changed = True
        return notices

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf.encode(), (token or "").encode())


class SessionCodec:
    """Turns sessions into cookie values and back; a value that fails any check is no session."""

    def __init__(self, secret: bytes, lifetime: timedelta) -> None:
        # A key for this purpose only, whatever else the secret may one day sign.
        self._key = hmac.new(secret, b"tandem dashboard session", hashlib.sha256).digest()
        self.lifetime = lifetime

    def fingerprint(self, password_hash: str) -> str:
        return hmac.new(self._key, password_hash.encode(), hashlib.sha256).hexdigest()[:32]

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._key, f"{VERSION}.{payload}".encode(), hashlib.sha256).digest()
        return _b64encode(mac)

    def dumps(self, session: Session) -> str:
        data: dict[str, Any] = {"c": session.csrf, "e": session.expires}
        if session.user is not None:
            data.update(u=session.user, f=session.fingerprint, i=session.sid)
        if session.notices:
            data["n"] = session.notices[-3:]  # a cookie holds 4 kB at most
        payload = _b64encode(json.dumps(data, separators=(",", ":")).encode())
        return f"{VERSION}.{payload}.{self._sign(payload)}"

    def loads(self, value: str | None, now: datetime) -> Session | None:
        if not value or value.count(".") != 2:
            return None
        version, payload, signature = value.split(".")
        if version != VERSION or not hmac.compare_digest(
            signature.encode(), self._sign(payload).encode()
        ):
            return None
        try:
            data = json.loads(_b64decode(payload))
            session = Session(
                csrf=str(data["c"]),
                expires=int(data["e"]),
                user=data.get("u"),
                fingerprint=data.get("f"),
                sid=data.get("i"),
                notices=[str(n) for n in data.get("n", [])],
            )
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if session.expires <= now.timestamp():
            return None
        return session

    def fresh(
        self, now: datetime, user: str | None = None, fingerprint: str | None = None
    ) -> Session:
        expires = int((now + self.lifetime).timestamp())
        sid = new_token() if user is not None else None
        return Session(new_token(), expires, user, fingerprint, sid, changed=True)

    def load(self, request: Request, now: datetime) -> Session:
        """The request's session, or a new anonymous one (to be written with the response)."""
        return self.loads(request.cookies.get(COOKIE), now) or self.fresh(now)

    def save(self, request: Request, response: Response, session: Session, now: datetime) -> None:
        if not session.changed:
            return
        response.set_cookie(
            COOKIE,
            self.dumps(session),
            max_age=max(0, session.expires - int(now.timestamp())),
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
