"""The migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tandem.connector.store import Database, open_database
from tandem.connector.store.db import newest_revision
from tandem.connector.store.migrate import alembic_config, migrate
from tandem.connector.store.schema import metadata


def test_migrated_schema_matches_the_declared_tables(db: Database) -> None:
    with db.read() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrating_a_database_that_holds_orders_keeps_every_allocation(db: Database) -> None:
    """Altering `order_lines` (SQLite rebuilds the table) must not delete in cascade what
    points at it: lost allocations would be ordered again."""
    from sqlalchemy import func, select

    from tandem.connector.services.plan import run_planner
    from tandem.connector.store import schema as t
    from tandem.connector.store.migrate import migrate
    from tests.store.helpers import T0, config, ingest, offers, order

    cfg = config()
    offers(db, cfg, "acme", ("SPADE", 10, 100))
    ingest(db, order(1, ("SPADE", 2)), order(2, ("SPADE", 3)))
    run_planner(db, cfg, T0)

    def counts() -> tuple[int, int, int]:
        with db.read() as conn:
            return tuple(  # type: ignore[return-value]
                conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (t.allocations, t.po_lines, t.order_lines)
            )

    before = counts()
    assert before[0] == 2
    migrate(db, "0005", down=True)  # back before the columns 0006-0009 add to order lines
    assert counts() == before
    migrate(db, "head")
    assert counts() == before
    with db.write() as conn:  # and foreign keys are enforced again afterwards
        if db.is_sqlite:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_write_backs_from_before_shops_were_told_apart_are_given_their_shop(
    db: Database,
) -> None:
    """Every store write-back queued before 0015 (done, dead or pending) is given its shop on
    the upgrade, so the shop's worker still takes it when it is put back in the queue."""
    from sqlalchemy import JSON, column, select, table

    from tandem.connector.clock import utcnow
    from tandem.connector.services.store_updates import ORDER_STATUS, STOCK
    from tandem.connector.store import schema as t
    from tandem.connector.store.identity import ensure
    from tandem.connector.store.migrate import migrate
    from tests.store.helpers import ingest, order

    ingest(db, order(1, ("SPADE", 2)))
    with db.write() as conn:
        ensure(conn, "shopify", "north.myshopify.com", utcnow(), "the test database")
        [order_id] = conn.execute(select(t.orders.c.id)).scalars()
    migrate(db, "0014", down=True)
    old_outbox = table(  # as 0014 has it: no shop
        "outbox",
        *(column(name) for name in ("kind", "dedupe_key", "idempotency_key", "status")),
        column("payload", JSON),
        *(column(name) for name in ("attempts", "next_attempt_at", "in_doubt", "created_at")),
    )
    now = utcnow()
    with db.write() as conn:
        for key, kind, status, payload in (
            ("status:1", ORDER_STATUS, "dead", {"order_id": order_id}),
            ("stock:1", STOCK, "pending", {"items": []}),
        ):
            conn.execute(
                old_outbox.insert().values(
                    kind=kind,
                    dedupe_key=key,
                    idempotency_key=key,
                    status=status,
                    payload=payload,
                    attempts=0,
                    next_attempt_at=now,
                    in_doubt=False,
                    created_at=now,
                )
            )
    migrate(db, "head")
    with db.read() as conn:
        shops = dict(conn.execute(select(t.outbox.c.dedupe_key, t.outbox.c.shop)).all())
    assert shops == {"status:1": "north.myshopify.com", "stock:1": "north.myshopify.com"}


def test_each_migration_is_named_after_its_revision_and_the_newest_is_alembics_head(
    db: Database,
) -> None:
    """`open_database` skips Alembic when the schema is at `newest_revision()`, which it reads
    off the file names: they must say what Alembic would."""
    scripts = ScriptDirectory.from_config(alembic_config())
    for script in scripts.walk_revisions():
        assert script.path is not None
        assert Path(script.path).name.split("_", 1)[0] == script.revision, script.path
    assert newest_revision() == scripts.get_current_head()
    assert db.revision() == newest_revision()  # the fixture's database is migrated


def test_a_database_a_migration_behind_is_brought_up_to_date_when_opened(db: Database) -> None:
    migrate(db, "-1", down=True)
    assert db.revision() != newest_revision()
    opened = open_database(db.url)
    try:
        assert opened.revision() == newest_revision()
    finally:
        opened.dispose()
