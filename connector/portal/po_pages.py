"""The page of one PO (`GET /portal/po/{token}`) and its answers (`POST .../{action}`:
confirm, refuse, ship, acknowledge).

Each post is checked in this order, and nothing is changed unless every check passes: the
link opens (else 403), it is within its rate (429), the body is small enough (413), the form
came from this PO's page (403), the form says something that can be recorded (400, the page
again saying what to fix). Then it goes through `apply_answer` under the form's nonce: the
page shows what was recorded, or that it was recorded before.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tandem.connector.portal.forms import FormProblem, form_nonce, new_form, read_action
from tandem.connector.portal.links import supplier_portal_link
from tandem.connector.portal.tokens import Denied, POAccess, open_po_token
from tandem.connector.portal.view import PortalPO, acknowledge_key, read_po
from tandem.connector.portal.web import Portal, TooLarge, read_form
from tandem.connector.services.supplier_answers import (
    Acknowledge,
    Action,
    AnswerError,
    SupplierAnswer,
    apply_answer,
)

ACTIONS = ("confirm", "refuse", "ship", "acknowledge")


def po_routes(portal: Portal) -> list[BaseRoute]:
    config = portal.config

    async def access(token: str) -> POAccess:
        return await portal.read(open_po_token, config, token, portal.now())

    async def page(
        access: POAccess,
        token: str,
        status: int = 200,
        notice: str | None = None,
        problem: str | None = None,
    ) -> Response:
        po: PortalPO = await portal.read(read_po, config, access.po_id)
        forms = {name: new_form(config, access.scope) for name in ACTIONS}
        return portal.render(
            "po.html",
            status,
            title=f"Purchase order {po.number}",
            po=po,
            forms=forms,
            action_url=f"/portal/po/{token}",
            bulk_url=supplier_portal_link(config, po.supplier_id),
            notice=notice,
            problem=problem,
        )

    async def show(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            opened = await access(token)
        except Denied as why:
            return portal.denied(request, token, why)
        if not portal.pages.allow(opened.scope):
            return portal.too_many()
        return await page(opened, token)

    async def answer(request: Request) -> Response:
        token, kind = request.path_params["token"], request.path_params["action"]
        if kind not in ACTIONS:
            return portal.message(404, "Not found", "There is no such page.")
        try:
            opened = await access(token)
        except Denied as why:
            return portal.denied(request, token, why)
        if not portal.actions.allow(opened.scope):
            return portal.too_many()
        try:
            form = await read_form(request)
        except TooLarge:
            return portal.too_large()
        nonce = form_nonce(config, opened.scope, form)
        if nonce is None or portal.cross_site(request):
            return portal.stale_form(request, token)
        po = await portal.read(read_po, config, opened.po_id)
        action: Action
        key = f"portal:{po.id}:{nonce}"
        try:
            if kind == "acknowledge":
                action, key = Acknowledge(po.revision), acknowledge_key(po.id, po.revision)
            else:
                action = read_action(kind, po, form)
        except FormProblem as problem:
            return await page(opened, token, 400, problem=str(problem))
        answer = SupplierAnswer(po.supplier_id, po.number, "portal", key, action)
        try:
            applied = await portal.run(apply_answer, portal.db, config, answer, portal.now())
        except AnswerError as refused:
            return await page(opened, token, 409, problem=str(refused))
        except Exception as exc:  # the transaction rolled back: say so, never a traceback
            return portal.failed(f"{kind} on {po.number}", exc)
        said = "Recorded" if applied.recorded else "Already recorded"
        return await page(opened, token, notice=f"{said}: {applied.summary}")

    return [
        Route("/portal/po/{token}", show, methods=["GET"]),
        Route("/portal/po/{token}/{action}", answer, methods=["POST"]),
    ]
