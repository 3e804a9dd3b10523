"""What Tandem remembers of each scheduled feed (table `feed_state`): the validators of the last
fetch it imported, when the feed last arrived and changed, and since when it fails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tandem.connector.store import Database
from tandem.connector.store import schema as t


@dataclass
class FeedState:
    supplier_id: str
    fingerprint: str = ""  # the catalogue settings the validators were obtained with
    source: str = ""
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    checked_at: datetime | None = None
    arrived_at: datetime | None = None
    changed_at: datetime | None = None
    failing_since: datetime | None = None
    last_error: str | None = None


def load_state(db: Database, supplier_id: str) -> FeedState | None:
    fs = t.feed_state
    with db.read() as conn:
        row = conn.execute(select(fs).where(fs.c.supplier_id == supplier_id)).mappings().first()
    return None if row is None else FeedState(**dict(row))


def save_state(db: Database, state: FeedState) -> None:
    fs = t.feed_state
    values: dict[str, Any] = dict(vars(state))
    with db.write() as conn:
        found = conn.execute(
            select(fs.c.supplier_id).where(fs.c.supplier_id == state.supplier_id)
        ).first()
        if found is None:
            conn.execute(fs.insert().values(values))
        else:
            conn.execute(fs.update().where(fs.c.supplier_id == state.supplier_id).values(values))
