"""The Printful profile against a real (loopback) supplier API with injected faults: a PO is
ordered once however often the dispatcher retries, and a crash after the supplier accepted is
resolved by asking the supplier, not by ordering again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tandem.adapters.suppliers.rest import RestChannel
from tandem.connector.channels import (
    PermanentError,
    PurchaseOrderDocument,
    SendResult,
    TransientError,
)
from tests.suppliers.rest.documents import document, load_printful, rest
from tests.suppliers.rest.supplier_server import SupplierServer

CLIENT_TIMEOUT = 0.15
TOKEN = "pf-secret-token"  # what load_printful sets PRINTFUL_TOKEN to


@pytest.fixture(scope="module")
def running() -> Iterator[SupplierServer]:
    with SupplierServer(hang_seconds=0.4) as server:
        yield server


@pytest.fixture
def server(running: SupplierServer) -> SupplierServer:
    running.reset(token=TOKEN)
    return running


@pytest.fixture
def channel(server: SupplierServer, tmp_path: Path) -> RestChannel:
    supplier = load_printful(tmp_path, base_url=server.url)
    transport = rest(supplier).model_copy(update={"timeout_seconds": CLIENT_TIMEOUT})
    return RestChannel(transport, supplier)


async def dispatch(
    channel: RestChannel, po: PurchaseOrderDocument, attempts: int = 30
) -> SendResult:
    """What the dispatcher does: the same document again after each transient failure."""
    for _ in range(attempts):
        try:
            return await channel.send(po)
        except TransientError as exc:
            await asyncio.sleep(exc.retry_after or 0.01)
    raise AssertionError("never got through")


def test_a_send_creates_the_order(server: SupplierServer, channel: RestChannel) -> None:
    result = asyncio.run(channel.send(document()))

    order = server.orders[int(result.reference or 0)]
    assert order["external_id"] == "PO-00012" and order["recipient"]["zip"] == "LS1 4AB"
    assert server.created == {"PO-00012": 1}
    assert result.details["status"] == 200


def test_a_retry_after_a_500_creates_one_order(
    server: SupplierServer, channel: RestChannel
) -> None:
    server.fail_next("500")  # refused before accepting
    server.crash_after_accept = 1  # accepted, then answered 500
    po = document()

    result = asyncio.run(dispatch(channel, po))

    assert server.injected == ["500", "crash-after-accept:500"]
    assert server.created == {"PO-00012": 1}
    assert len(server.orders) == 1 and result.reference == str(next(iter(server.orders)))
    keys = {key for method, _, key in server.requests if method == "POST"}
    assert keys == {po.idempotency_key}


def test_seeded_faults_never_order_twice(server: SupplierServer, channel: RestChannel) -> None:
    server.reset(token=TOKEN, failure_rate=0.5, seed=1)
    numbers = [f"PO-0010{i}" for i in range(4)]

    async def send_all() -> list[SendResult]:
        docs = [document(number=n, idempotency_key=f"key-{n}") for n in numbers]
        return [await dispatch(channel, po) for po in docs]

    results = asyncio.run(send_all())

    assert server.injected == ["500", "429", "429", "500", "timeout"]  # what seed 1 serves
    assert server.created == dict.fromkeys(numbers, 1)
    assert len({r.reference for r in results}) == len(numbers)


@pytest.mark.parametrize("crash_mode", ["500", "timeout"])
def test_a_crash_after_accept_is_resolved_by_lookup(
    server: SupplierServer, channel: RestChannel, crash_mode: str
) -> None:
    server.crash_after_accept, server.crash_mode = 1, crash_mode
    po = document()

    with pytest.raises(TransientError):
        asyncio.run(channel.send(po))
    # Tandem restarts, finds the outbox item in doubt and asks before sending anything.
    found = asyncio.run(channel.lookup(po))

    assert found is not None
    assert found.reference == str(next(iter(server.orders)))
    assert found.details["found_by"] == "lookup"
    assert server.created == {"PO-00012": 1}
    assert [m for m, _, _ in server.requests].count("POST") == 1


def test_lookup_of_an_order_never_sent(server: SupplierServer, channel: RestChannel) -> None:
    assert asyncio.run(channel.lookup(document())) is None


def test_same_key_with_another_body_is_refused(
    server: SupplierServer, channel: RestChannel
) -> None:
    asyncio.run(channel.send(document()))
    with pytest.raises(PermanentError, match="Idempotency-Key reused"):
        asyncio.run(channel.send(document(number="PO-00013")))
    assert server.created == {"PO-00012": 1}


def test_status_cancel_and_lookup_of_the_cancel(
    server: SupplierServer, channel: RestChannel
) -> None:
    result = asyncio.run(channel.send(document()))
    sent = document(supplier_reference=result.reference)  # as Tandem reads it back
    update = asyncio.run(channel.poll_status(sent))
    assert update is not None and update.status == "acknowledged"

    cancel = document("cancel", supplier_reference=result.reference)
    assert asyncio.run(channel.lookup(cancel)) is None  # not cancelled yet
    cancelled = asyncio.run(channel.send(cancel))
    assert cancelled.reference == result.reference
    update = asyncio.run(channel.poll_status(sent))
    assert update is not None and update.status == "cancelled"
    assert asyncio.run(channel.lookup(cancel)) is not None


def test_shipped_with_tracking(server: SupplierServer, channel: RestChannel) -> None:
    asyncio.run(channel.send(document()))
    server.ship("PO-00012", "1Z999", carrier="DHL")

    update = asyncio.run(channel.poll_status(document()))

    assert update is not None and update.status == "shipped"
    assert update.tracking_numbers == ("1Z999",) and update.carrier == "DHL"


def test_a_wrong_token_is_permanent(server: SupplierServer, tmp_path: Path) -> None:
    supplier = load_printful(tmp_path, base_url=server.url)
    transport = rest(supplier)
    wrong = transport.model_copy(update={"auth": transport.auth.model_copy(update={"token": None})})
    server.token = "another"
    started = time.monotonic()
    with pytest.raises(PermanentError, match=r"401.*Invalid API key"):
        asyncio.run(RestChannel(transport, supplier).send(document()))
    with pytest.raises(PermanentError, match="needs `token`"):
        asyncio.run(RestChannel(wrong, supplier).send(document()))
    assert time.monotonic() - started < 2
    assert server.created == {}
