"""The timeline: what happened to an order or a PO, in words people read (dashboard, `po show`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from tandem.connector.store import schema as t
from tandem.connector.store.bulk import insert_rows


@dataclass(frozen=True)
class Event:
    kind: str
    message: str
    order_id: int | None = None
    po_id: int | None = None
    supplier_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def record(conn: Connection, events: Sequence[Event], now: datetime) -> None:
    if not events:
        return
    insert_rows(
        conn,
        t.events,
        [
            {
                "at": now,
                "kind": e.kind,
                "message": e.message,
                "order_id": e.order_id,
                "po_id": e.po_id,
                "supplier_id": e.supplier_id,
                "data": e.data,
            }
            for e in events
        ],
    )
