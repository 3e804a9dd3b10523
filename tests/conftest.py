"""Shared fixtures: a fresh database per test (SQLite always; PostgreSQL as well when
TANDEM_TEST_POSTGRES_URL names one), configurations built from plain dicts, the shared data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tandem.connector.configuration.model import TandemConfig
from tandem.connector.store import Database, open_database
from tandem.connector.store.schema import metadata
from tests.support.imap import ImapServer, dovecot

SHARED = Path(__file__).resolve().parents[2] / "shared"
# The real Admin schema beside the checkout: the Shopify stand-in serves it when named (it looks
# nothing up by itself), in this process and in every Tandem the tests start.
SHOPIFY_SCHEMA = SHARED / "shopify" / "admin-2026-07.graphql"
if SHOPIFY_SCHEMA.is_file():
    os.environ.setdefault("TANDEM_SHOPIFY_SCHEMA", str(SHOPIFY_SCHEMA))
POSTGRES_URL = os.environ.get("TANDEM_TEST_POSTGRES_URL")

_pg_db: Database | None = None


def _postgres() -> Database:
    global _pg_db
    if _pg_db is None:
        assert POSTGRES_URL
        _pg_db = Database(POSTGRES_URL)
        with _pg_db.write() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        _pg_db.upgrade()
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with _pg_db.write() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return _pg_db


DATABASES = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


@pytest.fixture(params=DATABASES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite in a temp dir, and PostgreSQL when configured."""
    if request.param == "sqlite":
        database = open_database(f"sqlite:///{tmp_path / 'tandem.db'}")
        yield database
        database.dispose()
    else:
        yield _postgres()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'tandem.db'}")
    yield database
    database.dispose()


def make_config(data: dict[str, Any] | None = None, base_dir: Path | None = None) -> TandemConfig:
    """A configuration from a dict, as if read from a file in `base_dir`."""
    return TandemConfig.model_validate(data or {}, context={"base_dir": base_dir or Path.cwd()})


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (checkout ../shared beside the project)")
    return SHARED


@pytest.fixture
def imap_server(tmp_path: Path) -> Iterator[ImapServer]:
    """A real IMAP server (a private dovecot) with one account, `po@shop.example`, and its
    INBOX and Sent folders; see tests/support/imap.py. Skipped without dovecot, except in CI."""
    with dovecot(tmp_path) as server:
        yield server
