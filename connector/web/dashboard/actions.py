"""What a person does about an exception: mark it resolved, resend or cancel the PO, plan the
line again, or plan it with another supplier. A send held in doubt is answered instead: it
arrived (the PO is recorded as sent) or it did not (it is sent again); marking it resolved
alone is refused, as it would leave the PO waiting for that answer.

Every action names the logged-in user: a resolution in the exception's `resolved_by`,
`resolution` and `resolved_at`, and an event on the order's or the PO's timeline. Retrying
and choosing a supplier run the planner at once, so the page can say what came of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tandem.connector.clock import utcnow
from tandem.connector.errors import ConflictError, TandemError
from tandem.connector.services import po_actions
from tandem.connector.services.plan import run_planner
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record
from tandem.connector.store.exceptions import AnswerNeeded, resolve, resolve_by_hand
from tandem.connector.web.dashboard.pages import actions_for, number
from tandem.connector.web.dashboard.queries import exceptions_queue, order_lines
from tandem.connector.web.dashboard.session import Session
from tandem.connector.web.dashboard.web import Dashboard, safe_next

Item = dict[str, Any]
Handler = Callable[[Item, str, FormData], str]


def _text(form: FormData, key: str, limit: int = 1000) -> str:
    value = form.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _event(item: Item, kind: str, message: str) -> Event:
    return Event(
        kind,
        message,
        order_id=item["order_id"],
        po_id=item["po_id"],
        supplier_id=item["supplier_id"],
        data={"exception_id": item["id"]},
    )


def _label(item: Item) -> str:
    return f"exception {item['id']} ({item['kind']})"


# How a refused or failed action is named in the notice ("Could not ...").
VERBS = {"supplier": "pick a supplier for", "arrived": "record the arrival for"}
# How a send held in doubt is answered on the dashboard (its two buttons).
ANSWERS = '"It arrived" (it did) or "Send again" (it did not)'


def _closing(item: Item, user: str, note: str, now: datetime) -> Callable[[Connection], None]:
    """Resolve the exception inside the PO action's transaction, so the action and the
    resolution happen together or not at all: a page shown before someone else resolved
    it must not resend or cancel the PO."""

    def close(conn: Connection) -> None:
        if not resolve(conn, item["id"], user, note, now):
            by = conn.execute(
                select(t.exceptions.c.resolved_by).where(t.exceptions.c.id == item["id"])
            ).scalar()
            raise ConflictError(f"{_label(item)} was already resolved by {by}; nothing was done")

    return close


def describe_line(conn: Connection, item: Item) -> tuple[str, list[Item]]:
    """Where the exception's order line stands now, in one sentence; its open exceptions."""
    lines = order_lines(conn, [item["order_id"]]).get(item["order_id"], [])
    line = next((x for x in lines if x["id"] == item["order_line_id"]), None)
    if line is None:
        return "", []
    where = ", ".join(
        f"{a['quantity']} on {a['po']} ({a['supplier']})"
        if a["po"]
        else f"{a['quantity']} from stock"
        for a in line["allocations"]
    )
    text = f"Order {item['order_name']}, {line['sku'] or line['title']}: {line['status']}"
    text += f" — {where}" if where else ""
    problems = "; ".join(f"{e['message']} (exception {e['id']})" for e in line["exceptions"])
    return text + (f". Still open: {problems}" if problems else "."), line["exceptions"]


