"""What the planner reads: the figures it needs come from the POs still in play, never from
all of history, and the statements it sends do not multiply with the orders already planned."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select

from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.bulk import insert_rows, update_rows
from tandem.connector.store.planning_input import first_counted_po, load_committed
from tests.store.helpers import T0, config, holdings, ingest, offers, order, with_release


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The statements sent to the database inside the block."""
    sent: list[str] = []

    def one(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", one)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", one)


def released_pos(db: Database) -> list[int]:
    po = t.purchase_orders
    with db.read() as conn:
        return list(
            conn.execute(select(po.c.id).where(po.c.number.is_not(None)).order_by(po.c.id))
            .scalars()
            .all()
        )


def test_units_ordered_before_a_catalogue_was_taken_are_history_the_planner_skips(
    db: Database,
) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "10", 5))
    ingest(db, order(1, ("SPADE", 3)))
    run_planner(db, cfg, T0 + timedelta(minutes=1))
    [first] = released_pos(db)
    with db.read() as conn:
        # Released after the stock figure of 5 was taken: 3 of them are spoken for.
        assert first_counted_po(conn) == first
        assert load_committed(conn, ["SPADE"]) == {("acme", "ACME-SPADE"): 3}

    # A new catalogue says 5 again: that figure already leaves out what the PO took.
    offers(db, cfg, "acme", ("SPADE", "10", 5), now=T0 + timedelta(hours=1))
    with db.read() as conn:
        assert first_counted_po(conn) is None
        assert load_committed(conn, ["SPADE"]) == {}

    ingest(db, order(2, ("SPADE", 4)))
    run_planner(db, cfg, T0 + timedelta(hours=2))
    assert holdings(db) == {"1-1": 3, "2-1": 4}  # all 4 from Acme's new stock figure
    [_, second] = released_pos(db)
    with db.read() as conn:
        assert first_counted_po(conn) == second
        assert load_committed(conn, ["SPADE"]) == {("acme", "ACME-SPADE"): 4}


def test_a_draft_keeps_counting_however_old_it_is(db: Database) -> None:
    cfg = with_release(config(), "acme", min_order_value=10_000)
    offers(db, cfg, "acme", ("SPADE", "10", 50))
    ingest(db, order(1, ("SPADE", 2)))
    run_planner(db, cfg, T0)
    offers(db, cfg, "acme", ("SPADE", "10", 50), now=T0 + timedelta(days=30))
    with db.read() as conn:
        assert load_committed(conn, ["SPADE"]) == {("acme", "ACME-SPADE"): 2}


def plan_new_orders(db: Database, numbers: range) -> Callable[[], list[str]]:
    cfg = config()

    def run() -> list[str]:
        ingest(db, *(order(n, ("SPADE", 1), ("OLIVE", 2)) for n in numbers))
        with statements(db) as sent:
            run_planner(db, cfg, T0 + timedelta(minutes=numbers.start))
        return sent

    return run


def test_planning_new_orders_sends_as_many_statements_whatever_was_planned_before(
    db: Database,
) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "18"))
    offers(db, cfg, "bloom", ("OLIVE", "34"))
    first = plan_new_orders(db, range(1, 4))()
    for start in range(10, 200, 30):  # 190 more orders, planned and released
        plan_new_orders(db, range(start, start + 30))()
    later = plan_new_orders(db, range(500, 503))()
    assert len(later) == len(first)
    with statements(db) as idle:
        run_planner(db, cfg, T0 + timedelta(days=1))
    # Nothing to do: a handful of statements, none of them about past orders' lines.
    assert len(idle) <= 8
    assert not any("FROM po_lines" in s and "JOIN purchase_orders" not in s for s in idle)


def test_bulk_rows_are_stored_as_a_plain_insert_stores_them(db: Database) -> None:
    at = T0 + timedelta(seconds=1)
    row = {
        "shop": "shop",
        "name": "#9",
        "created_at": at,
        "updated_at": at,
        "tags": ["gift", "it's"],
        "customer": {"name": "Zoë", "tags": []},
        "shipping_address": None,
        "content_hash": "h",
        "ingested_at": at,
    }
    with db.write() as conn:
        plain_id = conn.execute(
            t.orders.insert().returning(t.orders.c.id), [{**row, "external_id": "plain"}]
        ).scalar_one()
        made = insert_rows(conn, t.orders, [{**row, "external_id": "bulk"}], ("id", "external_id"))
        assert [r.external_id for r in made] == ["bulk"]
        insert_rows(conn, t.orders, [{**row, "external_id": "unreturned"}])
        line = {"external_id": "1", "position": 0, "sku": "SPADE", "title": "Spade"}
        line |= {"quantity": 2, "price": Decimal("18.405"), "properties": {}, "product_tags": []}
        conn.execute(t.order_lines.insert(), [{**line, "order_id": plain_id}])
        insert_rows(conn, t.order_lines, [{**line, "order_id": made[0].id}])
        stored = {
            r.external_id: r._asdict()
            for r in conn.execute(
                select(t.orders, t.orders.c.shipping_address.is_(None).label("sql_null"))
            )
        }
        lines = [r._asdict() for r in conn.execute(select(t.order_lines))]
        update_rows(
            conn,
            t.order_lines,
            [{"id": r["id"], "status": "allocated", "planned_at": at} for r in lines],
        )
        after = [
            (r.status, r.planned_at)
            for r in conn.execute(select(t.order_lines).order_by(t.order_lines.c.id))
        ]
    plain = {k: v for k, v in stored.pop("plain").items() if k not in ("id", "external_id")}
    for bulk in stored.values():  # with RETURNING, and without it (SQLite: the driver's rows)
        assert {k: v for k, v in bulk.items() if k not in ("id", "external_id")} == plain
    # Column defaults fill in what the rows leave out, as a plain insert's do.
    assert [(r["price"], r["needs_planning"], r["status"], r["removed"]) for r in lines] == [
        (Decimal("18.405"), True, "new", False)
    ] * 2
    assert after == [("allocated", at)] * 2
