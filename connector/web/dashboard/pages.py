"""The dashboard's pages (GET only): overview, orders, POs, exceptions, suppliers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tandem.connector.clock import utcnow
from tandem.connector.domain import PLANNING_EXCEPTIONS, SEND_FAILURES, ExceptionKind, POStatus
from tandem.connector.errors import NotFound
from tandem.connector.store.views import show_po
from tandem.connector.web.dashboard.po_queries import list_po_rows, po_extras, supplier_summaries
from tandem.connector.web.dashboard.queries import (
    PER_PAGE,
    count_exceptions,
    exceptions_queue,
    list_orders,
    order_detail,
    overview,
)
from tandem.connector.web.dashboard.session import Session
from tandem.connector.web.dashboard.web import Dashboard

PLANNING_KINDS = frozenset(k.value for k in PLANNING_EXCEPTIONS)
CANCEL_KINDS = SEND_FAILURES | {
    ExceptionKind.PO_REJECTED,
    ExceptionKind.CHANGED_AFTER_SEND,
    ExceptionKind.PO_CHANGE_REQUESTED,
}
PO_STATUSES = [s.value for s in POStatus]


def number(value: str | None, default: int | None = None, minimum: int = 0) -> int | None:
    """A whole number from a query string; `default` when absent or not a number."""
    try:
        return max(minimum, int(value)) if value not in (None, "") else default
    except ValueError:
        return default


def pages(total: int, per_page: int = PER_PAGE) -> int:
    return max(1, -(-total // per_page))


def actions_for(item: dict[str, Any]) -> list[str]:
    """The actions that can resolve an open exception. A send held in doubt is answered
    ("arrived" or "resend"), never just marked resolved: that would leave its PO waiting."""
    if item["status"] != "open":
        return []
    kind = item["kind"]
    in_doubt = kind == ExceptionKind.SEND_IN_DOUBT.value
    found = [] if in_doubt else ["resolve"]
    if kind in PLANNING_KINDS and item["order_line_id"] is not None:
        found += ["retry", "supplier"]
    if in_doubt and item["po_number"]:
        found.append("arrived")
    if kind in SEND_FAILURES and item["po_number"]:
        found.append("resend")
    if (
        kind in CANCEL_KINDS
        and item["po_id"] is not None
        and item["po_status"]
        not in (
            POStatus.CANCELLED.value,
            POStatus.RECEIVED.value,
            POStatus.SHIPPED.value,
        )
    ):
        found.append("cancel")
    return found


def page_routes(d: Dashboard) -> list[BaseRoute]:
    config = d.config
    supplier_ids = [s.id for s in config.suppliers]
    # With several shops, the orders and POs pages filter by shop.
    shops = [s.shop_name for s in config.stores] if len(config.stores) > 1 else []

    def shop_filter(request: Request) -> str | None:
        chosen = request.query_params.get("shop") or None
        return chosen if chosen in shops else None

    choices = [(s.id, s.name) for s in config.suppliers]

    async def home(request: Request, session: Session) -> Response:
        data = await d.read(overview, utcnow())
        return d.render(request, session, "overview.html", title="Overview", data=data)

    async def orders(request: Request, session: Session) -> Response:
        search = request.query_params.get("q", "").strip()[:100]
        page = number(request.query_params.get("page"), 1, 1) or 1
        shop = shop_filter(request)
        rows, total = await d.read(list_orders, search, page, shop=shop)
        return d.render(
            request,
            session,
            "orders.html",
            title="Orders",
            orders=rows,
            total=total,
            page=page,
            pages=pages(total),
            q=search,
            shops=shops,
            shop=shop or "",
        )

    async def order(request: Request, session: Session) -> Response:
        order_id = number(request.path_params["order_id"])
        data = await d.read(order_detail, order_id) if order_id is not None else None
        if data is None:
            return d.not_found(request, session, "No such order.")
        for item in data["exceptions"]:
            item["actions"] = actions_for(item)
        return d.render(
            request,
            session,
            "order.html",
            title=f"Order {data['name']}",
            order=data,
            suppliers=choices,
        )

    async def pos(request: Request, session: Session) -> Response:
        params = request.query_params
        supplier = params.get("supplier") or None
        status = params.get("status") or None
        days = number(params.get("days"))
        page = number(params.get("page"), 1, 1) or 1
        rows, total = await d.read(
            list_po_rows,
            utcnow(),
            supplier=supplier,
            status=status,
            older_than_days=days,
            shop=shop_filter(request),
            page=page,
        )
        return d.render(
            request,
            session,
            "pos.html",
            title="Purchase orders",
            pos=rows,
            total=total,
            page=page,
            pages=pages(total),
            filters={
                "supplier": supplier or "",
                "status": status or "",
                "days": days,
                "shop": shop_filter(request) or "",
            },
            suppliers=supplier_ids,
            shops=shops,
            statuses=PO_STATUSES,
        )

    def load_po(conn: Connection, reference: str) -> dict[str, Any] | None:
        try:
            data = show_po(conn, reference)
        except NotFound:
            return None
        data.update(po_extras(conn, data))
        data["exceptions"] = exceptions_queue(conn, status=None, po_id=data["id"])
        return data

    async def po(request: Request, session: Session) -> Response:
        reference = request.path_params["reference"]
        data = await d.read(load_po, reference)
        if data is None:
            return d.not_found(request, session, f"No PO {reference}.")
        for item in data["exceptions"]:
            item["actions"] = actions_for(item)
        title = data["number"] or f"Draft {data['id']}"
        return d.render(request, session, "po.html", title=title, po=data, suppliers=choices)

    async def exceptions(request: Request, session: Session) -> Response:
        show_all = request.query_params.get("show") == "all"
        status = None if show_all else "open"
        page = number(request.query_params.get("page"), 1, 1) or 1
        items = await d.read(exceptions_queue, status=status, page=page)
        total = await d.read(count_exceptions, status)
        for item in items:
            item["actions"] = actions_for(item)
        return d.render(
            request,
            session,
            "exceptions.html",
            title="Exceptions",
            items=items,
            show_all=show_all,
            total=total,
            page=page,
            pages=pages(total),
            suppliers=choices,
        )

    async def suppliers(request: Request, session: Session) -> Response:
        rows = await d.read(supplier_summaries, config, utcnow())
        return d.render(request, session, "suppliers.html", title="Suppliers", suppliers=rows)

    return [
        Route("/", d.page(home), methods=["GET"]),
        Route("/orders", d.page(orders), methods=["GET"]),
        Route("/orders/{order_id}", d.page(order), methods=["GET"]),
        Route("/pos", d.page(pos), methods=["GET"]),
        Route("/pos/{reference:path}", d.page(po), methods=["GET"]),
        Route("/exceptions", d.page(exceptions), methods=["GET"]),
        Route("/suppliers", d.page(suppliers), methods=["GET"]),
    ]
