"""RestChannel against respx: one attempt per call, the same Idempotency-Key on every attempt,
auth headers, what is transient and what is not, and reading the supplier's answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from tandem.connector.channels import PermanentError, TransientError
from tests.suppliers.rest.documents import BASE, channel, document, run


@respx.mock
def test_every_attempt_carries_the_same_idempotency_key() -> None:
    route = respx.post(f"{BASE}/orders").mock(
        side_effect=[httpx.Response(500), httpx.Response(201, json={"order": {"id": 5}})]
    )
    ch, po = channel(), document()

    with pytest.raises(TransientError):
        run(ch.send(po))
    result = run(ch.send(po))

    keys = [call.request.headers["Idempotency-Key"] for call in route.calls]
    assert keys == ["outbox-41-7f3c", "outbox-41-7f3c"]
    assert route.call_count == 2  # one attempt per call: retrying is the dispatcher's job
    assert result.reference == "5"
    assert route.calls[0].request.content == route.calls[1].request.content


@respx.mock
def test_a_document_without_a_key_gets_a_stable_one() -> None:
    route = respx.post(f"{BASE}/orders").respond(201, json={"order": {"id": 5}})
    run(channel().send(document(idempotency_key="")))
    run(channel().send(document(idempotency_key="")))
    keys = {call.request.headers["Idempotency-Key"] for call in route.calls}
    assert keys == {"tandem-printful-PO-00012-r1-order"}


@pytest.mark.parametrize(
    ("auth", "header", "expected"),
    [
        ({"type": "bearer", "token": "t0k3n"}, "Authorization", "Bearer t0k3n"),
        (
            {"type": "basic", "username": "shop", "password": "pw"},
            "Authorization",
            "Basic c2hvcDpwdw==",
        ),
        ({"type": "header", "header": "X-Api-Key", "value": "k3y"}, "X-Api-Key", "k3y"),
    ],
)
@respx.mock
def test_auth_headers(auth: dict[str, str], header: str, expected: str) -> None:
    route = respx.post(f"{BASE}/orders").respond(201, json={"order": {"id": 1}})
    result = run(channel(auth=auth).send(document()))
    assert route.calls.last.request.headers[header] == expected
    assert expected not in result.sent


def test_a_missing_secret_is_permanent() -> None:
    with pytest.raises(PermanentError, match="auth type bearer needs `token`"):
        run(channel(auth={"type": "bearer"}).send(document()))


@respx.mock
def test_429_is_transient_with_retry_after() -> None:
    respx.post(f"{BASE}/orders").respond(
        429, headers={"Retry-After": "7"}, json={"message": "Slow down"}
    )
    with pytest.raises(TransientError, match=r"429.*Slow down") as caught:
        run(channel().send(document()))
    assert caught.value.retry_after == 7


@pytest.mark.parametrize(
    "effect",
    [
        httpx.Response(503, text="upstream down"),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("connection refused"),
    ],
    ids=["503", "timeout", "refused"],
)
@respx.mock
def test_server_errors_timeouts_and_refusals_are_transient(effect: Any) -> None:
    respx.post(f"{BASE}/orders").mock(side_effect=[effect])
    with pytest.raises(TransientError) as caught:
        run(channel().send(document()))
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (400, {"code": 400, "error": {"message": "Invalid country_code"}}, "Invalid country_code"),
        (
            422,
            {"errors": [{"message": "qty > 0"}, {"message": "sku unknown"}]},
            "qty > 0; sku unknown",
        ),
        (409, {"message": "duplicate external_id"}, "duplicate external_id"),
        (400, {"detail": "no such variant"}, "no such variant"),
    ],
)
@respx.mock
def test_other_4xx_are_permanent_in_the_suppliers_words(
    status: int, body: dict[str, Any], words: str
) -> None:
    respx.post(f"{BASE}/orders").respond(status, json=body)
    with pytest.raises(PermanentError) as caught:
        run(channel().send(document()))
    assert not isinstance(caught.value, TransientError)
    assert str(caught.value).endswith(words)
    assert f"answered {status} to POST {BASE}/orders" in str(caught.value)


@respx.mock
def test_raw_error_text_is_cut_and_secrets_never_echoed() -> None:
    respx.post(f"{BASE}/orders").respond(403, text="bad token s3cr3t-t0ken " + "x" * 900)
    with pytest.raises(PermanentError) as caught:
        run(channel(auth={"type": "bearer", "token": "s3cr3t-t0ken"}).send(document()))
    message = str(caught.value)
    assert "s3cr3t-t0ken" not in message and "bad token ***" in message
    words = message.split(": ", 1)[1]
    assert words.endswith("…") and len(words) <= 500


@respx.mock
def test_a_success_reports_reference_request_and_answer() -> None:
    respx.post(f"{BASE}/orders").respond(201, json={"order": {"id": 77, "status": "new"}})
    result = run(channel().send(document()))

    assert result.reference == "77"
    method_url, body = result.sent.split("\n", 1)
    assert method_url == f"POST {BASE}/orders"
    assert json.loads(body)["number"] == "PO-00012"  # no template: the document as JSON
    assert json.loads(body)["lines"][0]["unit_cost"] == "12.50"
    assert result.details == {"status": 201, "response": {"order": {"id": 77, "status": "new"}}}


@respx.mock
def test_body_from_a_template_file(tmp_path: Path) -> None:
    (tmp_path / "order.json.j2").write_text(
        '{"ref": {{ po.number | tojson }}, "lines": [{% for l in lines %}'
        '{"code": {{ l.supplier_sku | tojson }}, "price": {{ l.unit_cost | money | tojson }}}'
        '{{ "," if not loop.last }}{% endfor %}], "to": {{ ship_to.name | tojson }}}'
    )
    route = respx.post(f"{BASE}/orders").respond(201, json={"order": {"id": 1}})
    create = {"method": "POST", "path": "/orders", "template": "order.json.j2"}
    run(channel(create=create, base_dir=tmp_path).send(document()))

    assert json.loads(route.calls.last.request.content) == {
        "ref": "PO-00012",
        "lines": [{"code": "PF-4012", "price": "12.50"}, {"code": "PF-19", "price": "7.25"}],
        "to": "Jo Bloggs",
    }


@respx.mock
def test_body_from_a_mapping_keeps_the_types_of_single_expressions() -> None:
    body = {
        "external_ref": "{{ po.number }}",
        "units": "{{ lines | sum(attribute='quantity') }}",
        "skus": "{{ lines | map(attribute='supplier_sku') | list }}",
        "note": "PO {{ po.number }} for {{ po.order_names | join(', ') }}",
        "total": "{{ po.total | money }}",
        "shipping": "standard",
        "address": {"zip": "{{ ship_to.zip }}", "tags": ["tandem", "{{ po.mode }}"]},
    }
    route = respx.put(f"{BASE}/po/PO-00012").respond(200, json={"order": {"id": 3}})
    create = {"method": "PUT", "path": "/po/{{ po.number }}", "body": body}
    run(channel(create=create).send(document()))

    assert json.loads(route.calls.last.request.content) == {
        "external_ref": "PO-00012",
        "units": 3,
        "skus": ["PF-4012", "PF-19"],
        "note": "PO PO-00012 for #1001",
        "total": "32.25",
        "shipping": "standard",
        "address": {"zip": "LS1 4AB", "tags": ["tandem", "drop_ship"]},
    }


def test_an_undefined_name_in_a_profile_is_permanent() -> None:
    create = {"method": "POST", "path": "/orders", "body": {"x": "{{ po.nummer }}"}}
    with pytest.raises(PermanentError, match=r"create\.body\.x: .*nummer"):
        run(channel(create=create).send(document()))


@respx.mock
def test_cancel_uses_the_suppliers_order_id() -> None:
    route = respx.delete(f"{BASE}/orders/77").respond(200, json={"order": {"id": 77}})
    ch = channel(cancel={"method": "DELETE", "path": "/orders/{{ supplier_order_id }}"})

    result = run(ch.send(document("cancel", supplier_reference="77")))
    assert result.reference == "77"
    assert route.calls.last.request.headers["Idempotency-Key"] == "outbox-42-cancel"
    with pytest.raises(PermanentError, match="supplier_order_id"):
        run(ch.send(document("cancel")))  # never acknowledged with an id
