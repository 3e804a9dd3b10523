"""`tandem backfill --since DATE [--dry-run]`: plan orders from before the first poll, on
purpose, seeing first what would be ordered."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, time
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    ShopOption,
    console,
    errors,
    fail,
    get_config,
    get_database,
    one_shop,
    print_json,
    reported,
)
from tandem.connector.clock import utcnow
from tandem.connector.platforms import Capability, storefront

# What the command does is imported when it runs (issue 14: `tandem --help` needs none of it).
if TYPE_CHECKING:
    from tandem.connector.configuration import TandemConfig
    from tandem.connector.domain import Order
    from tandem.connector.services.backfill import BackfillReport
    from tandem.connector.store import Database
    from tandem.connector.store.exceptions import NewException


def parse_since(value: str, timezone: str) -> datetime:
    """A date (midnight) or a date and time; without a zone, in the configured time zone."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(
            escape(f"--since {value!r}")
            + " is not a date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM)",
            code=2,
        )
    if len(value.strip()) == 10:
        moment = datetime.combine(moment.date(), time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    if moment > utcnow():
        fail(
            f"--since {escape(value.strip())} is in the future: no order was updated since then",
            code=2,
        )
    return moment


def read_orders(
    config: TandemConfig, db: Database, since: datetime, *, dry_run: bool = False
) -> tuple[str, list[Order], list[NewException], list[str]]:
    """(shop, orders updated since `since`, exceptions for the unreadable, problems); a dry
    run checks that this database serves the shop without marking the shop as its own."""
    import asyncio

    from tandem.connector.services.polling import unreadable

    shop = storefront(config)

    async def fetch() -> tuple[list[Order], list[tuple[str, str]]]:
        async with shop.session(db) as session:
            if Capability.CLAIM in shop.capabilities:
                await session.claim(utcnow(), mark=not dry_run)
            return await session.orders_since(since)

    orders, problems = asyncio.run(fetch())
    return shop.shop, orders, unreadable(shop.shop, problems), [p for _, p in problems]


def backfill_command(
    since: Annotated[
        str, typer.Option("--since", help="Orders updated since this date (YYYY-MM-DD).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be ordered; keep nothing.")
    ] = False,
    config_path: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
    shop_name: ShopOption = None,
) -> None:
    """Plan the orders updated since DATE (older than the first poll), fences included.

    Changed catalogues and stock files are imported first, as `tandem sync` does; with
    --dry-run the orders, the plan and its PO lines are then shown and rolled back."""
    from tandem.connector.services.backfill import backfill
    from tandem.connector.sync import SyncReport, sync_inputs

    whole = get_config(config_path)
    config = one_shop(whole, shop_name)
    start = parse_since(since, config.timezone)
    db = get_database(whole)
    with reported():
        # What the plan stands on, as `tandem sync` has it: changed catalogues and stock.
        inputs = SyncReport()
        sync_inputs(db, config, utcnow(), inputs)
        shop, orders, unreadable, problems = read_orders(config, db, start, dry_run=dry_run)
        problems = inputs.failures + inputs.problems + problems
        report = backfill(
            db,
            config,
            shop,
            orders,
            utcnow(),
            unreadable=[] if dry_run else unreadable,
            dry_run=dry_run,
        )
    if as_json:
        print_json({**asdict(report), "problems": problems})
    else:
        print_report(config, report, start)
    for problem in problems:
        errors.print(problem, highlight=False, markup=False, soft_wrap=True)


def print_report(config: TandemConfig, report: BackfillReport, since: datetime) -> None:
    ingest = report.ingest
    console.print(
        f"{report.orders} order(s) updated since {since:%Y-%m-%d %H:%M %Z}: {ingest.created}"
        f" new, {ingest.updated} updated, {ingest.unchanged} unchanged"
        + (" (dry run: nothing is kept)" if report.dry_run else ""),
        highlight=False,
    )
    verb = "would order" if report.dry_run else "ordered"
    if not report.ordered:
        console.print(f"{verb}: nothing", highlight=False)
    supplier = None
    for line in report.ordered:
        if line.supplier_id != supplier:
            supplier = line.supplier_id
            found = config.supplier(supplier)
            name = found.name if found else supplier
            console.print(f"{verb} from {name} ({line.mode.replace('_', '-')}):", highlight=False)
        console.print(
            f"  {line.units} × {line.sku} ({line.supplier_sku}) for {', '.join(line.orders)}",
            highlight=False,
            markup=False,
        )
    if report.plan.released:
        console.print(
            f"released: {', '.join(report.plan.released)} (sent by the next `tandem sync`"
            " or the running `tandem run`)",
            highlight=False,
            markup=False,
        )
    if report.exceptions:
        console.print(
            f"not ordered, {len(report.exceptions)} exception(s)"
            + ("" if report.dry_run else " (see `tandem exceptions list`)")
            + ":",
            style="yellow",
            highlight=False,
        )
        for held in report.exceptions:
            console.print(
                f"  {held.order} {held.sku or ''} [{held.kind}] {held.message}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
