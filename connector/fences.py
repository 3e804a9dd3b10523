"""Fences: what the store already says about an order stops this database ordering it again.

Inside one database the allocations keep anything from being ordered twice; the suppliers'
inboxes are outside it. A second database pointed at the same shop, a fresh one after a loss,
or an install on a shop whose orders were ordered by hand must not order those again. So
before a line that holds nothing is ordered, the order's own record in the store is read:

- POs a Tandem wrote on it (the PO list it keeps on the order, and PO-number tags) that are
  not this database's: another database has handled it;
- a Tandem status tag while no PO of this database serves the order: the same;
- its fulfilment held or closed in the store, or the line already fulfilled there: a person
  or another app has handled it.

Any of these makes the line an exception saying so, never a PO, until a person decides to
order it anyway. Pure: the store layer gathers the facts, the planner applies the verdict.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tandem.connector.domain import POStatus, PriorHandling

# A PO that ended orders nothing: another database's cancelled PO is no reason to stop.
ENDED = frozenset({POStatus.CANCELLED.value, POStatus.REJECTED.value})


@dataclass(frozen=True, slots=True)
class FenceRules:
    """How Tandem marks an order, as this configuration writes it, and who "we" are."""

    po_prefix: str  # PO numbers are this prefix and digits ("PO-00012")
    status_tag: str  # the status tag template ("tandem:{status}"); "" for none
    database_id: str | None  # this database's id; None before it has one
    # The other shops' templates, where several shops have templates of their own: a tag any
    # of them writes marks an order as handled.
    other_status_tags: tuple[str, ...] = ()

    def is_po_number(self, tag: str) -> bool:
        return re.fullmatch(re.escape(self.po_prefix) + r"\d+", tag) is not None

    def live_status_tags(self) -> frozenset[str]:
        templates = {t for t in (self.status_tag, *self.other_status_tags) if t}
        return frozenset(
            template.format(status=s.value)
            for template in templates
            for s in POStatus
            if s.value not in ENDED
        )


@dataclass(frozen=True, slots=True)
class Fence:
    """Why a line is not ordered. `accepted`: a person agreed it was handled elsewhere (closed
    its exception without ordering), so it waits without asking again."""

    message: str
    accepted: bool = False


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """What the store says of one order, and which PO numbers of this database served it."""

    name: str
    tags: Sequence[str]
    prior: PriorHandling
    our_numbers: Collection[str]


def order_reasons(record: OrderRecord, rules: FenceRules) -> list[str]:
    """Why the store says this order was already handled elsewhere; empty when it does not."""
    reasons: list[str] = []
    ours = set(record.our_numbers)
    listed = {p.number for p in record.prior.purchase_orders}
    foreign: list[str] = []
    for po in record.prior.purchase_orders:
        if po.status in ENDED or _is_ours(po.number, po.database, ours, rules):
            continue
        said = ", ".join(p for p in (po.supplier, po.status) if p)
        foreign.append(f"{po.number} ({said})" if said else po.number)
    if foreign:
        reasons.append(
            f"order {record.name} already names {', '.join(foreign)} from another Tandem database"
        )
    tagged = [
        tag
        for tag in record.tags
        if rules.is_po_number(tag) and tag not in ours and tag not in listed
    ]
    if tagged:
        reasons.append(
            f"order {record.name} is tagged {', '.join(tagged)}, not a PO of this database"
        )
    if not (ours or foreign or tagged):
        status = sorted(set(record.tags) & rules.live_status_tags())
        if status:
            reasons.append(
                f"order {record.name} is tagged {', '.join(status)} but no PO of this"
                " database serves it"
            )
    if record.prior.on_hold:
        reasons.append(f"order {record.name}'s fulfilment is on hold in the shop")
    return reasons


def _is_ours(number: str, database: str | None, ours: set[str], rules: FenceRules) -> bool:
    # PO numbers repeat across databases: when the store names the database, it decides.
    if database is not None and rules.database_id is not None:
        return database == rules.database_id
    return number in ours


def line_fence(
    order: Sequence[str],
    order_name: str,
    sku: str | None,
    quantity: int,
    fulfilled: int,
    *,
    closed: bool = False,
) -> str | None:
    """The exception message for a line of an order with these `order` reasons (and its
    fulfilment `closed` in the store), or None when nothing stops ordering it."""
    reasons = list(order)
    what = f"{quantity} × {sku or 'a line without SKU'}"
    if fulfilled > 0:
        done = min(fulfilled, quantity)
        reasons.append(f"order {order_name}: {done} of {what} already fulfilled in the shop")
    elif closed:
        reasons.append(f"order {order_name} has no fulfilment left open in the shop")
    if not reasons:
        return None
    return (
        f"{'; '.join(reasons)}. Nothing ordered for {what}: plan it anyway if it still needs"
        " ordering"
    )
