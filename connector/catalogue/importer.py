"""Importing a supplier catalogue: read, check, then switch to it in one transaction.

The previous catalogue stays in place until the new one is committed, so an import that fails
half way (a full disk, a killed process) leaves the offers the planner used before. A file in
which no row is good also keeps the previous catalogue: an empty or garbled feed is far more
often a supplier's mistake than a supplier selling nothing. Only the offers that differ from
the stored ones are written (tandem.connector.catalogue.changes).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update

from tandem.connector.catalogue.changes import OfferChanges, Progress, write_offers
from tandem.connector.catalogue.readers import RowProblem, read_catalogue_bytes, read_table
from tandem.connector.catalogue.rows import check_rows
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.errors import InputError, NotFound
from tandem.connector.services.suppliers import replan_for_suppliers, sync_suppliers
from tandem.connector.store import Database
from tandem.connector.store import schema as t

STORED_PROBLEMS = 1_000  # problems kept in catalogue_imports for later inspection

__all__ = ["ImportReport", "Progress", "find_supplier", "import_catalogue"]


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
    changes: OfferChanges = field(default_factory=OfferChanges)  # the offers written

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
    source: str | None = None,
) -> ImportReport:
    """Replace `supplier_id`'s offers with the rows of `path` (default: its `catalogue.path`);
    `source` names where the file came from when it is a download (a URL).

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
    report = ImportReport(supplier_id, source or str(path))
    data = read_catalogue_bytes(path, supplier.catalogue)
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
        report.changes = write_offers(conn, supplier_id, offers, progress)
        conn.execute(
            t.catalogue_imports.insert().values(
                supplier_id=supplier_id,
                source=report.source,
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
        # New costs, stock or SKUs may change what serves waiting lines and lines on drafts;
        # the same offers change nothing (the import that wrote them replanned).
        if report.changes.written:
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
