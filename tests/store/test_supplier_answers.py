"""Supplier answers, whatever door they come through: each is applied once under its key, goes
through the same services as a status API's answer, and says on the timeline who answered."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tandem.connector.services.shipments import ShippedLine
from tandem.connector.services.supplier_answers import (
    Acknowledge,
    AnswerError,
    Confirm,
    Refuse,
    Ship,
    SupplierAnswer,
    apply_answer,
    raise_unconfirmed,
)
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.helpers import T0
from tests.store.test_shipments import SHOPIFY, drop_ship_po, outbox_keys, po_status


def answer(number: str, key: str, action: object, supplier: str = "bloom") -> SupplierAnswer:
    return SupplierAnswer(supplier, number, "portal", key, action)  # type: ignore[arg-type]


def timeline(db: Database, number: str) -> list[str]:
    po = t.purchase_orders
    with db.read() as conn:
        return list(
            conn.execute(
                select(t.events.c.message)
                .join(po, po.c.id == t.events.c.po_id)
                .where(po.c.number == number)
                .order_by(t.events.c.id)
            ).scalars()
        )


def test_a_confirmation_with_dates_sets_the_eta_once_however_often_it_is_posted(
    db: Database,
) -> None:
    cfg, number = drop_ship_po(db, **SHOPIFY)
    confirm = Confirm({"ROSE": date(2026, 12, 10), "TULIP": date(2026, 12, 12)})
    first = apply_answer(db, cfg, answer(number, "form-1", confirm), T0)
    again = apply_answer(db, cfg, answer(number, "form-1", confirm), T0)
    assert first.recorded and not again.recorded and again.summary == first.summary
    assert po_status(db, number) == "acknowledged"
    said = [m for m in timeline(db, number) if "confirmed" in m]
    assert said == [f"{number} confirmed by Bloom via portal; ships 2026-12-10 to 2026-12-12"]
    with db.read() as conn:
        eta = conn.execute(
            select(t.purchase_orders.c.expected_at).where(t.purchase_orders.c.number == number)
        ).scalar_one()
        dates = set(conn.execute(select(t.po_lines.c.expected_ship_date)).scalars())
    assert eta.date() == date(2026, 12, 12) and dates == {date(2026, 12, 10), date(2026, 12, 12)}
    assert any(
        k.startswith("store.order_status:") and ":acknowledged:" in k for k in outbox_keys(db)
    )


def test_two_parcels_then_a_replayed_form_ship_once_each(db: Database) -> None:
    cfg, number = drop_ship_po(db, **SHOPIFY)
    half = Ship(("TRK-A", "TRK-B"), (ShippedLine("ROSE", 2),), carrier="DHL")
    assert apply_answer(db, cfg, answer(number, "ship-1", half), T0).recorded
    assert not apply_answer(db, cfg, answer(number, "ship-1", half), T0).recorded
    rest = Ship(("TRK-C",))
    assert apply_answer(db, cfg, answer(number, "ship-2", rest), T0).recorded
    assert po_status(db, number) == "shipped"
    with db.read() as conn:
        tracking = [list(n) for n in conn.execute(select(t.shipments.c.tracking_numbers)).scalars()]
    assert tracking == [["TRK-A", "TRK-B"], ["TRK-C"]]
    assert len([k for k in outbox_keys(db) if k.startswith("store.fulfillment:")]) == 2
    assert any("by Bloom via portal" in m and "TRK-A, TRK-B" in m for m in timeline(db, number))


def test_refusing_a_line_replans_its_order_and_raises_an_exception(db: Database) -> None:
    cfg, number = drop_ship_po(db, **SHOPIFY)
    refused = apply_answer(db, cfg, answer(number, "r-1", Refuse(("TULIP",), "discontinued")), T0)
    assert "Bloom refused TULIP" in refused.summary and "discontinued" in refused.summary
    with db.read() as conn:
        kinds = list(conn.execute(select(t.exceptions.c.kind)).scalars())
        quantities = dict(conn.execute(select(t.po_lines.c.sku, t.po_lines.c.quantity)).all())
    assert "po_rejected" in kinds and quantities["TULIP"] == 0 and quantities["ROSE"] == 3


def test_an_answer_about_another_suppliers_po_or_a_foreign_sku_changes_nothing(
    db: Database,
) -> None:
    cfg, number = drop_ship_po(db, **SHOPIFY)
    with pytest.raises(AnswerError, match=f"{number} is not a PO of Acme"):
        apply_answer(db, cfg, answer(number, "x-1", Confirm(), supplier="acme"), T0)
    with pytest.raises(AnswerError, match=f"DAISY is not on {number}"):
        apply_answer(db, cfg, answer(number, "x-2", Confirm({"DAISY": date(2026, 1, 1)})), T0)
    with pytest.raises(AnswerError, match="not a PO Tandem knows"):
        apply_answer(db, cfg, answer("PO-99999", "x-3", Confirm()), T0)
    assert po_status(db, number) == "released"
    with db.read() as conn:
        assert conn.execute(select(t.supplier_answers)).first() is None


def test_a_po_not_confirmed_in_time_raises_one_exception_until_confirmed(db: Database) -> None:
    cfg, number = drop_ship_po(db, **SHOPIFY)
    cfg.portal.confirm_within = timedelta(hours=24)
    po = t.purchase_orders
    with db.write() as conn:
        conn.execute(po.update().values(status="sent", sent_at=T0))
        assert raise_unconfirmed(conn, cfg, T0 + timedelta(hours=23)) == 0
        assert raise_unconfirmed(conn, cfg, T0 + timedelta(hours=25)) == 1
        assert raise_unconfirmed(conn, cfg, T0 + timedelta(hours=26)) == 0  # still the one
        message = conn.execute(select(t.exceptions.c.message)).scalar_one()
    assert message.startswith(f"{number} not confirmed by Bloom after 24 h")
    apply_answer(db, cfg, answer(number, "c-1", Confirm()), T0 + timedelta(hours=27))
    with db.read() as conn:
        assert conn.execute(select(t.exceptions.c.status)).scalar_one() == "resolved"


def test_a_change_acknowledgement_names_the_revision(db: Database) -> None:
    cfg, number = drop_ship_po(db, **SHOPIFY)
    with pytest.raises(AnswerError, match="not 3"):
        apply_answer(db, cfg, answer(number, "a-0", Acknowledge(3)), T0)
    applied = apply_answer(db, cfg, answer(number, "a-1", Acknowledge()), T0)
    assert applied.summary == f"{number} revision 1 acknowledged by Bloom via portal"
