"""The planner on a real database: orders in, consolidated POs out, edits passed on."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.views import list_exceptions, list_pos, show_po
from tests.store.dispatch_support import send_everything
from tests.store.helpers import T0, config, holdings, ingest, offers, order, with_release


def pos(db: Database, **filters: str) -> list[dict]:
    with db.read() as conn:
        return list_pos(conn, **filters)


def outbox(db: Database) -> list[tuple[str, str]]:
    with db.read() as conn:
        return [
            (r.kind, r.dedupe_key) for r in conn.execute(select(t.outbox).order_by(t.outbox.c.id))
        ]


def test_orders_become_one_consolidated_po_per_supplier_and_ship_to(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "18.40"), ("RAKE", "9"))
    offers(db, cfg, "bloom", ("OLIVE", "34"))
    ingest(
        db,
        order(1, ("SPADE", 2), ("OLIVE", 1)),
        order(2, ("SPADE", 1), ("RAKE", 4)),
        order(3, ("OLIVE", 2)),
    )
    summary = run_planner(db, cfg, T0)
    assert summary.released == ["PO-00001", "PO-00002", "PO-00003"]
    by_supplier = {(p["supplier"], p["order"]): p for p in pos(db)}
    acme = by_supplier[("acme", None)]
    assert acme["mode"] == "back_to_back" and acme["status"] == "released"
    assert acme["ship_to"]["company"] == "Main warehouse"
    assert {(ln["sku"], ln["quantity"]) for ln in acme["lines"]} == {("SPADE", 3), ("RAKE", 4)}
    spade = next(ln for ln in acme["lines"] if ln["sku"] == "SPADE")
    assert [(s["order"], s["order_line_id"], s["quantity"]) for s in spade["serves"]] == [
        ("#1", "1-1", 2),
        ("#2", "2-1", 1),
    ]
    drop = [p for p in pos(db) if p["supplier"] == "bloom"]
    assert sorted(p["order"] for p in drop) == ["#1", "#3"]
    assert {p["ship_to"]["name"] for p in drop} == {"Customer 1", "Customer 3"}
    assert sorted(kind for kind, _ in outbox(db)) == ["po.send"] * 3


def test_the_same_orders_twice_and_planning_twice_yield_the_same_pos(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "18.40"))
    batch = [order(1, ("SPADE", 2)), order(2, ("SPADE", 5))]
    ingest(db, *batch)
    run_planner(db, cfg, T0)
    before, sent = pos(db), outbox(db)
    report = ingest(db, *batch)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    again = run_planner(db, cfg, T0 + timedelta(minutes=5))
    assert again.lines == 0 and again.released == []
    assert run_planner(db, cfg, T0, everything=True).allocated_units == 0
    assert pos(db) == before and outbox(db) == sent


def test_an_older_version_of_an_order_is_ignored(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "18.40"))
    ingest(db, order(1, ("SPADE", 1), version=5))
    report = ingest(db, order(1, ("SPADE", 9), version=1))
    assert report.stale == 1
    run_planner(db, cfg, T0)
    assert holdings(db) == {"1-1": 1}


def test_drafts_wait_for_the_minimum_value_then_release(db: Database) -> None:
    cfg = with_release(config(), "acme", min_order_value=100)
    offers(db, cfg, "acme", ("SPADE", "30"))
    ingest(db, order(1, ("SPADE", 2)))
    assert run_planner(db, cfg, T0).released == []
    assert [p["status"] for p in pos(db)] == ["draft"]
    ingest(db, order(2, ("SPADE", 2)))
    assert run_planner(db, cfg, T0).released == ["PO-00001"]
    [po] = pos(db)
    assert po["lines"][0]["quantity"] == 4 and po["total"] == 120
    assert po["release_reason"] == "order value 120.00 reached the minimum 100.00"


def test_drafts_release_at_the_cron_cut_off_or_after_the_maximum_wait(db: Database) -> None:
    cfg = with_release(config(), "acme", cron="0 14 * * *", max_wait="2d")
    offers(db, cfg, "acme", ("SPADE", "30"))
    ingest(db, order(1, ("SPADE", 1)))
    opened = T0  # 09:00
    run_planner(db, cfg, opened)
    assert run_planner(db, cfg, opened.replace(hour=13, minute=59)).released == []
    assert run_planner(db, cfg, opened.replace(hour=14)).released == ["PO-00001"]


def test_po_numbers_are_never_reused(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "1"))
    ingest(db, order(1, ("SPADE", 1)))
    run_planner(db, cfg, T0)
    ingest(db, order(1, ("SPADE", 1), cancelled=True, version=1))
    run_planner(db, cfg, T0)
    ingest(db, order(2, ("SPADE", 1)))
    run_planner(db, cfg, T0)
    assert [(p["number"], p["status"]) for p in pos(db)] == [
        ("PO-00001", "cancelled"),
        ("PO-00002", "released"),
    ]


def test_dry_run_reports_and_changes_nothing(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "1"))
    ingest(db, order(1, ("SPADE", 3)))
    summary = run_planner(db, cfg, T0, dry_run=True)
    assert summary.allocated_units == 3 and summary.released == ["PO-00001"]
    assert pos(db) == [] and outbox(db) == []
    assert run_planner(db, cfg, T0).released == ["PO-00001"]


def test_edit_after_sending_records_a_change_request_and_an_exception(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "10"), ("RAKE", "5"))
    ingest(db, order(1, ("SPADE", 5), ("RAKE", 1)))
    run_planner(db, cfg, T0)
    send_everything(db, cfg)
    ingest(db, order(1, ("SPADE", 2), ("RAKE", 1), version=1))
    summary = run_planner(db, cfg, T0)
    assert summary.changes == ["PO-00001 rev 2"]
    assert summary.exceptions_opened == 1  # the change request, counted with the rest
    with db.read() as conn:
        po = show_po(conn, "PO-00001")
        problems = list_exceptions(conn)
    assert po["revision"] == 2 and po["status"] == "sent"
    assert [
        (c["kind"], c["supplier_sku"], c["old_quantity"], c["new_quantity"]) for c in po["changes"]
    ] == [("reduce", "ACME-SPADE", 5, 2)]
    assert "order #1 now needs 2 × SPADE" in po["changes"][0]["reason"]
    assert [p["kind"] for p in problems] == ["po_change_requested"]
    assert "PO-00001 was already released to acme" in problems[0]["message"]
    assert ("po.change", f"po.change:{po['id']}:rev2") in outbox(db)
    assert holdings(db) == {"1-1": 2, "1-2": 1}


def test_cancelled_order_cancels_its_drop_ship_po(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "bloom", ("OLIVE", "34"))
    ingest(db, order(1, ("OLIVE", 1)))
    run_planner(db, cfg, T0)
    send_everything(db, cfg)
    ingest(db, order(1, ("OLIVE", 1), cancelled=True, version=1))
    run_planner(db, cfg, T0)
    [po] = pos(db)
    assert po["status"] == "cancelled"
    with db.read() as conn:
        changes = show_po(conn, "PO-00001")["changes"]
    assert [c["kind"] for c in changes] == ["cancel_line", "cancel_po"]
    assert "order #1 was cancelled" in changes[0]["reason"]
    assert holdings(db) == {}


def test_cancelling_before_release_just_shrinks_the_draft(db: Database) -> None:
    cfg = with_release(config(), "acme", min_order_value=1000)
    offers(db, cfg, "acme", ("SPADE", "10"))
    ingest(db, order(1, ("SPADE", 2)), order(2, ("SPADE", 3)))
    run_planner(db, cfg, T0)
    ingest(db, order(1, ("SPADE", 2), cancelled=True, version=1))
    summary = run_planner(db, cfg, T0)
    assert summary.changes == []
    [draft] = pos(db)
    assert draft["status"] == "draft" and draft["lines"][0]["quantity"] == 3
    with db.read() as conn:
        assert list_exceptions(conn) == []


def test_a_line_no_supplier_serves_is_an_exception_until_a_catalogue_has_it(
    db: Database,
) -> None:
    cfg = config()
    ingest(db, order(1, ("GNOME", 1, {"_fulfilment": "drop_ship"})))
    run_planner(db, cfg, T0)
    with db.read() as conn:
        [problem] = list_exceptions(conn)
    assert problem["kind"] == "unmapped_sku" and problem["sku"] == "GNOME"
    assert problem["message"] == "order #1: SKU GNOME is in no catalogue"
    run_planner(db, cfg, T0)
    with db.read() as conn:
        assert len(list_exceptions(conn, status=None)) == 1  # not raised twice
    offers(db, cfg, "bloom", ("GNOME", "12"))
    with db.write() as conn:
        from tandem.connector.services.suppliers import replan_waiting

        replan_waiting(conn)
    assert run_planner(db, cfg, T0).released == ["PO-00001"]
    with db.read() as conn:
        assert list_exceptions(conn) == []
        [closed] = list_exceptions(conn, status="resolved")
    assert closed["resolved_by"] == "tandem"


def test_a_mode_property_that_names_no_mode_is_reported_until_it_is_fixed(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "10"))
    ingest(db, order(1, ("SPADE", 2, {"_fulfilment": "teleport"})))
    assert run_planner(db, cfg, T0).released == ["PO-00001"]  # planned by the next rule
    with db.read() as conn:
        [problem] = list_exceptions(conn)
    assert problem["kind"] == "unknown_mode" and problem["sku"] == "SPADE"
    assert problem["message"] == (
        "order #1: SPADE: line property _fulfilment='teleport' is not a fulfilment mode"
        " (stock, back_to_back, drop_ship); planned as back_to_back (default of supplier acme)"
    )
    ingest(db, order(1, ("SPADE", 2, {"_fulfilment": "b2b"}), version=1))
    run_planner(db, cfg, T0)
    with db.read() as conn:
        assert list_exceptions(conn) == []
    assert holdings(db) == {"1-1": 2}


def test_line_statuses_explain_every_line(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "10", 1))
    ingest(db, order(1, ("SPADE", 3), ("CANDLE", 1)), order(2, ("SPADE", 1), status="pending"))
    run_planner(db, cfg, T0)
    with db.read() as conn:
        rows = conn.execute(
            select(
                t.order_lines.c.external_id, t.order_lines.c.status, t.order_lines.c.mode_source
            ).order_by(t.order_lines.c.external_id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("1-1", "short", "default of supplier acme"),
        ("1-2", "stock", "global default"),
        ("2-1", "awaiting_payment", "default of supplier acme"),
    ]


def test_supplier_stock_on_released_pos_is_not_promised_again(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("HOSE", "21", 4))
    offers(db, cfg, "north", ("HOSE", "22", 25))
    ingest(db, order(1, ("HOSE", 3)))
    run_planner(db, cfg, T0)
    ingest(db, order(2, ("HOSE", 3)))
    run_planner(db, cfg, T0)
    lines = {(p["supplier"], ln["quantity"]) for p in pos(db) for ln in p["lines"]}
    assert lines == {("acme", 3), ("north", 3)}


def test_splits_a_line_when_no_supplier_has_enough_alone(db: Database) -> None:
    cfg = config()
    offers(db, cfg, "acme", ("HOSE", "21", 4))
    offers(db, cfg, "north", ("HOSE", "22", 3))
    ingest(db, order(1, ("HOSE", 6)))
    run_planner(db, cfg, T0)
    assert sorted((p["supplier"], p["lines"][0]["quantity"]) for p in pos(db)) == [
        ("acme", 4),
        ("north", 2),
    ]
    assert holdings(db) == {"1-1": 6}


def test_pack_sizes_round_the_consolidated_line(db: Database) -> None:
    cfg = with_release(config(), "acme", min_order_value=1000)
    offers(db, cfg, "acme", ("GLOVES", "19.50", None, 6, 2))
    ingest(db, order(1, ("GLOVES", 4)))
    run_planner(db, cfg, T0)
    assert pos(db)[0]["lines"][0]["quantity"] == 2  # the minimum of 2 boxes
    ingest(db, order(2, ("GLOVES", 9)))
    run_planner(db, cfg, T0)
    line = pos(db)[0]["lines"][0]
    assert (line["quantity"], line["units"]) == (3, 18)
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.purchase_orders)).scalar() == 1


def test_an_order_waiting_for_a_cancelled_orders_unit_gets_it_in_the_same_run(
    db: Database,
) -> None:
    # acme had one SPADE; order #1 got it on a sent PO and order #2 found acme out of stock.
    cfg = config()
    offers(db, cfg, "acme", ("SPADE", "10", 1))
    ingest(db, order(1, ("SPADE", 1)))
    run_planner(db, cfg, T0)
    send_everything(db, cfg)
    ingest(db, order(2, ("SPADE", 1)))
    run_planner(db, cfg, T0)
    assert holdings(db) == {"1-1": 1}
    with db.read() as conn:
        assert [p["sku"] for p in list_exceptions(conn)] == ["SPADE"]
    # Order #1 is cancelled: its unit is order #2's at once, without another change.
    ingest(db, order(1, ("SPADE", 1), cancelled=True, version=1))
    run_planner(db, cfg, T0)
    assert holdings(db) == {"2-1": 1}
    with db.read() as conn:  # what is left open is the cancellation for acme to confirm
        assert [p["kind"] for p in list_exceptions(conn)] == ["po_change_requested"]
