"""Bring a database to the newest schema with Alembic, safely from several processes at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tandem.connector.errors import TandemError
from tandem.connector.store.db import MIGRATIONS

if TYPE_CHECKING:
    from tandem.connector.store.db import Database


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(db: Database) -> None:
    config = alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head:
            return
    migrate(db, "head")


def migrate(db: Database, revision: str, *, down: bool = False) -> None:
    """Upgrade (or with `down`, downgrade) to `revision` in one transaction.

    SQLite alters a table by building a new one and dropping the old; with foreign keys
    enforced, dropping `order_lines` would delete in cascade every allocation that points at
    it, and the planner would order those lines again. So on SQLite foreign keys are off for
    the migration (checked before it commits), and on again afterwards."""
    config = alembic_config()
    with db.engine.connect() as conn:
        if db.is_sqlite:
            conn.execution_options(tandem_begin="IMMEDIATE", tandem_foreign_keys_off=True)
        try:
            with conn.begin():
                db.lock(conn, "migrations")
                config.attributes["connection"] = conn
                if down:
                    command.downgrade(config, revision)
                else:
                    command.upgrade(config, revision)
                if db.is_sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise TandemError(f"the migration broke a reference in {broken[0]}")
        finally:
            if db.is_sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
