"""RestChannel asking the supplier (respx): `lookup` for in-doubt sends, `poll_status` for
acknowledgements and tracking, and the dry call a `test` document makes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from tandem.connector.channels import LookupUnsupported, PermanentError, TransientError
from tests.suppliers.rest.documents import BASE, channel, document, run

LOOKUP = {"method": "GET", "path": "/orders?external_id={{ po.number }}"}


@respx.mock
def test_lookup_404_or_empty_means_not_sent() -> None:
    route = respx.get(f"{BASE}/orders", params={"external_id": "PO-00012"})
    route.side_effect = [httpx.Response(404), httpx.Response(200, json={"orders": []})]
    ch = channel(lookup=LOOKUP, response_fields={"order_id": "orders.id", "found": "orders"})
    assert run(ch.lookup(document())) is None
    assert run(ch.lookup(document())) is None
    assert "Idempotency-Key" not in route.calls.last.request.headers


@respx.mock
def test_lookup_finds_the_order() -> None:
    respx.get(f"{BASE}/orders").respond(200, json={"orders": [{"id": 88, "status": "open"}]})
    ch = channel(lookup=LOOKUP, response_fields={"order_id": "orders.id", "found": "orders"})
    result = run(ch.lookup(document()))
    assert result is not None and result.reference == "88"
    assert result.sent == f"GET {BASE}/orders?external_id=PO-00012"


@respx.mock
def test_lookup_failures_are_transient() -> None:
    respx.get(f"{BASE}/orders").mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(TransientError):
        run(channel(lookup=LOOKUP).lookup(document()))
    respx.get(f"{BASE}/orders").respond(502)
    with pytest.raises(TransientError):
        run(channel(lookup=LOOKUP).lookup(document()))


def test_without_a_lookup_endpoint_lookup_is_unsupported() -> None:
    with pytest.raises(LookupUnsupported):
        run(channel().lookup(document()))
    with pytest.raises(LookupUnsupported, match="change"):
        run(channel(lookup=LOOKUP).lookup(document("change")))


@respx.mock
def test_a_cancel_counts_as_arrived_once_the_supplier_says_cancelled() -> None:
    respx.get(f"{BASE}/orders").mock(
        side_effect=[
            httpx.Response(200, json={"order": {"id": 9, "status": "open"}}),
            httpx.Response(200, json={"order": {"id": 9, "status": "VOIDED"}}),
        ]
    )
    ch = channel(lookup=LOOKUP, status_map={"voided": "cancelled"})
    assert run(ch.lookup(document("cancel"))) is None
    found = run(ch.lookup(document("cancel")))
    assert found is not None and found.reference == "9"


STATUS = {"method": "GET", "path": "/orders/{{ supplier_order_id }}"}
FIELDS = {
    "order_id": "id",
    "status": "state",
    "tracking_numbers": "parcels.tracking",
    "carrier": "parcels.carrier",
    "message": "note",
}


@pytest.mark.parametrize(
    ("answer", "tracking"),
    [
        (
            {"state": "SHIPPED", "parcels": [{"tracking": "1Z1"}, {"tracking": "1Z2"}]},
            ("1Z1", "1Z2"),
        ),
        ({"state": "shipped", "parcels": {"tracking": "1Z9", "carrier": "DHL"}}, ("1Z9",)),
    ],
    ids=["list", "single"],
)
@respx.mock
def test_poll_status_maps_status_and_tracking(answer: dict[str, Any], tracking: Any) -> None:
    respx.get(f"{BASE}/orders/77").respond(200, json=answer)
    ch = channel(status=STATUS, response_fields=FIELDS, status_map={"SHIPPED": "shipped"})
    update = run(ch.poll_status(document(supplier_reference="77")))
    assert update is not None
    assert update.status == "shipped" and update.tracking_numbers == tracking


@respx.mock
def test_poll_status_reports_an_unmapped_status_in_the_suppliers_words() -> None:
    respx.get(f"{BASE}/orders/77").respond(200, json={"state": "on_hold", "note": "card declined"})
    update = run(
        channel(status=STATUS, response_fields=FIELDS).poll_status(
            document(supplier_reference="77")
        )
    )
    assert update is not None and update.status is None
    assert update.message == "supplier status 'on_hold': card declined"
    assert (
        run(channel().poll_status(document(supplier_reference="77"))) is None
    )  # no status endpoint


@respx.mock
def test_poll_status_of_an_order_the_supplier_does_not_know() -> None:
    respx.get(f"{BASE}/orders/77").respond(404)
    assert run(channel(status=STATUS).poll_status(document(supplier_reference="77"))) is None


@respx.mock
def test_a_test_document_is_a_dry_call() -> None:
    respx.get(f"{BASE}/orders").respond(404, json={"message": "no such order"})
    respx.get(BASE).respond(200, text="hello")

    asked = run(channel(lookup=LOOKUP).send(document("test")))
    assert asked.details["endpoint"] == "lookup" and asked.details["status"] == 404
    base = run(channel().send(document("test")))
    assert base.sent == f"GET {BASE}" and base.details["answered"].startswith("200 OK")
    assert not respx.calls.last.request.headers.get("Idempotency-Key")


@respx.mock
def test_a_dry_call_with_bad_credentials_is_permanent() -> None:
    respx.get(BASE).respond(401, json={"error": "invalid token"})
    with pytest.raises(PermanentError, match="invalid token"):
        run(channel(auth={"type": "bearer", "token": "nope"}).send(document("test")))
