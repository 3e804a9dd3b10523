"""Where a ShopifyClient's Admin API token comes from: a TokenSource.

- `StaticToken`: `store.access_token`, the permanent token of a legacy custom app.
- `AppTokens`: an app's tokens (`store.auth` client_credentials or oauth). The token is
  obtained before the first call and renewed ahead of its expiry (grants.Grant.renew_at), so
  polling and write-backs never meet an expired one; a 401 answer to a token all the same
  (revoked, or a clock that drifted) renews once and the call is sent once more
  (ShopifyClient). Client credentials are simply asked again; an OAuth install renews with
  its refresh token. Every job of the process shares one AppTokens per shop (`token_source`),
  and one renewal at a time runs (a lock per event loop): concurrent jobs wait for it and use
  its result. Tokens are stored encrypted (token_store) so a restart reuses a valid one; a
  replica that finds a newer stored token than its own uses it instead of renewing.

Nothing here logs a token; messages name the configuration keys to check.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

import httpx
from pydantic import SecretStr
from sqlalchemy.exc import SQLAlchemyError

from tandem.adapters.shopify import grants
from tandem.adapters.shopify.errors import AuthError, ShopifyError
from tandem.adapters.shopify.grants import Grant
from tandem.adapters.shopify.token_store import TokenVault
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.errors import TandemError
from tandem.connector.store import Database, open_database

if TYPE_CHECKING:
    from tandem.connector.configuration.model import StoreConfig

log = logging.getLogger(__name__)


class TokenSource(Protocol):
    @property
    def origin(self) -> str:
        """What to check when Shopify refuses the token, for messages."""
        ...

    async def token(self, http: httpx.AsyncClient) -> SecretStr:
        """The token to send now."""
        ...

    async def renew(self, http: httpx.AsyncClient, refused: SecretStr) -> SecretStr | None:
        """Another token after Shopify answered 401 to `refused`; None: there is none."""
        ...


class StaticToken:
    origin = "store.access_token"

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    async def token(self, http: httpx.AsyncClient) -> SecretStr:
        return self._token

    async def renew(self, http: httpx.AsyncClient, refused: SecretStr) -> SecretStr | None:
        return None  # a permanent token that is refused stays refused


class AppTokens:
    def __init__(
        self,
        shop_url: str,
        client_id: str,
        client_secret: SecretStr,
        *,
        oauth: bool = False,
        vault: Callable[[], TokenVault | None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """`vault` opens the stored token on first need (None: kept in memory only)."""
        self.shop_url = shop_url.rstrip("/")
        self.shop = self.shop_url.split("://", 1)[-1]
        self.client_id = client_id
        self._secret = client_secret
        self.oauth = oauth
        self._open_vault = vault
        self._vault: TokenVault | None = None
        self._vault_opened = False
        self._clock = clock
        self._current: Grant | None = None
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self.obtained = 0  # tokens this process got from Shopify

    @property
    def origin(self) -> str:
        if self.oauth:
            return "the app's OAuth install (`tandem shopify connect --oauth`)"
        return "store.client_id and store.client_secret"

    @property
    def grant(self) -> Grant | None:
        """The token in use, with its scopes and expiry."""
        return self._current

    async def token(self, http: httpx.AsyncClient) -> SecretStr:
        current = self._current
        if current is not None and current.fresh(self._clock()):
            return current.access_token
        async with self._lock():
            return (await self._ensure(http, None)).access_token

    async def renew(self, http: httpx.AsyncClient, refused: SecretStr) -> SecretStr | None:
        async with self._lock():
            return (await self._ensure(http, refused)).access_token

    async def adopt(self, grant: Grant) -> None:
        """Use and store a token obtained elsewhere (`tandem shopify connect --oauth`)."""
        async with self._lock():
            self._current = grant
            await self._save(grant)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def _ensure(self, http: httpx.AsyncClient, refused: SecretStr | None) -> Grant:
        """A usable token: the one in use, the stored one, or a new one (under the lock)."""
        now = self._clock()

        def usable(grant: Grant | None) -> bool:
            return (
                grant is not None
                and grant.fresh(now)
                and (refused is None or not _same(grant.access_token, refused))
            )

        if usable(self._current):
            assert self._current is not None
            return self._current  # another call renewed it while this one waited
        stored = await self._load()
        if usable(stored):
            assert stored is not None
            self._current = stored
            return stored
        latest = self._latest(stored)
        try:
            grant = await self._obtain(http, latest, now)
        except AuthError:
            if latest is None or not latest.refresh_token:
                raise
            # Another replica may have used the refresh token first: its result is stored.
            stored = await self._load()
            if not usable(stored):
                raise
            assert stored is not None
            grant = stored
        else:
            self.obtained += 1
            await self._save(grant)
            until = grant.expires_at.isoformat() if grant.expires_at else "revoked"
            log.info(
                "new Shopify access token for %s (%s), valid until %s",
                self.shop,
                grant.grant_type,
                until,
            )
        self._current = grant
        return grant

    def _latest(self, stored: Grant | None) -> Grant | None:
        current = self._current
        if stored is None or (current is not None and current.obtained_at >= stored.obtained_at):
            return current
        return stored

    async def _obtain(self, http: httpx.AsyncClient, latest: Grant | None, now: datetime) -> Grant:
        if not self.oauth:
            return await grants.client_credentials(
                http, self.shop_url, self.client_id, self._secret, now
            )
        if latest is not None and latest.refresh_token is not None and latest.can_refresh(now):
            return await grants.refresh(
                http, self.shop_url, self.client_id, self._secret, latest.refresh_token, now
            )
        if latest is None:
            raise AuthError(
                f"Tandem holds no token for {self.shop} yet: install the app with"
                " `tandem shopify connect --oauth`"
            )
        raise AuthError(
            f"the app's token for {self.shop} is expired or refused and cannot be renewed"
            " (was the app uninstalled?): run `tandem shopify connect --oauth` again"
        )

    async def _load(self) -> Grant | None:
        vault = await self._vault_now()
        if vault is None:
            return None
        try:
            return await asyncio.to_thread(vault.load)
        except (TandemError, SQLAlchemyError, OSError) as exc:
            log.warning("the stored Shopify token of %s could not be read: %s", self.shop, exc)
            return None

    async def _save(self, grant: Grant) -> None:
        vault = await self._vault_now()
        if vault is None:
            return
        try:
            await asyncio.to_thread(vault.save, grant)
        except (TandemError, SQLAlchemyError, OSError) as exc:
            # The token works all the same; the next start asks Shopify again.
            log.warning("the Shopify token of %s could not be stored: %s", self.shop, exc)

    async def _vault_now(self) -> TokenVault | None:
        if not self._vault_opened:
            try:
                self._vault = await asyncio.to_thread(self._open_vault)
            except (TandemError, SQLAlchemyError, OSError) as exc:
                log.warning("the database for Shopify tokens could not be opened: %s", exc)
                return None
            self._vault_opened = True
        return self._vault


def _same(a: SecretStr, b: SecretStr) -> bool:
    return a.get_secret_value() == b.get_secret_value()


def _digest(secret: SecretStr | None) -> str:
    raw = secret.get_secret_value() if secret is not None else ""
    return hashlib.sha256(raw.encode()).hexdigest()


Auth = Literal["token", "client_credentials", "oauth"]


def auth_mode(store: StoreConfig) -> Auth:
    """`store.auth`, or what the keys set imply: `token` with an access_token, else
    `client_credentials` when the app's client id or secret is given."""
    if store.auth is not None:
        return store.auth
    app = store.client_id is not None or store.client_secret is not None
    return "client_credentials" if store.access_token is None and app else "token"


