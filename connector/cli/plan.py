"""`tandem plan` and `tandem sync`: the planner alone, and the whole main job once."""

from __future__ import annotations

from typing import Annotated

import typer

from connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    console,
    errors,
    get_config,
    get_database,
    reported,
)
from connector.cli.output import po_table
from connector.clock import utcnow
from connector.services.plan import PlanSummary, run_planner
from connector.store.views import list_exceptions, list_pos
from connector.sync import sync_once


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
) -> None:
    """Plan changed order lines into draft POs and release the drafts that are due."""
    config = get_config(config_path)
    db = get_database(config)
    with reported():
        summary = run_planner(db, config, utcnow(), dry_run=dry_run, everything=everything)
    _print_summary(summary, dry_run)


def sync_command(config_path: ConfigOption = DEFAULT_CONFIG) -> None:
    """Run the main job once: import changed inputs and orders, plan, release, report."""
    config = get_config(config_path)
    db = get_database(config)
    with reported():
        report = sync_once(db, config, utcnow())
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
        if report.stock.not_stocked:
            shown = ", ".join(report.stock.not_stocked[:10])
            more = len(report.stock.not_stocked) - 10
            errors.print(
                f"{len(report.stock.not_stocked)} SKU(s) are not stocked at the stock push"
                f" location, so their stock is not pushed: {shown}"
                + (f" and {more} more" if more > 0 else "")
                + "; stock them there in the shop or change store.stock_push.location",
                style="yellow",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
    sent = report.dispatch
    if sent.sent:
        console.print(f"sent to suppliers: {', '.join(sent.sent)}", highlight=False)
    if sent.manual:
        console.print(f"to pass on by hand: {', '.join(sent.manual)}", highlight=False)
    for line in sent.retried:
        errors.print(
            f"not sent yet, will retry: {line}",
            style="yellow",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    for line in sent.held:
        errors.print(
            f"in doubt, held for a person: {line}",
            style="yellow",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if report.writes.done or report.writes.retried:
        console.print(
            f"store write-backs: {report.writes.done} done, {report.writes.retried} to retry",
            highlight=False,
        )
    with db.read() as conn:
        pos = [p for p in list_pos(conn) if p["status"] != "cancelled"]
        open_exceptions = list_exceptions(conn)
    console.print(po_table(pos))
    if open_exceptions:
        console.print(
            f"{len(open_exceptions)} open exception(s): see `tandem exceptions list`",
            style="yellow",
            highlight=False,
        )
    for line in report.problems + report.failures:
        errors.print(line, highlight=False, markup=False, soft_wrap=True)
    if not report.ok:
        errors.print(
            f"sync finished with {len(report.problems)} rejected input(s) and"
            f" {len(report.failures)} failed step(s)",
            style="red",
            highlight=False,
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
    app.command("sync")(sync_command)
