"""A drop-ship PO to Bloom on a portal-enabled Tandem, and readers for the portal's pages."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from sqlalchemy import select

from tandem.connector.configuration import TandemConfig
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.helpers import T0, config, ingest, offers, order

PORTAL = {
    "enabled": True,
    "base_url": "https://tandem.example.com/",
    "secret": "a portal secret for the tests",
    "actions_per_minute": 30,
}
SHOPIFY = {"platform": "shopify", "shop_url": "https://demo.myshopify.com", "access_token": "x"}


def portal_config(dashboard: dict[str, Any] | None = None, **portal: Any) -> TandemConfig:
    extra = {"dashboard": dashboard} if dashboard else {}
    return config(store=SHOPIFY, portal={**PORTAL, **portal}, timezone="UTC", **extra)


def bloom_po(db: Database, cfg: TandemConfig, order_number: int = 1) -> tuple[int, str]:
    """A released drop-ship PO to Bloom: ROSE × 3, TULIP × 2, for a customer in Paris."""
    offers(db, cfg, "bloom", ("ROSE", 5, 100), ("TULIP", 3, 100))
    ingest(
        db,
        order(order_number, ("ROSE", 3), ("TULIP", 2), tags=("dropship",)),
    )
    run_planner(db, cfg, T0)
    po = t.purchase_orders
    with db.read() as conn:
        row = conn.execute(
            select(po.c.id, po.c.number).where(po.c.supplier_id == "bloom").order_by(po.c.id.desc())
        ).first()
    assert row is not None
    return int(row.id), str(row.number)


def po_row(db: Database, po_id: int) -> Any:
    with db.read() as conn:
        return conn.execute(select(t.purchase_orders).where(t.purchase_orders.c.id == po_id)).one()


def answers(db: Database) -> list[tuple[str, str]]:
    with db.read() as conn:
        a = t.supplier_answers
        return [(r.action, r.summary) for r in conn.execute(select(a).order_by(a.c.id))]


def tracking(db: Database) -> list[list[str]]:
    with db.read() as conn:
        return [list(n) for n in conn.execute(select(t.shipments.c.tracking_numbers)).scalars()]


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden nonce and CSRF fields of the form posting to `.../{action}`."""
    form = re.search(rf'<form method="post" action="[^"]*/{action}"[^>]*>(.*?)</form>', html, re.S)
    assert form, f"no {action} form on the page"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(1)))
    return fields


def visible_text(html: str) -> str:
    """The page's words, roughly as a person reads them."""
    html = re.sub(r"<(script|style|textarea)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
