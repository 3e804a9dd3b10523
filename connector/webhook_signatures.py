"""Webhook signatures as storefront platforms make them: base64(HMAC-SHA256(secret, raw
body)) in a header. The check is constant-time and tries every secret (the current one and,
while it is rotated, the previous), so the time taken does not tell which one matched."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from pydantic import SecretStr


def signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(body: bytes, header: str | None, secrets: Sequence[SecretStr]) -> bool:
    if not header:
        return False
    given = header.strip().encode()
    matched = False
    for secret in secrets:
        expected = signature(secret.get_secret_value(), body).encode()
        matched |= hmac.compare_digest(expected, given)
    return matched
