"""Resolving exceptions from the dashboard: each action needs the session's CSRF token, does
what it says through the services, and records who did it and when."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.testclient import TestClient

from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.errors import ConflictError
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import resolve
from tandem.connector.web.dashboard.actions import ExceptionActions
from tandem.connector.web.dashboard.queries import exceptions_queue
from tandem.connector.web.dashboard.web import Dashboard
from tests.store.helpers import offers
from tests.web.conftest import log_in
from tests.web.support import csrf_of, held_send, seed


@pytest.fixture
def seeded(cfg: TandemConfig, db: Database) -> datetime:
    return seed(db, cfg)


@pytest.fixture
def held(seeded: datetime, cfg: TandemConfig, db: Database) -> str:
    """The number of a PO whose sending is held in doubt (see `held_send`)."""
    return held_send(db, cfg, seeded)


def exception(db: Database, kind: str) -> Any:
    with db.read() as conn:
        return conn.execute(
            select(t.exceptions).where(t.exceptions.c.kind == kind).order_by(t.exceptions.c.id)
        ).first()


def events(db: Database, kind: str) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(select(t.events).where(t.events.c.kind == kind)).all())


def post(client: TestClient, exception_id: int, action: str, **data: str) -> Any:
    token = csrf_of(client.get("/exceptions").text)
    return client.post(f"/exceptions/{exception_id}/{action}", data={"csrf": token, **data})


def notices(client: TestClient, url: str = "/exceptions") -> list[str]:
    page = client.get(url).text
    return [
        " ".join(html.unescape(n).split())
        for n in re.findall(r'<p class="notice"[^>]*>(.*?)</p>', page, re.S)
    ]


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_an_action_without_the_sessions_token_is_forbidden_and_changes_nothing(
    alice: TestClient, seeded: datetime, db: Database, token: str | None
) -> None:
    problem = exception(db, "unmapped_sku")
    data = {"note": "done"} | ({"csrf": token} if token is not None else {})
    for action in ("resolve", "retry", "supplier", "resend", "cancel", "arrived"):
        response = alice.post(f"/exceptions/{problem.id}/{action}", data=data)
        assert response.status_code == 403
    assert exception(db, "unmapped_sku").status == "open"
    assert events(db, "exception.resolved") == []


def test_another_sessions_token_is_forbidden(
    alice: TestClient, client: TestClient, seeded: datetime, db: Database
) -> None:
    stolen = csrf_of(alice.get("/exceptions").text)
    problem = exception(db, "unmapped_sku")
    client.cookies.clear()
    log_in(client)  # a new session: a new token
    response = client.post(f"/exceptions/{problem.id}/resolve", data={"csrf": stolen})
    assert response.status_code == 403
    assert exception(db, "unmapped_sku").status == "open"


def test_an_action_without_a_session_is_forbidden(
    client: TestClient, seeded: datetime, db: Database
) -> None:
    token = csrf_of(client.get("/login").text)  # an anonymous session's token
    problem = exception(db, "unmapped_sku")
    assert client.post(f"/exceptions/{problem.id}/resolve", data={"csrf": token}).status_code == 403
    assert exception(db, "unmapped_sku").status == "open"


def test_mark_resolved_records_who_when_and_the_note(
    alice: TestClient, seeded: datetime, db: Database
) -> None:
    problem = exception(db, "no_stock")
    before = utcnow()
    response = post(alice, problem.id, "resolve", note="ordered by phone", back="/exceptions")
    assert response.status_code == 303 and response.headers["location"] == "/exceptions"
    done = exception(db, "no_stock")
    assert (done.status, done.resolved_by, done.resolution) == (
        "resolved",
        "alice",
        "ordered by phone",
    )
    assert done.resolved_at >= before.replace(microsecond=0)
    [event] = events(db, "exception.resolved")
    assert "resolved by alice: ordered by phone" in event.message
    assert event.order_id == problem.order_id
    assert notices(alice) == [f"exception {problem.id} (no_stock) resolved by alice."]
    again = post(alice, problem.id, "resolve")
    assert again.status_code == 303
    assert notices(alice) == [f"exception {problem.id} (no_stock) was already resolved by alice."]


def test_retry_after_a_catalogue_offers_the_sku_puts_the_line_on_a_po(
    alice: TestClient, seeded: datetime, cfg: TandemConfig, db: Database
) -> None:
    problem = exception(db, "unmapped_sku")
    stays = post(alice, problem.id, "retry")
    assert stays.status_code == 303
    [notice] = notices(alice)
    assert "still open" in notice and "SKU GNOME is in no catalogue" in notice
    assert exception(db, "unmapped_sku").status == "open"

    offers(db, cfg, "bloom", ("ROSE", "5", 100), ("GNOME", "12", 3))
    post(alice, problem.id, "retry")
    [notice] = notices(alice)
    assert "Order #1003, GNOME: allocated — 1 on PO-00004 (bloom)." in notice
    assert f"exception {problem.id} (unmapped_sku) is resolved." in notice
    assert "Released PO-00004." in notice
    done = exception(db, "unmapped_sku")
    assert done.status == "resolved" and done.resolved_by == "alice"
    assert done.resolution.startswith("alice asked to plan GNOME on order #1003 again; planned")
    assert [e.message for e in events(db, "exception.retry")] == [
        "alice asked to plan GNOME on order #1003 again"
    ] * 2
    assert "PO-00004" in alice.get("/pos").text


def test_pick_another_supplier_overrides_the_preferred_one(
    alice: TestClient, seeded: datetime, cfg: TandemConfig, db: Database
) -> None:
    problem = exception(db, "no_stock")
    offers(db, cfg, "acme", ("HOSE", "10", 100), ("SPADE", "7", 50))  # preferred
    offers(db, cfg, "north", ("SPADE", "9", 50))
    assert post(alice, problem.id, "supplier", supplier="mars").status_code == 303
    [notice] = notices(alice)
    assert notice.startswith(
        f"Could not pick a supplier for exception {problem.id} (no_stock): no supplier"
    )
    post(alice, problem.id, "supplier", supplier="north")
    [notice] = notices(alice)
    assert "Order #1004, SPADE: allocated — 1 on PO-00004 (north)." in notice
    with db.read() as conn:
        override = conn.execute(
            select(t.order_lines.c.supplier_override).where(
                t.order_lines.c.id == problem.order_line_id
            )
        ).scalar_one()
    assert override == "north"
    done = exception(db, "no_stock")
    assert (done.status, done.resolved_by) == ("resolved", "alice")
    [event] = events(db, "supplier_override")
    assert event.message == "alice chose north for SPADE on order #1004"


def test_picking_a_supplier_without_the_sku_opens_the_new_reason(
    alice: TestClient, seeded: datetime, db: Database
) -> None:
    problem = exception(db, "no_stock")
    post(alice, problem.id, "supplier", supplier="bloom")
    [notice] = notices(alice)
    assert "the chosen supplier bloom does not list SKU SPADE" in notice
    done = exception(db, "no_stock")
    assert done.resolved_by == "alice" and "replaced by exception" in done.resolution


def test_resend_requeues_the_po_and_resolves(
    alice: TestClient, seeded: datetime, db: Database
) -> None:
    problem = exception(db, "send_failed")
    post(alice, problem.id, "resend")
    [notice] = notices(alice)
    assert notice.startswith("PO-00003 revision 1 queued to be sent again by alice")
    done = exception(db, "send_failed")
    assert (done.status, done.resolved_by) == ("resolved", "alice")
    with db.read() as conn:
        status = conn.execute(
            select(t.outbox.c.status)
            .where(t.outbox.c.dedupe_key.like("po.send:%"))
            .where(t.outbox.c.po_id == problem.po_id)
        ).scalar_one()
    assert status == "pending"
    assert "by alice" in events(db, "po.resend")[0].message


def po_row(db: Database, number: str) -> Any:
    with db.read() as conn:
        return conn.execute(
            select(t.purchase_orders).where(t.purchase_orders.c.number == number)
        ).one()


def send_status(db: Database, po_id: int) -> str:
    with db.read() as conn:
        return str(
            conn.execute(
                select(t.outbox.c.status).where(
                    t.outbox.c.po_id == po_id, t.outbox.c.kind == "po.send"
                )
            ).scalar_one()
        )


def test_a_held_send_offers_its_two_answers_instead_of_mark_resolved(
    alice: TestClient, held: str, db: Database
) -> None:
    doubt = exception(db, "send_in_doubt")
    page = alice.get("/exceptions").text
    card = page.split(f'id="exception-{doubt.id}"')[1].split("</article>")[0]
    assert set(re.findall(rf'action="/exceptions/{doubt.id}/(\w+)"', card)) == {
        "arrived",
        "resend",
        "cancel",
    }
    assert ">It arrived</button>" in card and ">Send again</button>" in card
    assert f'aria-label="Supplier reference for exception {doubt.id}"' in card


def test_it_arrived_records_the_held_send_as_sent_and_resolves(
    alice: TestClient, held: str, db: Database
) -> None:
    doubt = exception(db, "send_in_doubt")
    before = utcnow().replace(microsecond=0)
    post(alice, doubt.id, "arrived", reference="BLOOM-7781")
    [notice] = notices(alice)
    assert notice == (
        f"{held} revision 1 recorded as received by Bloom (said by alice);"
        f" exception {doubt.id} (send_in_doubt) resolved."
    )
    po = po_row(db, held)
    assert (po.status, po.supplier_reference) == ("sent", "BLOOM-7781")
    assert send_status(db, po.id) == "done"  # nothing goes out again
    done = exception(db, "send_in_doubt")
    assert (done.status, done.resolved_by) == ("resolved", "alice")
    assert done.resolved_at >= before
    assert done.resolution == f"{held} arrived at the supplier (reference BLOOM-7781), said alice"
    [sent] = [e for e in events(db, "po.sent") if e.po_id == po.id]
    assert sent.message.endswith("(BLOOM-7781) — Bloom has it, said alice")


def test_send_again_queues_the_held_send_with_its_key_and_resolves(
    alice: TestClient, held: str, db: Database
) -> None:
    doubt = exception(db, "send_in_doubt")
    post(alice, doubt.id, "resend")
    [notice] = notices(alice)
    assert notice.startswith(f"{held} revision 1 queued to be sent again by alice")
    assert send_status(db, doubt.po_id) == "pending"
    done = exception(db, "send_in_doubt")
    assert (done.status, done.resolved_by, done.resolution) == (
        "resolved",
        "alice",
        "resent by alice",
    )


def test_mark_resolved_on_a_held_send_is_refused_with_its_two_answers(
    alice: TestClient, held: str, db: Database
) -> None:
    """Closing the exception alone would leave the PO waiting for an answer that never comes."""
    doubt = exception(db, "send_in_doubt")
    post(alice, doubt.id, "resolve", note="asked them")
    assert notices(alice) == [
        f"exception {doubt.id} asks whether {held} reached the supplier: answer with"
        f' "It arrived" (it did) or "Send again" (it did not); either closes it.'
    ]
    assert exception(db, "send_in_doubt").status == "open"
    assert send_status(db, doubt.po_id) == "held"
    assert events(db, "exception.resolved") == []


def test_it_arrived_from_a_stale_page_changes_nothing(
    cfg: TandemConfig, db: Database, held: str
) -> None:
    """Alice's page still shows the held send; meanwhile Bob closed its exception. Her click
    must not record the PO as sent."""
    actions = ExceptionActions(Dashboard(cfg, db))
    doubt = exception(db, "send_in_doubt")
    with db.read() as conn:
        [as_alice_saw_it] = exceptions_queue(conn, status=None, exception_id=doubt.id)
    with db.write() as conn:
        resolve(conn, doubt.id, "bob", "asked the supplier", utcnow())

    with pytest.raises(ConflictError, match="already resolved by bob"):
        actions.handlers["arrived"](as_alice_saw_it, "alice", FormData())

    assert po_row(db, held).status == "released"
    assert send_status(db, doubt.po_id) == "held"
    assert exception(db, "send_in_doubt").resolved_by == "bob"


def test_cancel_po_from_its_exception(alice: TestClient, seeded: datetime, db: Database) -> None:
    problem = exception(db, "send_failed")
    post(alice, problem.id, "cancel")
    [notice] = notices(alice)
    assert notice.startswith("PO-00003 cancelled by alice")
    with db.read() as conn:
        status = conn.execute(
            select(t.purchase_orders.c.status).where(t.purchase_orders.c.number == "PO-00003")
        ).scalar_one()
    assert status == "cancelled"
    done = exception(db, "send_failed")
    assert done.resolved_by == "alice"
    assert done.resolution.startswith("PO-00003 cancelled by alice")


def test_an_action_that_does_not_fit_the_kind_is_refused(
    alice: TestClient, seeded: datetime, db: Database
) -> None:
    failed = exception(db, "send_failed")
    post(alice, failed.id, "retry")
    assert notices(alice) == [f"exception {failed.id} (send_failed) cannot be resolved by retry."]
    planning = exception(db, "unmapped_sku")
    post(alice, planning.id, "resend")
    assert notices(alice) == [
        f"exception {planning.id} (unmapped_sku) cannot be resolved by resend."
    ]
    assert post(alice, planning.id, "explode").status_code == 404
    assert post(alice, 9999, "resolve").status_code == 404
    assert exception(db, "send_failed").status == "open"
    assert exception(db, "unmapped_sku").status == "open"


def test_actions_from_the_order_page_return_there(
    alice: TestClient, seeded: datetime, db: Database
) -> None:
    problem = exception(db, "unmapped_sku")
    url = f"/orders/{problem.order_id}"
    page = alice.get(url).text
    response = alice.post(
        f"/exceptions/{problem.id}/resolve",
        data={"csrf": csrf_of(page), "back": url, "note": "customer agreed to wait"},
    )
    assert response.headers["location"] == url
    assert "customer agreed to wait" in alice.get(url).text
    evil = alice.post(
        f"/exceptions/{problem.id}/resolve",
        data={"csrf": csrf_of(page), "back": "https://evil.example/"},
    )
    assert evil.headers["location"] == "/"


@pytest.mark.parametrize("action", ["resend", "cancel"])
def test_resend_or_cancel_from_a_stale_page_changes_nothing(
    cfg: TandemConfig, db: Database, seeded: datetime, action: str
) -> None:
    """Alice's page still shows PO-00003's failed send as open; meanwhile Bob closed it (the
    supplier had the PO after all). Her click must neither resend nor cancel the PO."""
    actions = ExceptionActions(Dashboard(cfg, db))
    problem = exception(db, "send_failed")
    with db.read() as conn:
        [as_alice_saw_it] = exceptions_queue(conn, status=None, exception_id=problem.id)
    with db.write() as conn:
        resolve(conn, problem.id, "bob", "the supplier had it after all", utcnow())

    with pytest.raises(ConflictError, match="already resolved by bob"):
        actions.handlers[action](as_alice_saw_it, "alice", FormData())

    with db.read() as conn:
        po = conn.execute(
            select(t.purchase_orders.c.status).where(t.purchase_orders.c.number == "PO-00003")
        ).scalar_one()
        send = conn.execute(
            select(t.outbox.c.status).where(t.outbox.c.po_id == problem.po_id)
        ).scalar_one()
    assert (po, send) == ("released", "dead")  # not cancelled, not queued again
    done = exception(db, "send_failed")
    assert (done.resolved_by, done.resolution) == ("bob", "the supplier had it after all")
    assert events(db, "po.resend") == events(db, "po.cancelled") == []
