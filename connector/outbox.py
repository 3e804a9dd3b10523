"""The transactional outbox: side effects recorded with the state change that calls for them.

A service enqueues an item in the same transaction as its state change (DESIGN.md §3, 5); a
worker later claims it under a lease, performs it, and completes it. Each item carries an
idempotency key made once, at enqueue time, and sent on every attempt (§3, 4).

Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL so several workers share the work; on
SQLite the IMMEDIATE write transaction serialises claims. A worker only completes or fails an
item it still holds the lease on.

Recovery after a crash. The worker that performs a supplier message commits a *transmitting*
mark right before the channel's network call (`mark_transmitting`, see
`connector.transmission`). Before each claim, items whose holder is gone are handed back
(`reclaim`): those whose lease ran out, and at once those of a lease owner on this host whose
process no longer runs (`connector.leases`: the owner is host, pid and start time). An item
that was never marked transmitting cannot have been performed: it is pending again as if
never claimed (the attempt is not counted). An item that was marked may have arrived: it
comes back `in_doubt`, so the channel must look before it acts. Items of the kinds whose
performers do not mark (store writes, which carry their own idempotency keys) count as marked
from their claim. An item stays in doubt (the `in_doubt` column) until an attempt settles
what happened: handed back unstarted on shutdown, or given back because asking the supplier
failed, it is still in doubt for whoever claims it next.

The messages to a supplier about one PO (`po.send`, `po.change`) go out in revision order: a
revision is not claimed while an earlier one of the same PO is pending, in progress (leased
or in doubt) or held for a person, so a cancellation never overtakes the order it cancels.

Statuses: pending and in_progress wait; done was performed; dead failed for good and held is
in doubt (an earlier attempt may have arrived), both waiting for a person; withdrawn was
never performed and is no longer wanted (a PO cancelled before it went out).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, not_, or_, select

from tandem.connector import leases
from tandem.connector.store import schema as t
from tandem.connector.store.bulk import insert_rows
from tandem.connector.store.keys import among, batches

PENDING, IN_PROGRESS, DONE, DEAD = "pending", "in_progress", "done", "dead"
HELD, WITHDRAWN = "held", "withdrawn"
# Supplier messages about one PO (its first sending, then each change request or
# cancellation), performed strictly in the order of their revision (`revision_of`).
SEND, CHANGE = "po.send", "po.change"
IN_REVISION_ORDER = (SEND, CHANGE)
# The kinds whose performer marks the moment it starts transmitting (dispatch): an item of
# these kinds claimed but never marked was not performed.
MARKED_KINDS = IN_REVISION_ORDER


def worker_name() -> str:
    """This process, as lease owner: host, process id and start time (`connector.leases`)."""
    return leases.owner()


@dataclass(frozen=True)
class Reclaimed:
    """What `reclaim` found: items handed back as never performed, and items in doubt."""

    handed_back: int = 0
    in_doubt: int = 0


@dataclass(frozen=True)
class Effect:
    """A side effect to perform after commit."""

    kind: str
    dedupe_key: str
    payload: dict[str, Any]
    po_id: int | None = None
    supplier_id: str | None = None
    # The shop a write-back goes to; unset: the shop its payload names, if any.
    shop: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    dedupe_key: str
    idempotency_key: str
    payload: dict[str, Any]
    attempts: int  # including the current one
    po_id: int | None
    supplier_id: str | None
    in_doubt: bool  # an earlier attempt's outcome is unknown
    first_attempt: bool = False  # no attempt was ever made before this one


def revision_of(item: Any) -> int:
    """The PO revision a `po.send` / `po.change` item (row or OutboxItem) carries."""
    return int((item.payload or {}).get("revision") or 1)


def was_never_attempted(row: Any) -> bool:
    """No worker has tried to perform the item (row) yet: its effect cannot have happened.
    The same test as `never_attempted`, on a row already read."""
    return bool(row.status == PENDING and row.attempts == 0 and row.last_error is None)


def enqueue(
    conn: Connection, effects: Sequence[Effect], now: datetime, available_at: datetime | None = None
) -> int:
    """Add the effects not enqueued before (by dedupe key); returns how many were added."""
    if not effects:
        return 0
    keys = [e.dedupe_key for e in effects]
    known: set[str] = set()
    for part in batches(conn, keys):
        known.update(
            conn.execute(
                select(t.outbox.c.dedupe_key).where(among(conn, t.outbox.c.dedupe_key, part))
            ).scalars()
        )
    rows = []
    for effect in effects:
        if effect.dedupe_key in known:
            continue
        known.add(effect.dedupe_key)
        rows.append(
            {
                "kind": effect.kind,
                "dedupe_key": effect.dedupe_key,
                "idempotency_key": str(uuid.uuid4()),
                "payload": effect.payload,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": available_at or now,
                "po_id": effect.po_id,
                "supplier_id": effect.supplier_id,
                "shop": effect.shop or effect.payload.get("shop"),
                "created_at": now,
            }
        )
    insert_rows(conn, t.outbox, rows)
    return len(rows)


def _due(now: datetime) -> Any:
    o = t.outbox.c
    return and_(o.status == PENDING, o.next_attempt_at <= now)


def reclaim(conn: Connection, worker: str, now: datetime) -> Reclaimed:
    """Hand back the items whose holder is gone: the lease ran out, or the owner is a process
    of this host that no longer runs. Never marked transmitting: pending again, the attempt
    not counted. Marked: pending and in doubt. `claim` calls it first; a worker may call it
    when it starts. Rows another transaction is reclaiming are skipped, not waited for."""
    o = t.outbox.c
    owners = conn.execute(
        select(o.lease_owner)
        .where(o.status == IN_PROGRESS, o.lease_expires_at >= now, o.lease_owner != worker)
        .distinct()
    ).scalars()
    dead = [name for name in owners if name and leases.is_dead(name)]
    gone = o.lease_expires_at < now
    if dead:
        gone = or_(gone, o.lease_owner.in_(dead))
    marked = or_(o.transmitting_at.is_not(None), not_(o.kind.in_(MARKED_KINDS)))
    rows = conn.execute(
        select(o.id, marked.label("marked"))
        .where(o.status == IN_PROGRESS, gone)
        .with_for_update(skip_locked=True)
    ).all()
    unmarked = [r.id for r in rows if not r.marked]
    doubtful = [r.id for r in rows if r.marked]
    released = {"status": PENDING, "lease_owner": None, "lease_expires_at": None}
    for start in range(0, len(unmarked), 900):
        conn.execute(
            t.outbox.update()
            .where(o.id.in_(unmarked[start : start + 900]))
            .values(**released, attempts=o.attempts - 1)
        )
    for start in range(0, len(doubtful), 900):
        conn.execute(
            t.outbox.update()
            .where(o.id.in_(doubtful[start : start + 900]))
            .values(
                **released,
                in_doubt=True,
                transmitting_at=None,
                last_error=literal("stopped while performing it: ") + o.lease_owner,
            )
        )
    return Reclaimed(len(unmarked), len(doubtful))


def _waiting_behind(conn: Connection, rows: Sequence[Any]) -> set[int]:
    """Ids of the candidate rows that must wait: an earlier revision of the same PO is still
    pending, in progress (leased or in doubt) or held. One query for the whole window, not
    one per row, so a claim stays cheap with thousands of items waiting."""
    o = t.outbox.c
    ordered = [r for r in rows if r.kind in IN_REVISION_ORDER and r.po_id is not None]
    if not ordered:
        return set()
    earliest: dict[int, int] = {}
    po_ids = sorted({r.po_id for r in ordered})
    for start in range(0, len(po_ids), 900):
        for row in conn.execute(
            select(o.po_id, o.payload).where(
                o.po_id.in_(po_ids[start : start + 900]),
                o.kind.in_(IN_REVISION_ORDER),
                o.status.in_([PENDING, IN_PROGRESS, HELD]),
            )
        ):
            revision = revision_of(row)
            earliest[row.po_id] = min(revision, earliest.get(row.po_id, revision))
    return {r.id for r in ordered if earliest.get(r.po_id, revision_of(r)) < revision_of(r)}


def claim(
    conn: Connection,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int = 10,
    kinds: Collection[str] | None = None,
    shop: str | None = None,
) -> list[OutboxItem]:
    """Take up to `limit` due items (of `kinds`, for `shop`) under a lease for `worker`, after
    handing back those whose holder is gone (`reclaim`). Commit right after, so other workers
    see the lease, and perform the items outside the transaction."""
    o = t.outbox.c
    reclaim(conn, worker, now)
    query = (
        select(t.outbox)
        .where(_due(now))
        .order_by(o.next_attempt_at, o.id)
        .with_for_update(skip_locked=True)
    )
    if kinds is not None:
        query = query.where(o.kind.in_(list(kinds)))
    if shop is not None:
        query = query.where(o.shop == shop)
    # Due items are read a window at a time; those waiting behind an earlier revision of
    # their PO are passed over (FOR UPDATE keeps them locked only until this commit).
    window = max(4 * limit, 20)
    rows: list[Any] = []
    offset = 0
    while len(rows) < limit:
        found = conn.execute(query.limit(window).offset(offset)).all()
        blocked = _waiting_behind(conn, found)
        rows.extend(r for r in found if r.id not in blocked)
        if len(found) < window:
            break
        offset += window
    rows = rows[:limit]
    if not rows:
        return []
    conn.execute(
        t.outbox.update()
        .where(o.id.in_([r.id for r in rows]))
        .values(
            status=IN_PROGRESS,
            lease_owner=worker,
            lease_expires_at=now + lease,
            attempts=o.attempts + 1,
            transmitting_at=None,  # this attempt has not started transmitting
        )
    )
    return [
        OutboxItem(
            id=r.id,
            kind=r.kind,
            dedupe_key=r.dedupe_key,
            idempotency_key=r.idempotency_key,
            payload=r.payload,
            attempts=r.attempts + 1,
            po_id=r.po_id,
            supplier_id=r.supplier_id,
            in_doubt=bool(r.in_doubt),
            first_attempt=was_never_attempted(r),
        )
        for r in rows
    ]


def _held_by(item_id: int, worker: str) -> Any:
    o = t.outbox.c
    return and_(o.id == item_id, o.status == IN_PROGRESS, o.lease_owner == worker)


def mark_transmitting(
    conn: Connection, item_id: int, worker: str, now: datetime, lease: timedelta
) -> bool:
    """`worker` starts transmitting the item now (commit at once): from here on, should it
    die, the item may have been performed and comes back in doubt. Renews the lease. False
    when another worker holds the item now: then transmit nothing."""
    result = conn.execute(
        t.outbox.update()
        .where(_held_by(item_id, worker))
        .values(transmitting_at=now, lease_expires_at=now + lease)
    )
    return result.rowcount == 1


def renew(conn: Connection, item_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
    """Extend `worker`'s lease on an item it claimed and has not started; False when another
    worker holds it now (the lease ran out and it was claimed again): leave it alone."""
    result = conn.execute(
        t.outbox.update().where(_held_by(item_id, worker)).values(lease_expires_at=now + lease)
    )
    return result.rowcount == 1


def complete(conn: Connection, item_id: int, worker: str, now: datetime) -> bool:
    """Mark done; False when the lease was lost (another worker owns the item now)."""
    result = conn.execute(
        t.outbox.update()
        .where(_held_by(item_id, worker))
        .values(
            status=DONE,
            completed_at=now,
            lease_owner=None,
            lease_expires_at=None,
            transmitting_at=None,
            last_error=None,
            in_doubt=False,
        )
    )
    return result.rowcount == 1


def retry(
    conn: Connection, item_id: int, worker: str, error: str, at: datetime, *, in_doubt: bool = False
) -> bool:
    """Give the item back for another attempt at `at`, recording why this one failed.

    With `in_doubt` the item stays in doubt, so whoever claims it next is told to look
    before acting (an earlier attempt may have arrived and nothing has said otherwise yet);
    without, this attempt's failure settled that nothing was performed."""
    result = conn.execute(
        t.outbox.update()
        .where(_held_by(item_id, worker))
        .values(
            status=PENDING,
            next_attempt_at=at,
            lease_owner=None,
            lease_expires_at=None,
            transmitting_at=None,
            last_error=error[:4000],
            in_doubt=in_doubt,
        )
    )
    return result.rowcount == 1