class ExceptionActions:
    """The actions, each run off the event loop: `(exception, user, form) -> what happened`."""

    def __init__(self, dashboard: Dashboard) -> None:
        self.db, self.config = dashboard.db, dashboard.config
        self.supplier_ids = {s.id for s in self.config.suppliers}
        self.handlers: dict[str, Handler] = {
            "resolve": self.mark_resolved,
            "resend": self.resend,
            "arrived": self.arrived,
            "cancel": self.cancel,
            "retry": self.retry,
            "supplier": self.choose_supplier,
        }

    def mark_resolved(self, item: Item, user: str, form: FormData) -> str:
        note = _text(form, "note") or "resolved by hand"
        now = utcnow()
        with self.db.write() as conn:
            if not resolve_by_hand(conn, item["id"], user, note, now, answers=ANSWERS):
                return f"{_label(item)} was already resolved."
            message = f"{_label(item)} resolved by {user}: {note}"
            record(conn, [_event(item, "exception.resolved", message)], now)
        return f"{_label(item)} resolved by {user}."

    def resend(self, item: Item, user: str, form: FormData) -> str:
        now = utcnow()
        close = _closing(item, user, f"resent by {user}", now)
        result = po_actions.resend(self.db, item["po_number"], now, who=user, first=close)
        return f"{result.message}; {_label(item)} resolved."

    def arrived(self, item: Item, user: str, form: FormData) -> str:
        reference = _text(form, "reference", 200) or None
        now = utcnow()
        said = f" (reference {reference})" if reference else ""
        note = f"{item['po']} arrived at the supplier{said}, said {user}"
        close = _closing(item, user, note, now)
        result = po_actions.arrived(
            self.db,
            self.config,
            item["po_number"],
            now,
            who=user,
            supplier_reference=reference,
            first=close,
        )
        return f"{result.message}; {_label(item)} resolved."

    def cancel(self, item: Item, user: str, form: FormData) -> str:
        now = utcnow()
        close = _closing(item, user, f"{item['po']} cancelled by {user}", now)
        result = po_actions.cancel(self.db, self.config, item["po"], now, who=user, first=close)
        return (
            f"{result.message}; {_label(item)} resolved. Its orders are planned again"
            " on the next planner run."
        )

    def retry(self, item: Item, user: str, form: FormData) -> str:
        message = f"{user} asked to plan {item['sku']} on order {item['order_name']} again"
        return self.replan(item, user, _event(item, "exception.retry", message))

    def choose_supplier(self, item: Item, user: str, form: FormData) -> str:
        chosen = _text(form, "supplier", 64) or None
        if chosen is not None and chosen not in self.supplier_ids:
            raise TandemError(f"no supplier {chosen!r} in the configuration")
        message = (
            f"{user} chose {chosen or 'any supplier'} for {item['sku']}"
            f" on order {item['order_name']}"
        )
        event = _event(item, "supplier_override", message)
        return self.replan(item, user, event, supplier_override=chosen)

    def replan(self, item: Item, user: str, event: Event, **values: Any) -> str:
        """Mark the line for planning (with `values`), plan, and report what came of it."""
        now = utcnow()
        with self.db.write() as conn:
            conn.execute(
                update(t.order_lines)
                .where(t.order_lines.c.id == item["order_line_id"])
                .values(needs_planning=True, **values)
            )
            record(conn, [event], now)
        summary = run_planner(self.db, self.config, utcnow())
        e = t.exceptions
        with self.db.write() as conn:
            row = conn.execute(select(e).where(e.c.id == item["id"])).one()
            closed = row.status == "resolved"
            outcome, still_open = describe_line(conn, item)
            if closed and row.resolved_by == "tandem":
                # The planner closed it (as "tandem"), but a person asked for the replan.
                after = ", ".join(f"exception {x['id']} ({x['kind']})" for x in still_open)
                why = f"replaced by {after}" if after else row.resolution
                conn.execute(
                    update(e)
                    .where(e.c.id == item["id"])
                    .values(resolved_by=user, resolution=f"{event.message}; {why}")
                )
        state = "resolved" if closed else "still open"
        released = f"Released {', '.join(summary.released)}." if summary.released else ""
        return " ".join(p for p in (outcome, f"{_label(item)} is {state}.", released) if p)


def action_routes(d: Dashboard) -> list[BaseRoute]:
    actions = ExceptionActions(d)

    async def act(request: Request, session: Session, form: FormData) -> Response:
        user = d.user(session)
        assert user is not None  # `Dashboard.action` let the request in
        action = request.path_params["action"]
        back = form.get("back")
        back = safe_next(back if isinstance(back, str) else "/exceptions")
        exception_id = number(request.path_params["exception_id"])
        found = await d.read(exceptions_queue, status=None, exception_id=exception_id or -1)
        handler = actions.handlers.get(action)
        if not found or handler is None:
            return d.not_found(request, session, "No such exception or action.")
        item = found[0]
        if item["status"] != "open":
            session.notice(f"{_label(item)} was already resolved by {item['resolved_by']}.")
            return d.redirect(request, session, back)
        # Marking resolved is refused by the store itself where it must be (a send held in
        # doubt), so the dashboard and the command line say the same.
        if action not in actions_for(item) and action != "resolve":
            session.notice(f"{_label(item)} cannot be resolved by {action}.")
            return d.redirect(request, session, back)
        try:
            session.notice(await d.run(handler, item, user, form))
        except AnswerNeeded as exc:
            session.notice(str(exc))
        except TandemError as exc:
            session.notice(f"Could not {VERBS.get(action, action)} {_label(item)}: {exc}")
        return d.redirect(request, session, back)

    return [Route("/exceptions/{exception_id}/{action}", d.action(act), methods=["POST"])]
