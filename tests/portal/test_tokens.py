"""Portal links: a link opens its own PO for its own supplier, and nothing else — not when
forged, altered, signed with another secret, revoked, or too long after its PO closed."""

from __future__ import annotations

import base64
import json
import random
import string
from datetime import timedelta

import pytest
from sqlalchemy import update

from tandem.connector.portal import portal_link, supplier_portal_link
from tandem.connector.portal.tokens import (
    Denied,
    make_po_token,
    make_supplier_token,
    open_po_token,
    open_supplier_token,
    revoke,
)
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.portal.support import bloom_po, portal_config
from tests.store.helpers import T0


def opens(db: Database, cfg: object, token: str, now: object = T0) -> bool:
    try:
        with db.read() as conn:
            open_po_token(conn, cfg, token, now)  # type: ignore[arg-type]
    except Denied:
        return False
    return True


def test_a_po_link_opens_its_po_for_its_supplier_only(db: Database) -> None:
    cfg = portal_config()
    po_id, _ = bloom_po(db, cfg)
    link = portal_link(cfg, po_id, "bloom", T0)
    assert link is not None and link.startswith("https://tandem.example.com/portal/po/")
    token = link.rsplit("/", 1)[1]
    with db.read() as conn:
        access = open_po_token(conn, cfg, token, T0)
    assert (access.po_id, access.supplier_id) == (po_id, "bloom")
    assert token not in access.scope  # the rate limit and forms key on a digest
    # The same PO claimed for another supplier, and another supplier's door, open nothing.
    assert not opens(db, cfg, make_po_token(cfg, po_id, "acme", T0))
    assert not opens(db, cfg, make_po_token(cfg, po_id + 1000, "bloom", T0))
    assert not opens(db, cfg, make_supplier_token(cfg, "bloom", T0))


def test_a_forged_or_altered_token_opens_nothing(db: Database) -> None:
    cfg = portal_config()
    po_id, _ = bloom_po(db, cfg)
    token = make_po_token(cfg, po_id, "bloom", T0)
    payload, signature = token.split(".")
    other = json.dumps([po_id + 1, "bloom", 1]).encode()
    forged = base64.urlsafe_b64encode(other).rstrip(b"=").decode()
    assert not opens(db, cfg, f"{forged}.{signature}")  # another PO under a real signature
    assert not opens(db, cfg, f"{payload}.{signature[:-2]}AA")
    assert not opens(db, cfg, payload)
    other_secret = portal_config(secret="another secret, another shop")
    assert not opens(db, cfg, make_po_token(other_secret, po_id, "bloom", T0))
    assert not opens(db, cfg, "x" * 5000)


def test_a_thousand_random_tokens_open_nothing(db: Database) -> None:
    cfg = portal_config()
    po_id, _ = bloom_po(db, cfg)
    rng = random.Random(10)
    alphabet = string.ascii_letters + string.digits + "-_"
    real_payload = make_po_token(cfg, po_id, "bloom", T0).split(".")[0]
    tried = []
    for i in range(1000):
        signature = "".join(rng.choice(alphabet) for _ in range(43))
        if i % 2:  # a real PO's payload under a guessed signature
            tried.append(f"{real_payload}.{signature}")
        else:
            tried.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120))))
    assert sum(opens(db, cfg, token) for token in tried) == 0


def test_a_link_expires_valid_after_close_after_its_po_closes(db: Database) -> None:
    cfg = portal_config(valid_after_close="30d")
    po_id, _ = bloom_po(db, cfg)
    token = make_po_token(cfg, po_id, "bloom", T0)
    assert opens(db, cfg, token, T0 + timedelta(days=400))  # open POs keep their link
    closed = T0 + timedelta(days=2)
    with db.write() as conn:
        conn.execute(
            update(t.purchase_orders)
            .where(t.purchase_orders.c.id == po_id)
            .values(status="cancelled", cancelled_at=closed, updated_at=closed)
        )
    assert opens(db, cfg, token, closed + timedelta(days=29))
    assert not opens(db, cfg, token, closed + timedelta(days=31))


def test_revoking_a_po_or_its_supplier_stops_the_links_made_before(db: Database) -> None:
    cfg = portal_config()
    po_id, _ = bloom_po(db, cfg)
    old = make_po_token(cfg, po_id, "bloom", T0)
    with db.write() as conn:
        revoke(conn, f"po:{po_id}", T0 + timedelta(minutes=1))
    assert not opens(db, cfg, old)
    new = make_po_token(cfg, po_id, "bloom", T0 + timedelta(minutes=2))
    assert opens(db, cfg, new)
    bulk = make_supplier_token(cfg, "bloom", T0 + timedelta(minutes=2))
    with db.write() as conn:
        revoke(conn, "supplier:bloom", T0 + timedelta(minutes=3))
    assert not opens(db, cfg, new)
    with db.read() as conn, pytest.raises(Denied, match="revoked"):
        open_supplier_token(conn, cfg, bulk, T0 + timedelta(minutes=4))


def test_a_supplier_link_opens_its_bulk_page_until_it_expires(db: Database) -> None:
    cfg = portal_config(supplier_link_valid="90d")
    link = supplier_portal_link(cfg, "bloom", T0)
    assert link is not None
    token = link.rsplit("/", 1)[1]
    with db.read() as conn:
        assert open_supplier_token(conn, cfg, token, T0 + timedelta(days=89)).supplier_id == "bloom"
        with pytest.raises(Denied, match="expired"):
            open_supplier_token(conn, cfg, token, T0 + timedelta(days=91))


def test_no_link_without_the_portal_for_that_supplier(db: Database) -> None:
    off = portal_config(enabled=False)
    assert portal_link(off, 1, "bloom") is None
    cfg = portal_config()
    cfg.supplier("bloom").portal = False  # type: ignore[union-attr]
    assert portal_link(cfg, 1, "bloom") is None
    assert portal_link(cfg, 1, "acme") is not None
    po_id, _ = bloom_po(db, cfg)
    assert not opens(db, cfg, make_po_token(cfg, po_id, "bloom", T0))  # turned off: closed


def test_the_portal_needs_an_address_and_a_long_secret() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"portal\.base_url"):
        portal_config(base_url=None)
    with pytest.raises(ValidationError, match="16 characters"):
        portal_config(secret="short")
