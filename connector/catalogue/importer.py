"""Importing a supplier catalogue: read, check, then switch to it in one transaction.

The previous catalogue stays in place until the new one is committed, so an import that fails
half way (a full disk, a killed process) leaves the offers the planner used before. A file in
which no row is good also keeps the previous catalogue: an empty or garbled feed is far more
often a supplier's mistake than a supplier selling nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, delete, select, update

from connector.catalogue.readers import RowProblem, read_bytes, read_table
from connector.catalogue.rows import OFFER_COLUMNS, check_rows
from connector.clock import utcnow
from connector.configuration import TandemConfig
from connector.configuration.model import SupplierConfig
from connector.errors import InputError, NotFound
from connector.services.suppliers import replan_for_suppliers, sync_suppliers
from connector.store import Database
from connector.store import schema as t

BATCH = 50_000  # offers written per round trip; also the progress step
STORED_PROBLEMS = 1_000  # problems kept in catalogue_imports for later inspection

# (rows written so far, rows to write)
Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    supplier_id: str
    source: str
    rows_total: int = 0
    rows_imported: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    seconds: float = 0.0
    skipped: bool = False  # the file is the one imported last time
    kept_previous: bool = False  # no row was good: the previous catalogue is still in use

    @property
    def rows_rejected(self) -> int:
        return len(self.problems)


def find_supplier(config: TandemConfig, supplier_id: str) -> SupplierConfig:
    supplier = config.supplier(supplier_id)
    if supplier is None:
        known = ", ".join(s.id for s in config.suppliers) or "none"
        raise NotFound(f"no supplier {supplier_id!r} in the configuration (suppliers: {known})")
    return supplier


def import_catalogue(
    db: Database,
    config: TandemConfig,
    supplier_id: str,
    path: Path | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    skip_unchanged: bool = False,
) -> ImportReport:
    """Replace `supplier_id`'s offers with the rows of `path` (default: its `catalogue.path`).

    Raises `InputError` when the file cannot be read as a catalogue at all; bad rows are
    reported in the result and the good ones imported."""
    started = time.perf_counter()
    now = now or utcnow()
    supplier = find_supplier(config, supplier_id)
    path = path or supplier.catalogue.path
    if path is None:
        raise InputError(
            f"supplier {supplier_id}",
            ["no catalogue file given and no catalogue.path in the configuration"],
        )
    report = ImportReport(supplier_id, str(path))
    data = read_bytes(path)
    # The file and how it is read: a corrected column mapping imports the same file again.
    digest = hashlib.sha256(data + supplier.catalogue.model_dump_json().encode()).hexdigest()
    if skip_unchanged and _last_digest(db, supplier_id) == digest:
        report.skipped = True
        return report

    table = read_table(path, supplier.catalogue, data)
    del data
    checked = check_rows(
        table,
        default_currency=config.supplier_currency(supplier),
        decimal_comma=supplier.catalogue.decimal_comma,
    )
    del table  # the text cells are not needed any more; free them before the insert
    report.rows_total = checked.rows_total
    report.problems = checked.problems
    offers = checked.offers
    if offers.height == 0:
        report.kept_previous = True
        report.seconds = time.perf_counter() - started
        return report

    with db.write() as conn:
        db.lock(conn, f"catalogue:{supplier_id}")
        sync_suppliers(conn, config, now)
        conn.execute(delete(t.offers).where(t.offers.c.supplier_id == supplier_id))
        _insert_offers(conn, supplier_id, offers, progress)
        conn.execute(
            t.catalogue_imports.insert().values(
                supplier_id=supplier_id,
                source=str(path),
                sha256=digest,
                rows_total=report.rows_total,
                rows_imported=offers.height,
                rows_rejected=len(report.problems),
                problems=[str(p) for p in report.problems[:STORED_PROBLEMS]],
                started_at=now,
                finished_at=utcnow(),
            )
        )
        conn.execute(
            update(t.suppliers)
            .where(t.suppliers.c.id == supplier_id)
            .values(catalogue_switched_at=now)
        )
        # New costs, stock or SKUs may change what serves waiting lines and lines on drafts.
        replan_for_suppliers(conn, [supplier_id])
    report.rows_imported = offers.height
    report.seconds = time.perf_counter() - started
    return report


def _last_digest(db: Database, supplier_id: str) -> str | None:
    ci = t.catalogue_imports
    with db.read() as conn:
        return conn.execute(
            select(ci.c.sha256)
            .where(ci.c.supplier_id == supplier_id)
            .order_by(ci.c.id.desc())
            .limit(1)
        ).scalar()


def _framed(offers: pl.DataFrame, supplier_id: str) -> pl.DataFrame:
    return offers.select(pl.lit(supplier_id).alias("supplier_id"), *OFFER_COLUMNS)


def _insert_offers(
    conn: Connection, supplier_id: str, offers: pl.DataFrame, progress: Progress | None
) -> None:
    """Bulk insert through the driver: executemany on SQLite, COPY on PostgreSQL. Half a
    million rows through SQLAlchemy's parameter processing would take several times longer."""
    columns = ("supplier_id", "sku", "supplier_sku", "name", "cost", *OFFER_COLUMNS[4:])
    raw: Any = conn.connection.driver_connection
    framed = _framed(offers, supplier_id)
    total = framed.height
    if progress:
        progress(0, total)
    if conn.dialect.name == "postgresql":
        # polars writes each batch as CSV text in one call, sparing a Python tuple and a
        # `write_row` per offer. Null cells go out unquoted and empty, which COPY reads as
        # NULL; checked text cells are never empty.
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY offers ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy,
        ):
            for start in range(0, total, BATCH):
                batch = framed.slice(start, BATCH)
                copy.write(batch.write_csv(include_header=False))
                if progress:
                    progress(start + batch.height, total)
        return
    statement = (
        f"INSERT INTO offers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )
    cursor = raw.cursor()
    try:
        for start in range(0, total, BATCH):
            rows = framed.slice(start, BATCH).rows()
            cursor.executemany(statement, rows)
            if progress:
                progress(start + len(rows), total)
    finally:
        cursor.close()
