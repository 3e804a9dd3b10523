"""The shipped Printful profile: it loads through tandem.yaml and renders Printful's shape."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import respx

from tandem.adapters.suppliers.rest import RestChannel
from tandem.connector.channels import PermanentError
from tandem.connector.domain import Mode
from tests.suppliers.rest.documents import CUSTOMER, document, load_printful, rest


def test_the_profile_loads_from_a_pasted_tandem_yaml(tmp_path: Path) -> None:
    supplier = load_printful(tmp_path)
    transport = rest(supplier)

    assert supplier.mode == Mode.DROP_SHIP
    assert transport.base_url == "https://api.printful.com"
    assert transport.auth.type == "bearer"
    assert transport.auth.token is not None
    assert transport.auth.token.get_secret_value() == "pf-secret-token"
    assert transport.create.template == tmp_path / "suppliers" / "printful-order.json.j2"
    assert transport.lookup is not None and transport.lookup.path == "/orders/@{{ po.number }}"
    assert transport.cancel is not None and transport.cancel.method == "DELETE"
    assert transport.change is None
    assert transport.status_map["fulfilled"] == "shipped"


def test_the_create_body_carries_external_id_recipient_and_items(tmp_path: Path) -> None:
    supplier = load_printful(tmp_path)
    channel = RestChannel(rest(supplier), supplier)
    po = document()

    with respx.mock:
        route = respx.post("https://api.printful.com/orders?confirm=true").respond(
            200, json={"code": 200, "result": {"id": 9001, "status": "pending"}}
        )
        result = asyncio.run(channel.send(po))

    request = route.calls.last.request
    body = json.loads(request.content)
    assert request.headers["Authorization"] == "Bearer pf-secret-token"
    assert request.headers["Idempotency-Key"] == po.idempotency_key
    assert body["external_id"] == "PO-00012"
    assert body["recipient"] == {
        "name": CUSTOMER.name,
        "company": None,
        "address1": "12 High St",
        "address2": "Flat 3",
        "city": "Leeds",
        "state_code": "WYK",  # Printful takes the code, not the name
        "country_code": "GB",
        "zip": "LS1 4AB",
        "phone": "+44 113 000 0000",
        "email": "jo@example.com",
    }
    assert body["items"] == [
        {
            "external_variant_id": "PF-4012",
            "sku": "PF-4012",
            "name": 'Tee "Sunrise" M',
            "quantity": 2,
        },
        {"external_variant_id": "PF-19", "sku": "PF-19", "name": "Mug", "quantity": 1},
    ]
    assert result.reference == "9001"
    assert "pf-secret-token" not in result.sent


def test_printful_status_with_shipments_reads_as_shipped(tmp_path: Path) -> None:
    supplier = load_printful(tmp_path)
    channel = RestChannel(rest(supplier), supplier)
    answer = {
        "code": 200,
        "result": {
            "id": 9001,
            "status": "fulfilled",
            "shipments": [
                {"carrier": "USPS", "tracking_number": "9400111", "tracking_url": "https://t/1"},
                {"carrier": "USPS", "tracking_number": "9400222", "tracking_url": "https://t/2"},
            ],
        },
    }
    with respx.mock:
        respx.get("https://api.printful.com/orders/@PO-00012").respond(200, json=answer)
        update = asyncio.run(channel.poll_status(document(supplier_reference="9001")))

    assert update is not None
    assert update.status == "shipped"
    assert update.tracking_numbers == ("9400111", "9400222")
    assert update.carrier == "USPS"
    assert update.tracking_urls == ("https://t/1", "https://t/2")


def test_a_draft_is_reported_but_not_mapped(tmp_path: Path) -> None:
    supplier = load_printful(tmp_path)
    channel = RestChannel(rest(supplier), supplier)
    with respx.mock:
        respx.get("https://api.printful.com/orders/@PO-00012").respond(
            200, json={"code": 200, "result": {"id": 9001, "status": "draft", "shipments": []}}
        )
        update = asyncio.run(channel.poll_status(document(supplier_reference="9001")))

    assert update is not None and update.status is None
    assert update.message == "supplier status 'draft'"
    assert update.tracking_numbers == ()


def test_a_change_has_no_printful_endpoint_and_calls_nothing(tmp_path: Path) -> None:
    supplier = load_printful(tmp_path)
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500)

    channel = RestChannel(rest(supplier), supplier, http_transport=httpx.MockTransport(answer))
    with pytest.raises(PermanentError, match="no `change` endpoint"):
        asyncio.run(channel.send(document("change", revision=2, supplier_reference="9001")))
    assert calls == []