def _stopped(status: str, why: str, now: datetime) -> dict[str, Any]:
    """The values of an item that stops here: no one holds it, and `why` says what stopped it."""
    return {
        "status": status,
        "completed_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
        "transmitting_at": None,
        "last_error": why[:4000],
        # Held stays in doubt (a person answers); otherwise what happened is settled.
        "in_doubt": status == HELD,
    }


def dead_letter(conn: Connection, item_id: int, worker: str, error: str, now: datetime) -> bool:
    """Stop trying: the item needs a person (the caller raises the exception that says so)."""
    result = conn.execute(
        t.outbox.update().where(_held_by(item_id, worker)).values(_stopped(DEAD, error, now))
    )
    return result.rowcount == 1


def hold(conn: Connection, item_id: int, worker: str, reason: str, now: datetime) -> bool:
    """Stop an item that may or may not have been performed: a person must say which
    (`complete_held`, or `requeue` to perform it again). Later revisions of its PO wait."""
    result = conn.execute(
        t.outbox.update().where(_held_by(item_id, worker)).values(_stopped(HELD, reason, now))
    )
    return result.rowcount == 1


def complete_held(conn: Connection, dedupe_key: str, note: str, now: datetime) -> bool:
    """A person confirms that a held or dead item was performed after all."""
    o = t.outbox.c
    result = conn.execute(
        t.outbox.update()
        .where(o.dedupe_key == dedupe_key, o.status.in_([HELD, DEAD]))
        .values(status=DONE, completed_at=now, last_error=note[:4000], in_doubt=False)
    )
    return result.rowcount == 1


