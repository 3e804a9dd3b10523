"""Refreshing a supplier's scheduled feed (`catalogue.source`, every `catalogue.every`).

One refresh: a conditional fetch (the validators of the last fetch that was imported, as long
as the catalogue settings are the same), then, when the feed changed, the usual import, which
writes only the offers that differ. The validators are stored only once the import succeeded,
so a feed that could not be read is downloaded again next time rather than taken as unchanged.

The check `catalogue:<supplier>` fails once the feed has not arrived, or could not be read, for
longer than `catalogue.fail_after` (counted from the last refresh that worked, else from the
first failure); before that a failed refresh is reported but raises nothing. With
`catalogue.max_age`, `catalogue:<supplier>:age` fails when the content has not changed for
longer than that.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tandem.connector.catalogue.feed_state import FeedState, load_state, save_state
from tandem.connector.catalogue.importer import ImportReport, find_supplier, import_catalogue
from tandem.connector.catalogue.sources import Fetched, SourceFactory, Validators
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.feeds import feed_label
from tandem.connector.configuration.fields import format_duration
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.errors import InputError, TandemError
from tandem.connector.health import Failure
from tandem.connector.store import Database


@dataclass
class FeedReport:
    supplier_id: str
    source: str  # the feed as messages name it
    unchanged: bool = False  # the source said so: nothing downloaded, nothing written
    imported: ImportReport | None = None
    error: str | None = None  # why this refresh did not work
    checked: list[str] = field(default_factory=list)  # tandem.connector.health checks covered
    failing: list[Failure] = field(default_factory=list)


def fingerprint(supplier: SupplierConfig) -> str:
    return hashlib.sha256(supplier.catalogue.model_dump_json().encode()).hexdigest()


def feed_due(db: Database, supplier: SupplierConfig, now: datetime) -> bool:
    """Whether the feed's `every` has passed since it was last fetched (or never was)."""
    state = load_state(db, supplier.id)
    if state is None or state.checked_at is None:
        return True
    return now - state.checked_at >= supplier.catalogue.every


def refresh_feed(
    db: Database, config: TandemConfig, supplier_id: str, now: datetime, sources: SourceFactory
) -> FeedReport:
    """Fetch and import `supplier_id`'s feed if it changed; record what was seen. Blocking
    (the fetch runs on an event loop of its own): call it from a thread in async code."""
    supplier = find_supplier(config, supplier_id)
    settings = supplier.catalogue
    if settings.source is None:
        raise InputError(f"supplier {supplier_id}", ["catalogue.source is not set"])
    label = feed_label(settings.source)
    report = FeedReport(supplier_id, label, checked=[f"catalogue:{supplier_id}"])
    state = load_state(db, supplier_id) or FeedState(supplier_id)
    current = fingerprint(supplier)
    known = Validators(state.etag, state.last_modified) if state.fingerprint == current else None
    fetched: Fetched | None = None
    with tempfile.TemporaryDirectory(prefix="tandem-feed-") as folder:
        try:
            source = sources(supplier, config)
            fetched = asyncio.run(source.fetch(known, Path(folder)))
            if fetched is None:
                report.unchanged = True
            else:
                report.imported = _import(db, config, supplier_id, fetched, label, now)
        except TandemError as exc:
            report.error = str(exc)
    state.checked_at = now
    state.source = label
    if report.error is None:
        _arrived(state, current, fetched, report.imported, now)
    else:
        state.failing_since = state.failing_since or now
        state.last_error = report.error
    save_state(db, state)
    _checks(report, supplier, state, now)
    return report


def _import(
    db: Database,
    config: TandemConfig,
    supplier_id: str,
    fetched: Fetched,
    label: str,
    now: datetime,
) -> ImportReport:
    try:
        result = import_catalogue(
            db, config, supplier_id, fetched.path, now=now, skip_unchanged=True, source=label
        )
    except InputError as exc:  # it names the temporary file: name the feed instead
        raise InputError(label, exc.problems) from None
    if result.kept_previous:
        raise InputError(
            label,
            [
                f"no row could be imported ({result.rows_rejected} rejected, first: "
                f"{result.problems[0] if result.problems else 'the file is empty'});"
                " the previous catalogue is kept"
            ],
        )
    return result


def _arrived(
    state: FeedState,
    current: str,
    fetched: Fetched | None,
    imported: ImportReport | None,
    now: datetime,
) -> None:
    state.arrived_at = now
    state.failing_since = None
    state.last_error = None
    if fetched is None:
        return
    state.fingerprint = current
    state.etag = fetched.validators.etag
    state.last_modified = fetched.validators.last_modified
    state.sha256 = fetched.sha256
    if (imported is not None and not imported.skipped) or state.changed_at is None:
        state.changed_at = fetched.modified_at or now


def _checks(report: FeedReport, supplier: SupplierConfig, state: FeedState, now: datetime) -> None:
    settings = supplier.catalogue
    check = f"catalogue:{supplier.id}"
    if report.error is not None:
        since = state.arrived_at or state.failing_since or now
        if now - since >= settings.fail_after:
            what = (
                f"not arrived since {since:%Y-%m-%d %H:%M} UTC"
                if state.arrived_at
                else (f"failing since {since:%Y-%m-%d %H:%M} UTC")
            )
            reason = (
                f"catalogue of {supplier.id}: feed {report.source} {what}, longer than"
                f" catalogue.fail_after ({format_duration(settings.fail_after)}): {report.error}"
            )
            report.failing.append(Failure(check, reason, supplier.id))
    if settings.max_age is None:
        return
    report.checked.append(f"{check}:age")
    changed = state.changed_at
    if changed is not None and now - changed > settings.max_age:
        reason = (
            f"catalogue of {supplier.id}: feed {report.source} last changed"
            f" {changed:%Y-%m-%d %H:%M} UTC, longer ago than its limit of"
            f" {format_duration(settings.max_age)}"
        )
        report.failing.append(Failure(f"{check}:age", reason, supplier.id))
