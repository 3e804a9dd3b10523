"""Bring a database to the newest schema with Alembic, safely from several processes at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from connector.store.db import MIGRATIONS

if TYPE_CHECKING:
    from connector.store.db import Database


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
    with db.write() as conn:
        db.lock(conn, "migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
