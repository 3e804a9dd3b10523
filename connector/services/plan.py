"""Run the planner: load a snapshot, plan (pure), apply the difference in one transaction.

Applying keeps invariant 2 at every step that another transaction could see: the whole plan
lands at commit or not at all, and each line ends holding no more than it needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, func, select

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import ExceptionKind, Mode
from tandem.connector.fences import FenceRules
from tandem.connector.planning import HoldKind, LineToPlan, Plan, PlanningInput, plan
from tandem.connector.routing import ChoiceRules, ModeRules
from tandem.connector.services.changes import ChangeReason, request_changes
from tandem.connector.services.release import customer_addresses, release_due, warehouse_ship_to
from tandem.connector.services.store_updates import (
    po_ids_of_lines,
    queue_status_updates,
    writes_back,
)
from tandem.connector.services.suppliers import replan_waiting, supplier_terms, sync_suppliers
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.bulk import update_rows
from tandem.connector.store.events import Event, record
from tandem.connector.store.exceptions import (
    NewException,
    raise_exceptions,
    resolve_planning_exceptions,
)
from tandem.connector.store.planning_input import load_lines, load_supply
from tandem.connector.store.prior import this_database_id
from tandem.connector.store.purchase_orders import (
    DraftSpec,
    add_allocations,
    draft_ids,
    po_line_ids,
    recompute_lines,
    set_allocation,
)


@dataclass
class PlanSummary:
    lines: int = 0
    allocated_units: int = 0
    linked_units: int = 0
    shrunk_units: int = 0
    exceptions_opened: int = 0
    exceptions_closed: int = 0
    changes: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)


def planning_rules(config: TandemConfig) -> tuple[ModeRules, ChoiceRules]:
    rules = config.rules
    return (
        ModeRules(
            default_mode=rules.default_mode,
            property_names=tuple(rules.mode_properties),
            tag_modes=dict(rules.mode_tags),
        ),
        ChoiceRules(
            strategy=rules.supplier_strategy,
            currency=config.currency,
            exchange_rates=dict(rules.exchange_rates),
        ),
    )


def run_planner(
    db: Database,
    config: TandemConfig,
    now: datetime,
    *,
    dry_run: bool = False,
    everything: bool = False,
    release: bool = True,
) -> PlanSummary:
    """Plan every line marked for planning (or every line), then release due drafts. With
    `dry_run` the work is done and reported, then rolled back."""
    with db.write(rollback=dry_run) as conn:
        db.lock(conn, "planner")
        sync_suppliers(conn, config, now)
        summary = plan_lines(conn, config, now, everything=everything)
        if release:
            summary.released = [r.number for r in release_due(conn, config, now)]
    return summary


def fence_rules(conn: Connection, config: TandemConfig) -> FenceRules:
    """How this database's Tandem marks orders in the store, to tell its marks from others'."""
    return FenceRules(
        po_prefix=config.po_number_prefix,
        status_tag=config.store.status_tag,
        other_status_tags=tuple(s.status_tag for s in config.stores[1:]),
        database_id=this_database_id(conn),
    )


def plan_lines(
    conn: Connection, config: TandemConfig, now: datetime, *, everything: bool = False
) -> PlanSummary:
    if not everything:
        # A changed line can free supply (a shrunk order credits what its released PO
        # holds): lines of the same SKUs waiting on a planning exception look again.
        flagged = select(t.order_lines.c.sku).where(t.order_lines.c.needs_planning).distinct()
        skus = [sku for (sku,) in conn.execute(flagged)]
        if skus:
            replan_waiting(conn, skus)
    lines = load_lines(conn, everything=everything, fences=fence_rules(conn, config))
    if not lines:
        return PlanSummary()
    before = conn.execute(select(func.max(t.exceptions.c.id))).scalar() or 0
    offers, committed, free, open_po = load_supply(conn, lines, config.rules.quantity_basis)
    # The first shop's reading of the mode, for lines of a shop not (or no longer) listed.
    mode_rules, choice_rules = planning_rules(config.for_shop(config.store))
    result = plan(
        PlanningInput(
            lines=lines,
            offers=offers,
            suppliers=supplier_terms(config),
            mode_rules=mode_rules,
            choice_rules=choice_rules,
            quantity_basis=config.rules.quantity_basis,
            free_stock=free,
            open_po_lines=open_po,
            committed=committed,
            separate_shops=len(config.stores) > 1,
            shop_mode_rules={
                shop.store.shop_name: planning_rules(shop)[0] for shop in config.shops()
            },
        )
    )
    summary = apply_plan(conn, config, lines, result, now)
    # Planning problems and the change requests it recorded alike.
    summary.exceptions_opened = (
        conn.execute(
            select(func.count()).select_from(t.exceptions).where(t.exceptions.c.id > before)
        ).scalar()
        or 0
    )
    return summary


def _why_less(line: LineToPlan) -> str:
    if line.cancelled:
        return f"order {line.order_name} was cancelled"
    if line.quantity == 0:
        return f"line {line.sku} was removed from order {line.order_name}"
    return f"order {line.order_name} now needs {line.quantity} × {line.sku}"


def apply_plan(
    conn: Connection,
    config: TandemConfig,
    lines: Sequence[LineToPlan],
    result: Plan,
    now: datetime,
) -> PlanSummary:
    summary = PlanSummary(lines=len(result.decisions))
    by_id = {line.id: line for line in lines}
    touched: set[int] = set()
    reasons: list[ChangeReason] = []
    events: list[Event] = []

    for shrink in result.shrinks:
        held, line = shrink.held, by_id[shrink.line_id]
        set_allocation(conn, held.id, shrink.new_units, held.received)
        summary.shrunk_units += held.units - shrink.new_units
        if held.po_line_id is not None:
            touched.add(held.po_line_id)
        if held.kind is HoldKind.RELEASED and held.po_id is not None:
            why = _why_less(line) if shrink.new_units < held.units else shrink.reason
            reasons.append(ChangeReason(held.po_id, line.order_id, why))
            events.append(
                Event(
                    "allocation_reduced",
                    f"{held.units - shrink.new_units} × {line.sku} taken off {held.po_number}:"
                    f" {why}",
                    order_id=line.order_id,
                    po_id=held.po_id,
                    supplier_id=held.supplier_id,
                )
            )

    terms = supplier_terms(config)
    warehouse = warehouse_ship_to(config)
    addresses = customer_addresses(
        conn, [a.order_id for a in result.allocations if a.mode is Mode.DROP_SHIP]
    )
    specs: dict[str, DraftSpec] = {}
    for alloc in result.allocations:
        supplier = terms[alloc.offer.supplier_id]
        per_order = alloc.mode is Mode.DROP_SHIP or not supplier.consolidate
        supplier_config = config.supplier(supplier.id)
        currency = config.supplier_currency(supplier_config) if supplier_config else config.currency
        specs[alloc.group_key] = DraftSpec(
            supplier_id=supplier.id,
            mode=alloc.mode,
            ship_to_key=alloc.ship_to_key,
            order_id=alloc.order_id if per_order else None,
            currency=currency,
            ship_to=addresses.get(alloc.order_id) if alloc.mode is Mode.DROP_SHIP else warehouse,
            shop=alloc.shop,
        )
    drafts = draft_ids(conn, specs, now) if specs else {}
    wanted = {(drafts[a.group_key], a.offer.supplier_sku): a.offer for a in result.allocations}
    line_of = po_line_ids(conn, wanted) if wanted else {}
    items: list[tuple[int, int | None, int]] = []
    planned: dict[int, list[str]] = defaultdict(list)
    for alloc in result.allocations:
        po_line = line_of[(drafts[alloc.group_key], alloc.offer.supplier_sku)]
        items.append((alloc.line_id, po_line, alloc.units))
        touched.add(po_line)
        summary.allocated_units += alloc.units
        planned[by_id[alloc.line_id].order_id].append(
            f"{alloc.units} × {alloc.offer.sku} from {alloc.offer.supplier_id}"
            f" ({alloc.mode.value.replace('_', '-')})"
        )
    for link in result.links:
        items.append((link.line_id, link.po_line_id, link.units))
        summary.linked_units += link.units
        source = "warehouse stock" if link.po_line_id is None else "an open PO"
        planned[by_id[link.line_id].order_id].append(f"{link.units} × {link.sku} from {source}")
        if link.po_line_id is not None:
            touched.add(link.po_line_id)
    add_allocations(conn, items, now)
    events.extend(
        Event("order_planned", f"Planned: {', '.join(parts)}", order_id=order_id)
        for order_id, parts in planned.items()
    )

    changed = recompute_lines(conn, touched, now)
    summary.changes = request_changes(conn, changed, reasons, now)
    # Orders whose share of a numbered PO changed (taken off, or linked to an open PO's spare
    # units) are told what that PO now means for them; drafts are told at release.
    if writes_back(config):
        queue_status_updates(conn, config, po_ids_of_lines(conn, touched), now)
    _record_decisions(conn, result, now)
    summary.exceptions_closed = _record_problems(conn, by_id, result, now)
    record(conn, events, now)
    return summary


def _record_decisions(conn: Connection, result: Plan, now: datetime) -> None:
    if not result.decisions:
        return
    update_rows(
        conn,
        t.order_lines,
        [
            {
                "id": d.line_id,
                "mode": d.mode.value,
                "mode_source": d.mode_source[:300],
                "mode_fallback": d.fallback,
                "needed": d.needed,
                "status": d.status.value,
                "needs_planning": False,
                "planned_at": now,
            }
            for d in result.decisions
        ],
    )


def _record_problems(
    conn: Connection, by_id: dict[int, LineToPlan], result: Plan, now: datetime
) -> int:
    """Raise the plan's problems and alerts; close the planner's exceptions it no longer
    finds. Returns how many were closed (plan_lines counts what opened, change requests
    included)."""
    items: list[NewException] = []
    for p in result.problems:
        line = by_id[p.line_id]
        items.append(
            NewException(
                p.kind,
                f"line:{p.line_id}:{p.kind.value}",
                p.message,
                order_id=line.order_id,
                order_line_id=line.id,
                details={"sku": line.sku, "order": line.order_name},
            )
        )
    keep = {i.dedupe_key for i in items}
    for a in result.alerts:
        line = by_id[a.line_id]
        items.append(
            NewException(
                ExceptionKind.CHANGED_AFTER_SEND,
                f"line:{a.line_id}:{a.kind.value}:po:{a.po_id}",
                a.message,
                order_id=line.order_id,
                order_line_id=line.id,
                po_id=a.po_id,
                details={"sku": line.sku, "order": line.order_name},
            )
        )
    raise_exceptions(conn, items, now)
    return resolve_planning_exceptions(conn, [d.line_id for d in result.decisions], keep, now)