def store_problems(store: StoreConfig) -> list[str]:
    """What a Shopify store section lacks, one line naming the keys (empty: complete)."""
    mode = auth_mode(store)
    missing = ["shop_url"] if store.shop_url is None else []
    if mode == "token" and store.access_token is None:
        missing.append("access_token (or client_id and client_secret)")
    if mode != "token":
        missing += [k for k in ("client_id", "client_secret") if getattr(store, k) is None]
    if not missing:
        return []
    how = "" if mode == "token" else f" with auth {mode}"
    return [f"platform shopify{how} needs {' and '.join(missing)}"]


def webhook_secrets(store: StoreConfig) -> list[SecretStr]:
    """The secrets a webhook delivery may be signed with: the webhook secret (and the
    previous one, during a rotation); unset, the app's client secret, which Shopify signs an
    app's webhooks with."""
    first = store.webhook_secret or store.client_secret
    return [s for s in (first, store.previous_webhook_secret) if s is not None]


# One AppTokens per app, shop and database in this process: every job's client shares it.
_shared: dict[tuple[str, ...], AppTokens] = {}


def token_source(config: TandemConfig, db: Database | None = None) -> TokenSource:
    """The token source `config.store` describes. `db`: the database the tokens are kept in
    (the configuration's; None: it is opened when first needed)."""
    store = config.store
    if store.shop_url is None:
        raise ShopifyError("store.shop_url is needed for Shopify")
    problems = store_problems(store)
    if problems:
        raise ShopifyError(problems[0])
    mode = auth_mode(store)
    if mode == "token":
        assert store.access_token is not None
        return StaticToken(store.access_token)
    assert store.client_id is not None and store.client_secret is not None
    key = (
        mode,
        store.shop_url,
        store.client_id,
        _digest(store.client_secret),
        _digest(store.token_key),
        db.url if db is not None else config.database_url,
    )
    source = _shared.get(key)
    if source is None:
        source = _shared[key] = AppTokens(
            store.shop_url,
            store.client_id,
            store.client_secret,
            oauth=mode == "oauth",
            vault=_vault_opener(config, db),
        )
    return source


def _vault_opener(config: TandemConfig, db: Database | None) -> Callable[[], TokenVault]:
    store = config.store
    assert store.shop_url is not None and store.client_id is not None
    assert store.client_secret is not None
    shop = store.shop_url.split("://", 1)[-1]
    key = store.token_key or store.client_secret
    client_id = store.client_id

    def open_vault() -> TokenVault:
        return TokenVault(db or open_database(config.database_url), shop, client_id, key)

    return open_vault
