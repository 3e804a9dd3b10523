"""One pass of Tandem's main job: bring in what changed, plan, release due POs.

For the `file` platform the orders come from `store.orders_file`; catalogues and warehouse stock
files are imported when their content changed. Each step's failure is reported and the next
steps still run on what was good.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from adapters.file import read_orders_file
from connector.catalogue import ImportReport, import_catalogue
from connector.configuration import TandemConfig
from connector.errors import TandemError
from connector.services.ingest import IngestReport, ingest_orders
from connector.services.plan import PlanSummary, run_planner
from connector.services.stock import import_stock
from connector.store import Database

FILE_SHOP = "file"


@dataclass
class SyncReport:
    orders: IngestReport = field(default_factory=IngestReport)
    catalogues: list[ImportReport] = field(default_factory=list)
    stock_rows: int | None = None
    plan: PlanSummary = field(default_factory=PlanSummary)
    problems: list[str] = field(default_factory=list)  # input rejected, the rest went on
    failures: list[str] = field(default_factory=list)  # steps that could not run

    @property
    def ok(self) -> bool:
        return not (self.problems or self.failures)


def sync_inputs(db: Database, config: TandemConfig, now: datetime, report: SyncReport) -> None:
    for supplier in config.suppliers:
        if supplier.catalogue.path is None:
            continue
        try:
            result = import_catalogue(db, config, supplier.id, None, now=now, skip_unchanged=True)
        except TandemError as exc:
            report.failures.append(f"catalogue of {supplier.id}: {exc}")
            continue
        report.catalogues.append(result)
        report.problems.extend(
            f"{result.source}: {p.position}: {p.reason}" for p in result.problems
        )
    stock_file = config.warehouse.stock_file
    if stock_file is not None:
        try:
            stock = import_stock(db, stock_file, now, skip_unchanged=True)
        except TandemError as exc:
            report.failures.append(f"warehouse stock: {exc}")
        else:
            report.stock_rows = None if stock.skipped else stock.rows
            report.problems.extend(f"{stock_file}: {p}" for p in stock.problems)


def sync_file_orders(db: Database, config: TandemConfig, now: datetime, report: SyncReport) -> None:
    path = config.store.orders_file
    if path is None:
        return
    try:
        parsed = read_orders_file(path)
    except TandemError as exc:
        report.failures.append(str(exc))
        return
    report.problems.extend(f"{path}: {p}" for p in parsed.problems)
    with db.write() as conn:
        report.orders = ingest_orders(
            conn, FILE_SHOP, parsed.orders, config.store.planned_financial_statuses, now
        )


def sync_once(db: Database, config: TandemConfig, now: datetime) -> SyncReport:
    report = SyncReport()
    sync_inputs(db, config, now, report)
    if config.store.platform == "file":
        sync_file_orders(db, config, now, report)
    report.plan = run_planner(db, config, now)
    return report
