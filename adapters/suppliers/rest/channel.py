"""RestChannel: purchase orders sent to a supplier's HTTP API, shaped by a profile in the
configuration (`transport: {type: rest, ...}`) rather than by code per supplier.

One call is one HTTP attempt: the dispatcher owns retries and backoff, and decides from the
error type (TransientError with the supplier's Retry-After, or PermanentError). Every send
carries `Idempotency-Key: <document.idempotency_key>`, made before the first attempt, so a
supplier that honours it never creates a second order on a retry. After a crash between the
supplier accepting and Tandem recording, `lookup` asks the supplier instead of sending blind.

Secrets (tokens, passwords) go into request headers only: never into `sent`, errors or logs.
Each call opens its own short-lived httpx client (channels are built per dispatch and may
outlive an event loop); an injected `http_transport` is reused and never closed here.
"""

from __future__ import annotations

from typing import Any

import httpx

from tandem.adapters.suppliers.rest.http import Request, SupplierHttp
from tandem.adapters.suppliers.rest.render import Renderer, default_body, to_json
from tandem.adapters.suppliers.rest.responses import (
    first,
    get_path,
    is_empty,
    map_status,
    parse_body,
    status_update,
)
from tandem.connector import transmission
from tandem.connector.channels import (
    LookupUnsupported,
    PermanentError,
    PurchaseOrderDocument,
    SendResult,
    StatusUpdate,
)
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.configuration.transports import RestEndpoint, RestTransport

_ENDPOINT_FOR_KIND = {"order": "create", "change": "change", "cancel": "cancel"}
_BODY_METHODS = {"POST", "PUT", "PATCH"}


class RestChannel:
    """A supplier's REST API as its profile describes it: `send`, `lookup`, `poll_status`."""

    marks_transmission = True  # right before the create / change / cancel request

    def __init__(
        self,
        transport: RestTransport,
        supplier: SupplierConfig,
        *,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.transport = transport
        self.supplier = supplier
        self._http = SupplierHttp(transport, supplier.name, http_transport)
        self._renderer = Renderer(supplier)
        self._fields = transport.response_fields.model_dump(exclude_none=True)

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        """Create (order), change or cancel at the supplier; a `test` document only checks
        that the supplier answers. The id the supplier gave the order when it was created
        (`document.supplier_reference`) is offered to paths and bodies as
        `supplier_order_id`."""
        if document.kind == "test":
            return await self._dry_call(document)
        name = _ENDPOINT_FOR_KIND[document.kind]
        endpoint: RestEndpoint | None = getattr(self.transport, name)
        if endpoint is None:
            raise PermanentError(
                f"the REST profile of {self.supplier.name} has no `{name}` endpoint: "
                f"pass this {document.kind} on to the supplier another way"
            )
        request = self._request(endpoint, name, document)
        key = document.idempotency_key or _stable_key(document)
        await transmission.transmitting()
        response = await self._http.exchange(request, idempotency_key=key)
        self._http.raise_for(response, request)
        data = parse_body(response)
        reference = self._reference(data)
        if reference is None and document.kind != "order":
            reference = document.supplier_reference
        return SendResult(
            reference=reference,
            sent=request.sent,
            details={"status": response.status_code, "response": data},
        )

    async def lookup(self, document: PurchaseOrderDocument) -> SendResult | None:
        """Did an earlier send reach the supplier? Asks the `lookup` endpoint: 404 or an empty
        answer (at `response_fields.found` when set) means no. A cancellation counts as
        arrived once the supplier reports the order cancelled."""
        endpoint = self.transport.lookup
        if endpoint is None:
            raise LookupUnsupported(
                f"the REST profile of {self.supplier.name} has no `lookup` endpoint, so "
                "Tandem cannot ask whether an earlier attempt arrived"
            )
        if document.kind == "change":
            raise LookupUnsupported("an order lookup cannot tell whether a change arrived")
        if document.kind == "test":
            return None  # a dry call leaves nothing behind; sending it again is harmless
        request = self._request(endpoint, "lookup", document)
        response = await self._http.exchange(request)
        if response.status_code == 404:
            return None
        self._http.raise_for(response, request)
        data = parse_body(response)
        found = self._fields.get("found")
        if is_empty(get_path(data, found) if found else data):
            return None
        if document.kind == "cancel":
            status = map_status(self._field(data, "status"), self.transport.status_map)
            if status != "cancelled":
                return None
        return SendResult(
            reference=self._reference(data) or document.supplier_reference,
            sent=request.sent,
            details={"status": response.status_code, "response": data, "found_by": "lookup"},
        )

    async def poll_status(self, document: PurchaseOrderDocument) -> StatusUpdate | None:
        """What the supplier says about the order now; None without a `status` endpoint or
        when the supplier does not know the order (404)."""
        endpoint = self.transport.status
        if endpoint is None:
            return None
        request = self._request(endpoint, "status", document)
        response = await self._http.exchange(request)
        if response.status_code == 404:
            return None
        self._http.raise_for(response, request)
        return status_update(parse_body(response), self._fields, self.transport.status_map)

    async def _dry_call(self, document: PurchaseOrderDocument) -> SendResult:
        endpoint = self.transport.lookup
        if endpoint is not None:
            request, asked = self._request(endpoint, "lookup", document), "lookup"
        else:
            request, asked = Request("GET", self.transport.base_url), "base_url"
        response = await self._http.exchange(request)
        status = response.status_code
        if status in (401, 403, 407, 408, 429) or status >= 500:
            self._http.raise_for(response, request)
        return SendResult(
            reference=None,
            sent=request.sent,
            details={
                "status": status,
                "endpoint": asked,
                "answered": f"{status} {response.reason_phrase} from {request.sent}",
                "response": parse_body(response),
            },
        )

    def _request(
        self, endpoint: RestEndpoint, name: str, document: PurchaseOrderDocument
    ) -> Request:
        context = self._renderer.context(document)
        path = self._renderer.text(endpoint.path, context, f"{name}.path").strip()
        url = f"{self.transport.base_url.rstrip('/')}/{path.lstrip('/')}"
        if endpoint.template is not None:
            body: Any = self._renderer.file_body(endpoint.template, context)
        elif endpoint.body is not None:
            body = self._renderer.mapping_body(endpoint.body, context, f"{name}.body")
        elif endpoint.method in _BODY_METHODS:
            body = default_body(document)
        else:
            return Request(endpoint.method, url)
        return Request(endpoint.method, url, to_json(body))

    def _field(self, data: Any, name: str) -> Any:
        path = self._fields.get(name)
        return first(get_path(data, path)) if path else None

    def _reference(self, data: Any) -> str | None:
        value = self._field(data, "order_id")
        return None if is_empty(value) else str(value)


def _stable_key(document: PurchaseOrderDocument) -> str:
    """A key for a document that came without one: derived from what identifies the revision,
    so it is the same on every attempt."""
    return f"tandem-{document.supplier_id}-{document.number}-r{document.revision}-{document.kind}"
