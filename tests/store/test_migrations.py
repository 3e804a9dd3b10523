"""The migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from connector.store import Database
from connector.store.schema import metadata


def test_migrated_schema_matches_the_declared_tables(db: Database) -> None:
    with db.read() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrating_a_database_that_holds_orders_keeps_every_allocation(db: Database) -> None:
    """Altering `order_lines` (SQLite rebuilds the table) must not delete in cascade what
    points at it: lost allocations would be ordered again."""
    from sqlalchemy import func, select

    from connector.services.plan import run_planner
    from connector.store import schema as t
    from connector.store.migrate import migrate
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
