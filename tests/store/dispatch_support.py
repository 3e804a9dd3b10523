"""A supplier endpoint for dispatch tests, and the steps those tests share: POs released
to it, dispatch runs at a chosen time, what the store then says."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tandem.connector.channels import (
    LookupUnsupported,
    Party,
    PurchaseOrderDocument,
    SendResult,
)
from tandem.connector.configuration import TandemConfig
from tandem.connector.services.dispatch import dispatch
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.helpers import T0, config, ingest, offers, order


class FakeSupplier:
    """A supplier endpoint: remembers what arrived (by idempotency key, like an API)."""

    def __init__(
        self,
        failures: list[Exception | None] | None = None,
        lookup: bool = True,
        lookup_failures: list[Exception] | None = None,
    ) -> None:
        self.failures = list(failures or [])
        self.can_lookup = lookup
        self.lookup_failures = list(lookup_failures or [])
        self.lookups = 0
        self.received: list[PurchaseOrderDocument] = []
        self.senders: list[str] = []  # the thread that sent each one
        self.lock = threading.Lock()

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        with self.lock:
            failure = self.failures.pop(0) if self.failures else None
            if failure is not None:
                raise failure
            self.received.append(document)
            self.senders.append(threading.current_thread().name)
        return SendResult(f"SUP-{document.number}", f"order {document.number}")

    def got(self) -> list[tuple[str, str, int, list[tuple[str, int]]]]:
        """What arrived, in order: (PO, kind, revision, [(supplier SKU, quantity)])."""
        return [
            (d.number, d.kind, d.revision, [(x.supplier_sku, x.quantity) for x in d.lines])
            for d in self.received
        ]

    async def lookup(self, document: PurchaseOrderDocument) -> SendResult | None:
        if not self.can_lookup:
            raise LookupUnsupported("email cannot tell")
        with self.lock:
            self.lookups += 1
            if self.lookup_failures:
                raise self.lookup_failures.pop(0)
            keys = {d.idempotency_key for d in self.received}
        return SendResult("found", "") if document.idempotency_key in keys else None


def document_with_key(key: str) -> PurchaseOrderDocument:
    return PurchaseOrderDocument(
        kind="order",
        number="PO-00001",
        revision=1,
        supplier_id="bloom",
        supplier_name="Bloom",
        mode="drop_ship",
        currency="USD",
        buyer=Party("me"),
        ship_to=Party("you"),
        lines=(),
        idempotency_key=key,
    )


def factory(supplier: FakeSupplier) -> Any:
    return lambda _s, _c: supplier


def released(
    db: Database, count: int = 1, supplier_attempt_budget: int | None = None, **overrides: Any
) -> TandemConfig:
    cfg = config(**overrides)
    if supplier_attempt_budget is not None:
        data = cfg.model_dump(by_alias=True)
        for s in data["suppliers"]:
            s["attempt_budget"] = supplier_attempt_budget
        cfg = TandemConfig.model_validate(data)
    offers(db, cfg, "bloom", ("ROSE", 5, 100_000))
    ingest(db, *(order(n, ("ROSE", 1), tags=("dropship",)) for n in range(1, count + 1)))
    run_planner(db, cfg, T0)
    return cfg


def run(
    db: Database, cfg: TandemConfig, supplier: FakeSupplier, at: datetime = T0, worker: str = "w1"
) -> Any:
    return asyncio.run(dispatch(db, cfg, worker=worker, channels=factory(supplier), now=lambda: at))


def statuses(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.execute(select(t.purchase_orders.c.status)).scalars())


def open_exceptions(db: Database) -> list[Any]:
    with db.read() as conn:
        return conn.execute(select(t.exceptions).where(t.exceptions.c.status == "open")).all()


def send_everything(db: Database, cfg: TandemConfig, at: datetime = T0) -> FakeSupplier:
    """Deliver every due PO message to one supplier endpoint, which is returned."""
    supplier = FakeSupplier()
    run(db, cfg, supplier, at)
    return supplier