def withdraw(
    conn: Connection, dedupe_key: str, reason: str, now: datetime, *, when: Any = None
) -> bool:
    """Drop an item that is no longer wanted, provided `when` (by default: never attempted,
    see `never_attempted`) holds at this moment; an item a worker is performing is never
    touched. True when it was withdrawn."""
    o = t.outbox.c
    result = conn.execute(
        t.outbox.update()
        .where(
            o.dedupe_key == dedupe_key,
            o.status != IN_PROGRESS,
            never_attempted() if when is None else when,
        )
        .values(_stopped(WITHDRAWN, reason, now))
    )
    return result.rowcount == 1


def release_leases(conn: Connection, worker: str, now: datetime) -> int:
    """On shutdown: hand back what `worker` claimed and did not start; due again at once.
    An item it claimed in doubt stays in doubt (`in_doubt` is left as the claim set it). One
    it was transmitting when it was stopped (cancelled mid-send) comes back in doubt."""
    o = t.outbox.c
    started = o.transmitting_at.is_not(None)
    result = conn.execute(
        t.outbox.update()
        .where(o.status == IN_PROGRESS, o.lease_owner == worker)
        .values(
            status=PENDING,
            lease_owner=None,
            lease_expires_at=None,
            transmitting_at=None,
            next_attempt_at=now,
            attempts=case((started, o.attempts), else_=o.attempts - 1),
            in_doubt=or_(o.in_doubt, started),
        )
    )
    return result.rowcount


