"""Data for the dashboard tests, built through the services as Tandem builds it in use.

`seed` leaves: PO-00001 (Acme, back-to-back, opened ten days ago, sent), PO-00002 (Bloom,
drop-ship for #1002, sent and shipped), PO-00003 (Bloom, drop-ship for #1005, its sending
failed: a `send_failed` exception), and two planning exceptions: #1003's GNOME is in no
catalogue (`unmapped_sku`) and Acme lists #1004's SPADE but has none (`no_stock`).
`held_send` adds a PO whose sending Tandem stopped half-way: held in doubt (`send_in_doubt`).
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any

from tandem.connector import outbox
from tandem.connector.channels import (
    LookupUnsupported,
    PermanentError,
    PurchaseOrderDocument,
    SendResult,
)
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.services.dispatch import dispatch
from tandem.connector.services.plan import run_planner
from tandem.connector.services.shipments import record_shipment
from tandem.connector.store import Database
from tandem.connector.web.dashboard.passwords import hash_password
from tests.store.helpers import config, ingest, offers, order

PASSWORD = "correct horse battery"
# Few iterations keep the tests quick; the CLI and the default use 600,000.
HASH = hash_password(PASSWORD, iterations=1_000)
DROP = {"_fulfilment": "drop_ship"}
B2B = {"_fulfilment": "back_to_back"}


def dashboard_config(
    users: bool = True, password_hash: str = HASH, **overrides: Any
) -> TandemConfig:
    dashboard: dict[str, Any] = {"secret_key": "test secret key", "session_hours": 1}
    if users:
        dashboard["users"] = [{"name": "alice", "password_hash": password_hash}]
    return config(dashboard=dashboard, timezone="Europe/London", **overrides)


class FakeSupplier:
    """Takes every PO except those in `refuse`, and keeps the exact message 'sent'. Without
    `lookup` it cannot say whether a PO reached it, as by email."""

    def __init__(self, refuse: set[str], lookup: bool = True) -> None:
        self.refuse = refuse
        self.can_lookup = lookup

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        if document.number in self.refuse:
            raise PermanentError("550 mailbox unavailable")
        lines = "\n".join(f"{line.supplier_sku} x {line.quantity}" for line in document.lines)
        return SendResult(
            f"SUP-{document.number}",
            f"Subject: Purchase order {document.number} <&>\n\n{lines}",
        )

    async def lookup(self, document: PurchaseOrderDocument) -> SendResult | None:
        if not self.can_lookup:
            raise LookupUnsupported("email cannot tell")
        return None


def seed(db: Database, cfg: TandemConfig, now: datetime | None = None) -> datetime:
    now = now or utcnow()
    old = now - timedelta(days=10)
    offers(db, cfg, "acme", ("HOSE", "10", 100), ("SPADE", "7", 0), now=old)
    offers(db, cfg, "bloom", ("ROSE", "5", 100), now=old)
    ingest(db, order(1001, ("HOSE", 2, B2B)), now=old)
    run_planner(db, cfg, old)
    ingest(
        db,
        order(1002, ("ROSE", 1, DROP)),
        order(1003, ("GNOME", 1, DROP)),
        order(1004, ("SPADE", 1, B2B)),
        order(1005, ("ROSE", 2, DROP)),
        now=now,
    )
    run_planner(db, cfg, now)
    supplier = FakeSupplier({"PO-00003"})
    asyncio.run(dispatch(db, cfg, worker="test", channels=lambda _s, _c: supplier, now=lambda: now))
    record_shipment(db, cfg, "PO-00002", ["TRK-42"], now, carrier="UPS")
    return now


def held_send(db: Database, cfg: TandemConfig, now: datetime | None = None) -> str:
    """Order #1006's drop-ship PO: Tandem stopped while sending it, and its supplier cannot be
    asked whether it arrived, so the send is held for a person. Returns the PO's number.
    POs waiting to be sent before it are sent first."""
    now = now or utcnow()
    supplier = FakeSupplier(set(), lookup=False)

    def send(at: datetime) -> None:
        asyncio.run(
            dispatch(db, cfg, worker="test", channels=lambda _s, _c: supplier, now=lambda: at)
        )

    send(now)
    ingest(db, order(1006, ("ROSE", 1, DROP)), now=now)
    run_planner(db, cfg, now)
    with db.write() as conn:
        # A worker takes the PO and stops mid-send: its lease runs out at once.
        [item] = outbox.claim(conn, "stopped", now, timedelta(0), kinds=["po.send"])
        outbox.mark_transmitting(conn, item.id, "stopped", now, timedelta(0))
    send(now + timedelta(seconds=1))
    return str(item.payload["number"])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)
