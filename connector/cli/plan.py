"""`tandem plan` and `tandem sync`: the planner alone, and the whole main job once."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tandem.connector.cli.catalogue import import_json
from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    console,
    errors,
    get_config,
    get_database,
    print_json,
    reported,
)
from tandem.connector.cli.output import po_table
from tandem.connector.clock import utcnow

# The planner and the main job are imported when a command runs (issue 14: `tandem --help`
# needs neither).
if TYPE_CHECKING:
    from tandem.connector.services.plan import PlanSummary
    from tandem.connector.sync import SyncReport


def _print_summary(summary: PlanSummary, dry_run: bool = False) -> None:
    verb = "would" if dry_run else "did"
    console.print(
        f"planner {verb}: {summary.lines} line(s) planned, {summary.allocated_units} unit(s)"
        f" put on draft POs, {summary.linked_units} linked to stock or open POs,"
        f" {summary.shrunk_units} taken off; exceptions +{summary.exceptions_opened}"
        f" -{summary.exceptions_closed}",
        highlight=False,
    )
    for change in summary.changes:
        console.print(f"PO change: {change}", highlight=False)
    if summary.released:
        console.print(f"released: {', '.join(summary.released)}", highlight=False)


def plan_command(
    config_path: ConfigOption = DEFAULT_CONFIG,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    everything: Annotated[
        bool, typer.Option("--all", help="Reconcile every line, not only changed ones.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Plan changed order lines into draft POs and release the drafts that are due."""
    from tandem.connector.services.plan import run_planner

    config = get_config(config_path)
    db = get_database(config)
    with reported():
        summary = run_planner(db, config, utcnow(), dry_run=dry_run, everything=everything)
    if as_json:
        print_json({"dry_run": dry_run, **asdict(summary)})
    else:
        _print_summary(summary, dry_run)


def sync_command(config_path: ConfigOption = DEFAULT_CONFIG, as_json: JsonOption = False) -> None:
    """Run the main job once: import changed inputs and orders, plan, release, report."""
    from tandem.connector.store.views import list_exceptions, list_pos
    from tandem.connector.sync import sync_once

    config = get_config(config_path)
    db = get_database(config)
    with reported():
        report = sync_once(db, config, utcnow())
    with db.read() as conn:
        pos = [p for p in list_pos(conn) if p["status"] != "cancelled"]
        open_exceptions = len(list_exceptions(conn))
    if as_json:
        print_json(sync_json(report, pos, open_exceptions))
    else:
        _print_sync(report, pos, open_exceptions)
    _warn_sync(report)
    if not report.ok:
        errors.print(
            f"sync finished with {len(report.problems)} rejected input(s) and"
            f" {len(report.failures)} failed step(s)",
            style="red",
            highlight=False,
        )
        raise typer.Exit(1)


def sync_json(report: SyncReport, pos: list[dict[str, Any]], open_exceptions: int) -> Any:
    """`tandem sync --json`: what the run did, then the POs as `tandem po list --json`."""
    orders, sent = report.orders, report.dispatch
    return {
        "ok": report.ok,
        "orders": {
            "created": orders.created,
            "updated": orders.updated,
            "unchanged": orders.unchanged,
            "stale": orders.stale,
        },
        "catalogues": [import_json(r) for r in report.catalogues if not r.skipped],
        "stock_rows": report.stock_rows,
        "supplier_replies": report.replies,
        "supplier_files": report.answer_files,
        "plan": asdict(report.plan),
        "stock_push": None if report.stock is None else asdict(report.stock),
        "dispatch": {
            "sent": sent.sent,
            "manual": sent.manual,
            "retried": sent.retried,
            "held": sent.held,
            "failed": sent.failed,
        },
        "store_writes": asdict(report.writes),
        "purchase_orders": pos,
        "open_exceptions": open_exceptions,
        "problems": report.problems,
        "failures": report.failures,
    }


def _print_sync(report: SyncReport, pos: list[dict[str, Any]], open_exceptions: int) -> None:
    orders = report.orders
    console.print(
        f"orders: {orders.created} new, {orders.updated} updated, {orders.unchanged} unchanged",
        highlight=False,
    )
    for result in report.catalogues:
        if not result.skipped:
            console.print(
                f"catalogue {result.supplier_id}: {result.rows_imported} offer(s) imported",
                highlight=False,
            )
    for line in report.replies:
        console.print(f"supplier reply: {line}", highlight=False, markup=False, soft_wrap=True)
    for line in report.answer_files:
        console.print(f"supplier file: {line}", highlight=False, markup=False, soft_wrap=True)
    _print_summary(report.plan)
    if report.stock is not None:
        console.print(
            f"stock push: {report.stock.changed} changed SKU(s) queued in"
            f" {report.stock.queued_calls} call(s)",
            highlight=False,
        )
    sent = report.dispatch
    if sent.sent:
        console.print(f"sent to suppliers: {', '.join(sent.sent)}", highlight=False)
    if sent.manual:
        console.print(f"to pass on by hand: {', '.join(sent.manual)}", highlight=False)
    if report.writes.done or report.writes.retried:
        console.print(
            f"store write-backs: {report.writes.done} done, {report.writes.retried} to retry",
            highlight=False,
        )
    console.print(po_table(pos))
    if open_exceptions:
        console.print(
            f"{open_exceptions} open exception(s): see `tandem exceptions list`",
            style="yellow",
            highlight=False,
        )


def _warn_sync(report: SyncReport) -> None:
    """What needs a look, on stderr whatever stdout shows: SKUs whose stock is not pushed,
    sends to retry or held, rejected inputs and failed steps."""
    warnings: list[str] = []
    if report.stock is not None and report.stock.not_stocked:
        not_stocked = report.stock.not_stocked
        more = len(not_stocked) - 10
        warnings.append(
            f"{len(not_stocked)} SKU(s) are not stocked at the stock push location, so their"
            f" stock is not pushed: {', '.join(not_stocked[:10])}"
            + (f" and {more} more" if more > 0 else "")
            + "; stock them there in the shop or change store.stock_push.location"
        )
    warnings += [f"not sent yet, will retry: {line}" for line in report.dispatch.retried]
    warnings += [f"in doubt, held for a person: {line}" for line in report.dispatch.held]
    for line in warnings:
        errors.print(line, style="yellow", highlight=False, markup=False, soft_wrap=True)
    for line in report.problems + report.failures:
        errors.print(line, highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
    app.command("sync")(sync_command)
