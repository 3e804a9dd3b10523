"""A shop's Admin API token kept in Tandem's database, encrypted, so a restart reuses it.

The access token and the refresh token are sealed together with Fernet (AES-128-CBC and
HMAC-SHA256, from `cryptography`) under a key derived by HKDF-SHA256 from `store.token_key`,
or from the app's client secret when no token key is set: the database alone (a backup, a
copy) does not reveal a token. The shop and the app's client id are sealed with them, so a
row copied onto another shop does not open. A row the key cannot open (the key or the secret
changed) reads as no token: a new one is obtained.
"""

from __future__ import annotations

import base64
import json
import logging

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr
from sqlalchemy import ColumnElement, and_, delete, select

from tandem.adapters.shopify.grants import Grant
from tandem.connector.store import Database
from tandem.connector.store import schema as t

log = logging.getLogger(__name__)


def fernet_key(secret: SecretStr) -> bytes:
    """A Fernet key from any secret string (a token key, a client secret)."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"tandem", info=b"tandem shop tokens v1"
    ).derive(secret.get_secret_value().encode())
    return base64.urlsafe_b64encode(derived)


class TokenVault:
    """The stored token of one app on one shop."""

    def __init__(self, db: Database, shop: str, client_id: str, key: SecretStr) -> None:
        self.db = db
        self.shop = shop
        self.client_id = client_id
        self._fernet = Fernet(fernet_key(key))

    def _where(self) -> ColumnElement[bool]:
        table = t.shop_tokens
        return and_(table.c.shop == self.shop, table.c.client_id == self.client_id)

    def load(self) -> Grant | None:
        table = t.shop_tokens
        with self.db.read() as conn:
            row = conn.execute(select(table).where(self._where())).mappings().first()
        if row is None:
            return None
        try:
            sealed = json.loads(self._fernet.decrypt(row["sealed"].encode()))
        except (InvalidToken, ValueError):
            log.warning(
                "the stored Shopify token of %s does not open with the current key"
                " (store.token_key or store.client_secret changed); a new one is needed",
                self.shop,
            )
            return None
        if sealed.get("shop") != self.shop or sealed.get("client_id") != self.client_id:
            return None
        refresh = sealed.get("refresh_token")
        return Grant(
            grant_type=row["grant_type"],
            access_token=SecretStr(sealed["access_token"]),
            scope=frozenset(s for s in row["scope"].split(",") if s),
            obtained_at=row["obtained_at"],
            expires_at=row["expires_at"],
            refresh_token=SecretStr(refresh) if isinstance(refresh, str) else None,
            refresh_expires_at=row["refresh_expires_at"],
        )

    def save(self, grant: Grant) -> None:
        refresh = grant.refresh_token.get_secret_value() if grant.refresh_token else None
        payload = {
            "shop": self.shop,
            "client_id": self.client_id,
            "access_token": grant.access_token.get_secret_value(),
            "refresh_token": refresh,
        }
        values = {
            "shop": self.shop,
            "client_id": self.client_id,
            "grant_type": grant.grant_type,
            "scope": ",".join(sorted(grant.scope)),
            "sealed": self._fernet.encrypt(json.dumps(payload).encode()).decode(),
            "obtained_at": grant.obtained_at,
            "expires_at": grant.expires_at,
            "refresh_expires_at": grant.refresh_expires_at,
        }
        with self.db.write() as conn:
            conn.execute(delete(t.shop_tokens).where(self._where()))
            conn.execute(t.shop_tokens.insert().values(**values))

    def forget(self) -> None:
        with self.db.write() as conn:
            conn.execute(delete(t.shop_tokens).where(self._where()))
