"""A supplier's bulk shipments page (`/portal/supplier/{token}`): upload a shipments file for
many POs, see what it would record and which rows are wrong, then apply it.

The preview records nothing. Applying sends the previewed file back (in the page, so nothing
is kept between the two steps), checks it again and applies each good shipment through
`apply_answer` under its own key (the file's digest and first row): applying twice, or
after a double click, records each shipment once.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tandem.connector.portal.forms import form_nonce, new_form, text
from tandem.connector.portal.shipments_csv import KNOWN, Preview, preview
from tandem.connector.portal.tokens import Denied, SupplierAccess, open_supplier_token
from tandem.connector.portal.web import (
    MAX_APPLY_BYTES,
    MAX_UPLOAD_BYTES,
    Portal,
    TooLarge,
    read_form,
)
from tandem.connector.services.supplier_answers import AnswerError, SupplierAnswer, apply_answer


@dataclass
class Outcome:
    po_number: str
    what: str
    said: str
    ok: bool


def render(
    portal: Portal, access: SupplierAccess, token: str, status: int = 200, **extra: object
) -> Response:
    config = portal.config
    supplier = config.supplier(access.supplier_id)
    values: dict[str, object] = {
        "found": None,
        "outcomes": None,
        "problem": None,
        "content": "",
        "skipped": [],
    }
    values.update(extra)
    return portal.render(
        "supplier.html",
        status,
        title="Shipments file",
        supplier_name=supplier.name if supplier else access.supplier_id,
        columns=KNOWN,
        action_url=f"/portal/supplier/{token}",
        form=new_form(config, access.scope),
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        **values,
    )


async def checked_form(
    portal: Portal, request: Request, access: SupplierAccess, limit: int
) -> tuple[str, str] | Response:
    """(nonce, file content) of a posted form from this link's page, or the refusal."""
    config = portal.config
    token = request.path_params["token"]
    try:
        form = await read_form(request, limit)
    except TooLarge:
        return portal.too_large()
    nonce = form_nonce(config, access.scope, form)
    if nonce is None or portal.cross_site(request):
        return portal.stale_form(request, token)
    content = text(form, "file", limit) or text(form, "content", limit)
    return nonce, content


def bulk_routes(portal: Portal) -> list[BaseRoute]:
    config = portal.config

    async def opened(request: Request, *, action: bool) -> SupplierAccess | Response:
        token = request.path_params["token"]
        try:
            access = await portal.read(open_supplier_token, config, token, portal.now())
        except Denied as why:
            return portal.denied(request, token, why)
        limit = portal.actions if action else portal.pages
        if not limit.allow(access.scope):
            return portal.too_many()
        return access

    async def show(request: Request) -> Response:
        access = await opened(request, action=False)
        if isinstance(access, Response):
            return access
        return render(portal, access, request.path_params["token"])

    async def check(request: Request) -> Response:
        access = await opened(request, action=True)
        if isinstance(access, Response):
            return access
        read = await checked_form(portal, request, access, MAX_UPLOAD_BYTES)
        if isinstance(read, Response):
            return read
        token, (_, content) = request.path_params["token"], read
        if not content:
            return render(portal, access, token, 400, problem="Choose a file (or paste its rows).")
        found: Preview = await portal.read(preview, access.supplier_id, content)
        return render(portal, access, token, found=found, content=content)

    async def apply(request: Request) -> Response:
        access = await opened(request, action=True)
        if isinstance(access, Response):
            return access
        read = await checked_form(portal, request, access, MAX_APPLY_BYTES)
        if isinstance(read, Response):
            return read
        token, (_, content) = request.path_params["token"], read
        found: Preview = await portal.read(preview, access.supplier_id, content)
        outcomes: list[Outcome] = []
        for planned in found.shipments:
            answer = SupplierAnswer(
                access.supplier_id, planned.po_number, "portal", planned.key, planned.ship
            )
            try:
                applied = await portal.run(apply_answer, portal.db, config, answer, portal.now())
            except AnswerError as refused:
                outcomes.append(Outcome(planned.po_number, planned.what, str(refused), False))
                continue
            except Exception as exc:  # that shipment rolled back; the others stand
                portal.failed(f"shipments file row {planned.rows[0]}", exc)
                outcomes.append(
                    Outcome(planned.po_number, planned.what, "not recorded: try again", False)
                )
                continue
            said = applied.summary if applied.recorded else "already recorded"
            outcomes.append(Outcome(planned.po_number, planned.what, said, True))
        return render(portal, access, token, outcomes=outcomes, skipped=found.errors)

    return [
        Route("/portal/supplier/{token}", show, methods=["GET"]),
        Route("/portal/supplier/{token}/preview", check, methods=["POST"]),
        Route("/portal/supplier/{token}/apply", apply, methods=["POST"]),
    ]
