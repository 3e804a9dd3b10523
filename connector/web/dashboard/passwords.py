"""Dashboard passwords: PBKDF2-SHA256 hashes in `pbkdf2_sha256$<iterations>$<salt>$<hash>` form.

Only the hash goes in the configuration (`tandem dashboard hash-password` makes one). The salt
and the hash are standard base64; the iteration count travels with the hash, so raising the
default later keeps old hashes valid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP's 2023 figure for PBKDF2-HMAC-SHA256
MIN_ITERATIONS = 200_000
SALT_BYTES = 16


class PasswordHashError(ValueError):
    """A stored hash that is not in `pbkdf2_sha256$<iterations>$<salt>$<hash>` form."""


def hash_password(password: str, *, iterations: int = ITERATIONS) -> str:
    if not password:
        raise ValueError("the password is empty")
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return "$".join([ALGORITHM, str(iterations), _b64(salt), _b64(digest)])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def parse_hash(stored: str) -> tuple[int, bytes, bytes]:
    """(iterations, salt, digest) of a stored hash."""
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM:
        raise PasswordHashError(f"not a {ALGORITHM}$<iterations>$<salt>$<hash> value")
    try:
        iterations = int(parts[1])
        salt = base64.b64decode(parts[2], validate=True)
        digest = base64.b64decode(parts[3], validate=True)
    except (ValueError, binascii.Error) as exc:
        raise PasswordHashError(f"unreadable {ALGORITHM} value: {exc}") from None
    if iterations < 1 or not salt or len(digest) < 16:
        raise PasswordHashError(f"unusable {ALGORITHM} value")
    return iterations, salt, digest


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of `password` against a stored hash; False on a malformed hash."""
    try:
        iterations, salt, expected = parse_hash(stored)
    except PasswordHashError:
        return False
    actual = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, len(expected))
    return hmac.compare_digest(actual, expected)