def requeue(conn: Connection, dedupe_key: str, now: datetime) -> bool:
    """Make a finished, dead or held item due again, keeping its idempotency key. It gets a
    fresh attempt budget but keeps a note, so it never passes for one not yet attempted."""
    o = t.outbox.c
    result = conn.execute(
        t.outbox.update()
        .where(o.dedupe_key == dedupe_key, o.status.in_([DONE, DEAD, HELD]))
        .values(
            status=PENDING,
            next_attempt_at=now,
            completed_at=None,
            transmitting_at=None,
            attempts=0,
            last_error=func.coalesce(o.last_error, "performed before; requeued"),
            in_doubt=False,  # a person decided: perform it again
        )
    )
    return result.rowcount == 1


def never_attempted() -> Any:
    """Pending items no worker has tried to perform yet (their effect cannot have happened);
    `was_never_attempted` is the same test on a row already read."""
    o = t.outbox.c
    return and_(o.status == PENDING, o.attempts == 0, o.last_error.is_(None))


def depth(conn: Connection, now: datetime) -> dict[str, Any]:
    """Items waiting (pending or in progress), items stopped for a person (dead, or held in
    doubt), and the age of the oldest waiting."""
    o = t.outbox.c
    rows = conn.execute(
        select(o.status, func.count(), func.min(o.created_at)).group_by(o.status)
    ).all()
    counts = {status: count for status, count, _ in rows}
    oldest = min(
        (first for status, _, first in rows if status in (PENDING, IN_PROGRESS) and first),
        default=None,
    )
    if isinstance(oldest, str):
        oldest = datetime.fromisoformat(oldest)
    return {
        "waiting": counts.get(PENDING, 0) + counts.get(IN_PROGRESS, 0),
        "dead": counts.get(DEAD, 0) + counts.get(HELD, 0),
        "held": counts.get(HELD, 0),
        "done": counts.get(DONE, 0),
        "oldest_waiting_seconds": (now - oldest.replace(tzinfo=now.tzinfo)).total_seconds()
        if oldest
        else 0.0,
    }
