"""The database: engine set-up for SQLite (WAL) or PostgreSQL, transactions, migrations.

`Database.write()` is the unit of work: one transaction, committed on success, rolled back on
any error. On SQLite it begins IMMEDIATE so that two processes never deadlock upgrading a read
lock; on PostgreSQL writers that must not overlap take advisory locks (`lock`).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from sqlalchemy.pool import NullPool

from tandem.connector.errors import TandemError, TemporaryError

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_SECONDS = 30  # how long a SQLite writer waits for the one before it


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's `begin` event issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("tandem_foreign_keys_off"):
            # Only outside a transaction does SQLite take this (see tandem.connector.store.migrate).
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        mode = options.get("tandem_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: an error (and its traceback) never shows the values of a statement,
        # which hold customers' names and addresses.
        engine = create_engine(
            url, poolclass=NullPool if not database else None, hide_parameters=True
        )
        _sqlite_setup(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        try:
            # No server-side prepared statements: psycopg would prepare a statement run five
            # times, and PostgreSQL may then plan it once for any parameters. The planner's
            # statements take hundreds of keys each; a plan made for none of them (or when
            # the tables were small) turned a 20 ms aggregate into one of seconds.
            return create_engine(
                url,
                pool_pre_ping=True,
                pool_size=5,
                max_overflow=5,
                hide_parameters=True,
                connect_args={"prepare_threshold": None},
            )
        except ImportError as exc:  # the driver is an extra
            raise TandemError(
                f"database_url: PostgreSQL needs its driver ({exc.name or 'psycopg'} is not"
                " installed): pip install 'tandem-connector[postgres]'"
            ) from None
    raise TandemError(
        f"database_url: unsupported database {parsed.get_backend_name()!r}"
        " (use sqlite:/// or postgresql+psycopg://)"
    )


class DatabaseUnreachable(TemporaryError):
    """The database does not answer (refused, unknown host, wrong password): one line saying
    which database, without its password, and why."""


def shown_url(url: URL) -> str:
    """A database URL for a message: no password, no driver (`postgresql://user@host/db`)."""
    shown = URL.create(
        url.get_backend_name(),
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
    )
    return shown.render_as_string(hide_password=False)


def error_reason(exc: BaseException) -> str:
    """The driver's first line for a database error, without SQL or parameters:
    'connection failed: ... port 5432 failed: Connection refused' -> 'connection refused'."""
    cause = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    first = next((line.strip() for line in str(cause).splitlines() if line.strip()), "")
    reason = first.rsplit(" failed: ", 1)[-1] if " failed: " in first else first
    reason = reason or type(cause).__name__
    return reason[:1].lower() + reason[1:]


def database_error_message(exc: DBAPIError | StatementError, where: str) -> str:
    """One line for a database error that reached a user: what the database said, never the
    statement's parameters."""
    return f"{where} refused a statement: {error_reason(exc)}"


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # SQLite lets one writer in at a time, and its busy handler polls, sleeping up to
        # 100 ms between tries: with many threads waiting, the lock sits free while they
        # sleep, and each holds a pooled connection meanwhile. So this process's writers take
        # turns on a lock before they connect, each woken the moment the one before it ends;
        # other processes (a CLI command beside the daemon) still meet at busy_timeout.
        self._writer = threading.RLock()

    def describe(self) -> str:
        """The database for a message: the SQLite file, or the URL without its password."""
        url = self.engine.url
        if self.is_sqlite and url.database:
            return f"the database {url.database}"
        return f"the database {url.render_as_string(hide_password=True)}"

    def connect(self) -> Connection:
        """A connection; `DatabaseUnreachable` when the database cannot be reached."""
        try:
            return self.engine.connect()
        except OperationalError as exc:
            raise DatabaseUnreachable(self.unreachable(exc)) from None

    def unreachable(self, exc: BaseException) -> str:
        where = self.describe() if self.is_sqlite else f"the database {shown_url(self.engine.url)}"
        return f"cannot reach {where}: {error_reason(exc)}"

    @contextmanager
    def write(self, rollback: bool = False) -> Iterator[Connection]:
        """One transaction: committed when the block ends (rolled back with `rollback`, for
        dry runs), rolled back on any error."""
        with self._turn(), self.connect() as conn:
            if self.is_sqlite:
                conn.execution_options(tandem_begin="IMMEDIATE")
            transaction = conn.begin()
            try:
                yield conn
            except BaseException:
                transaction.rollback()
                raise
            if rollback:
                transaction.rollback()
            else:
                transaction.commit()

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's turn to write (SQLite; PostgreSQL takes writers side by side)."""
        if not self.is_sqlite:
            yield
            return
        if not self._writer.acquire(timeout=BUSY_SECONDS):
            raise TemporaryError(f"{self.describe()} is busy: no turn to write in {BUSY_SECONDS} s")
        try:
            yield
        finally:
            self._writer.release()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.connect() as conn, conn.begin():
            yield conn

    def lock(self, conn: Connection, name: str) -> None:
        """Serialise writers on `name` until the transaction ends (PostgreSQL; SQLite's
        IMMEDIATE transactions are serial already)."""
        if not self.is_sqlite:
            key = zlib.crc32(f"tandem:{name}".encode()) - 2**31
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})

    @contextmanager
    def try_lock(self, name: str) -> Iterator[bool]:
        """Hold `name` for the block if no other process does (PostgreSQL session advisory
        lock, so several replicas take turns); yields False when someone else holds it. On
        SQLite, one process owns the database file and this always yields True."""
        if self.is_sqlite:
            yield True
            return
        key = zlib.crc32(f"tandem:{name}".encode()) - 2**31
        with self.connect() as raw:
            conn = raw.execution_options(isolation_level="AUTOCOMMIT")
            held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            try:
                yield held
            finally:
                if held:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})

    def upgrade(self) -> None:
        """Bring the schema to the newest migration. A database already there (every command
        but the first) is told by one query, without loading Alembic and its scripts."""
        if self.revision() == newest_revision():
            return
        from tandem.connector.store.migrate import upgrade

        upgrade(self)

    def revision(self) -> str | None:
        """The migration the schema is at; None before the first."""
        with self.engine.connect() as conn:
            try:
                found = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
            except DBAPIError:  # no such table yet
                return None
        return found[0][0] if len(found) == 1 else None

    def dispose(self) -> None:
        self.engine.dispose()


def newest_revision() -> str:
    """The newest migration: each is named after its revision (0016_planner_indexes.py holds
    revision "0016"; tests/store/test_migrations.py holds every file to it)."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("*_*.py"))


def open_database(url: str, migrate: bool = True) -> Database:
    db = Database(url)
    if migrate:
        try:
            db.upgrade()
        except OperationalError as exc:
            if _is_connect_error(exc):
                raise DatabaseUnreachable(db.unreachable(exc)) from None
            raise
    return db


def _is_connect_error(exc: OperationalError) -> bool:
    """Raised while connecting (no statement was sent), not by a statement."""
    return not exc.statement
