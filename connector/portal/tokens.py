"""Portal tokens: the signed part of a supplier's link, which is all the supplier needs.

A PO token names the PO and its supplier, a supplier token names the supplier (its bulk
shipments page); both carry the moment they were made (unix ms). Each purpose signs under its
own salt, so one kind never opens the other's page. A token opens its page only while:
- its signature holds under `portal.secret` (changing the secret revokes every link);
- its PO exists, is the named supplier's, and that supplier is on the portal;
- it was made after the last revocation of its PO and of its supplier (`portal_revocations`);
- its PO closed no longer than `portal.valid_after_close` ago (a supplier token: it is
  younger than `portal.supplier_link_valid`).
Anything else is `Denied`, with a reason for the log, never for the page.

A token is never logged in full: `masked` keeps its first characters.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection, select

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import POStatus
from tandem.connector.store import schema as t

PO_SALT = "tandem.portal.po.v1"
SUPPLIER_SALT = "tandem.portal.supplier.v1"
MAX_TOKEN_CHARS = 400  # far above a real one: anything longer is not read at all
# A PO closes here: it will not change again. Drop-ship POs are done once shipped.
CLOSED = frozenset({POStatus.RECEIVED.value, POStatus.CANCELLED.value, POStatus.REJECTED.value})


class Denied(Exception):
    """The token opens nothing; the message is for the log (the page says only 403)."""


@dataclass(frozen=True)
class POAccess:
    po_id: int
    supplier_id: str
    made_ms: int
    scope: str  # a short digest of the token: the rate limit's and the forms' key


@dataclass(frozen=True)
class SupplierAccess:
    supplier_id: str
    made_ms: int
    scope: str


def masked(token: str) -> str:
    return f"{token[:8]}…" if len(token) > 8 else "…"


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _serializer(config: TandemConfig, salt: str) -> URLSafeSerializer:
    secret = config.portal.secret
    if secret is None:
        raise Denied("portal.secret is not set")
    return URLSafeSerializer(
        secret.get_secret_value(), salt=salt, signer_kwargs={"digest_method": hashlib.sha256}
    )


def scope_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:24]


def make_po_token(config: TandemConfig, po_id: int, supplier_id: str, now: datetime) -> str:
    return str(_serializer(config, PO_SALT).dumps([po_id, supplier_id, to_ms(now)]))


def make_supplier_token(config: TandemConfig, supplier_id: str, now: datetime) -> str:
    return str(_serializer(config, SUPPLIER_SALT).dumps([supplier_id, to_ms(now)]))


def _payload(config: TandemConfig, salt: str, token: str) -> Any:
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise Denied("no token, or one far too long")
    try:
        return _serializer(config, salt).loads(token)
    except BadSignature:
        raise Denied(f"bad signature ({masked(token)})") from None


def _revoked_before(conn: Connection, scopes: list[str]) -> int:
    r = t.portal_revocations
    found = conn.execute(select(r.c.revoked_before_ms).where(r.c.scope.in_(scopes))).scalars()
    return max(found, default=0)


def _supplier_on_portal(config: TandemConfig, supplier_id: str) -> None:
    supplier = config.supplier(supplier_id)
    if supplier is None or not supplier.portal:
        raise Denied(f"supplier {supplier_id} is not on the portal")


def closed_since(po: Any) -> datetime | None:
    """When the PO closed (its last change, for lack of a recorded moment), or None."""
    closed = po.status in CLOSED or (po.status == POStatus.SHIPPED.value and po.mode == "drop_ship")
    if not closed:
        return None
    return po.closed_at or po.cancelled_at or po.updated_at  # type: ignore[no-any-return]


def open_po_token(conn: Connection, config: TandemConfig, token: str, now: datetime) -> POAccess:
    """What a PO token gives access to, or `Denied`."""
    data = _payload(config, PO_SALT, token)
    match data:
        case [int() as po_id, str() as supplier_id, int() as made_ms]:
            pass
        case _:
            raise Denied("not a PO token")
    _supplier_on_portal(config, supplier_id)
    po = conn.execute(select(t.purchase_orders).where(t.purchase_orders.c.id == po_id)).first()
    if po is None or po.supplier_id != supplier_id or po.number is None:
        raise Denied(f"PO {po_id} is not {supplier_id}'s")
    if made_ms <= _revoked_before(conn, [f"po:{po_id}", f"supplier:{supplier_id}"]):
        raise Denied(f"the link to {po.number} was revoked")
    closed = closed_since(po)
    if closed is not None and closed + config.portal.valid_after_close < now:
        raise Denied(f"{po.number} closed on {closed:%Y-%m-%d}: the link has expired")
    return POAccess(po_id, supplier_id, made_ms, scope_of(token))


def open_supplier_token(
    conn: Connection, config: TandemConfig, token: str, now: datetime
) -> SupplierAccess:
    """What a supplier token gives access to, or `Denied`."""
    data = _payload(config, SUPPLIER_SALT, token)
    match data:
        case [str() as supplier_id, int() as made_ms]:
            pass
        case _:
            raise Denied("not a supplier token")
    _supplier_on_portal(config, supplier_id)
    if made_ms <= _revoked_before(conn, [f"supplier:{supplier_id}"]):
        raise Denied(f"{supplier_id}'s links were revoked")
    made = datetime.fromtimestamp(made_ms / 1000, UTC)
    if made + config.portal.supplier_link_valid < now:
        raise Denied(f"{supplier_id}'s shipments link has expired")
    return SupplierAccess(supplier_id, made_ms, scope_of(token))


def revoke(conn: Connection, scope: str, now: datetime) -> None:
    """Every link of `scope` (`po:<id>`, `supplier:<id>`) made up to `now` stops working."""
    r = t.portal_revocations
    ms = to_ms(now)
    updated = conn.execute(
        r.update().where(r.c.scope == scope).values(revoked_before_ms=ms)
    ).rowcount
    if not updated:
        conn.execute(r.insert().values(scope=scope, revoked_before_ms=ms))


def after_revocation(now: datetime) -> datetime:
    """A moment a link can be made at right after a revocation at `now`."""
    return now + timedelta(milliseconds=1)
