"""A person lifts a fence: the store said a line was handled elsewhere, and they order it anyway.

The decision is kept on the line (`fence_lifted_at`), so later plans of it never ask again,
and the exception is closed by that person with what they decided. Then the planner runs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import ExceptionKind
from tandem.connector.errors import ConflictError, NotFound
from tandem.connector.services.plan import PlanSummary, run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record
from tandem.connector.store.exceptions import resolve


def plan_anyway(
    db: Database, config: TandemConfig, exception_id: int, who: str, now: datetime
) -> PlanSummary:
    """Order the line of open `handled_elsewhere` exception `exception_id` deliberately."""
    e, ol, o = t.exceptions, t.order_lines, t.orders
    with db.write() as conn:
        row = conn.execute(
            select(e.c.kind, e.c.order_line_id, ol.c.sku, o.c.id.label("order_id"), o.c.name)
            .join(ol, ol.c.id == e.c.order_line_id, isouter=True)
            .join(o, o.c.id == ol.c.order_id, isouter=True)
            .where(e.c.id == exception_id, e.c.status == "open")
        ).first()
        if row is None:
            raise NotFound(f"no open exception with id {exception_id}")
        if row.kind != ExceptionKind.HANDLED_ELSEWHERE.value or row.order_line_id is None:
            raise ConflictError(
                f"exception {exception_id} is {row.kind}, not an order handled elsewhere:"
                " only those are planned anyway"
            )
        conn.execute(
            update(ol)
            .where(ol.c.id == row.order_line_id)
            .values(fence_lifted_at=now, needs_planning=True)
        )
        note = f"{who} chose to order {row.sku or 'the line'} of order {row.name} anyway"
        resolve(conn, exception_id, who, note, now)
        record(conn, [Event("fence_lifted", note, order_id=row.order_id)], now)
    return run_planner(db, config, now)
