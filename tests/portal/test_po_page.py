"""The PO page a supplier opens from its link: what it shows, and each answer it can give —
recorded once however often it is posted, and refused (changing nothing) without its own
page's form, from another PO's link, a forged or expired link, or too often."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from starlette.testclient import TestClient

from tandem.connector.configuration import TandemConfig
from tandem.connector.portal.tokens import make_po_token
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.portal.support import answers, bloom_po, form_fields, po_row, tracking, visible_text


def line_ids(db: Database, po_id: int) -> dict[str, int]:
    with db.read() as conn:
        rows = conn.execute(
            select(t.po_lines.c.sku, t.po_lines.c.id).where(t.po_lines.c.po_id == po_id)
        )
        return {str(sku): int(line_id) for sku, line_id in rows}


def post(client: TestClient, link: str, action: str, **data: object) -> object:
    fields = form_fields(client.get(link).text, action)
    return client.post(f"{link}/{action}", data={**fields, **data})


def test_the_page_shows_the_po_as_sent_and_what_can_be_answered(
    client: TestClient, link: str, po: tuple[int, str]
) -> None:
    page = client.get(link)
    assert page.status_code == 200
    words = visible_text(page.text)
    assert f"Purchase order {po[1]}" in words
    assert "Ship to our customer Customer 1" in words
    assert "ROSE" in words and "TULIP" in words
    for button in ("Confirm the purchase order", "Record the shipment", "Refuse the ticked lines"):
        assert button in words
    assert "Acknowledge" not in words  # no change was requested
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert client.get("/portal/portal.css").status_code == 200


def test_confirming_with_ship_dates_records_once_however_often_it_is_posted(
    client: TestClient, link: str, db: Database, po: tuple[int, str]
) -> None:
    po_id, number = po
    lines = line_ids(db, po_id)
    fields = form_fields(client.get(link).text, "confirm")
    data = {**fields, f"ship_date_{lines['ROSE']}": "2026-12-10", f"ship_date_{lines['TULIP']}": ""}
    first = client.post(f"{link}/confirm", data=data)
    assert first.status_code == 200
    assert f"Recorded: {number} confirmed by Bloom via portal; ships 2026-12-10" in visible_text(
        first.text
    )
    again = client.post(f"{link}/confirm", data=data)  # a double click, a reload
    assert "Already recorded" in visible_text(again.text)
    assert [a for a, _ in answers(db)] == ["confirm"]
    row = po_row(db, po_id)
    assert row.status == "acknowledged" and row.expected_at.date() == date(2026, 12, 10)
    assert "2026-12-10" in visible_text(client.get(link).text)  # the line shows its date


def test_a_post_without_its_pages_form_token_is_refused_and_changes_nothing(
    client: TestClient, link: str, db: Database, cfg: TandemConfig, po: tuple[int, str]
) -> None:
    fields = form_fields(client.get(link).text, "confirm")
    assert client.post(f"{link}/confirm", data={}).status_code == 403
    stale = {**fields, "csrf": fields["csrf"][:-3] + "abc"}
    assert client.post(f"{link}/confirm", data=stale).status_code == 403
    # A form from another PO's page does not answer this one.
    other_id, _ = bloom_po(db, cfg, order_number=2)
    other = "/portal/po/" + make_po_token(cfg, other_id, "bloom", po_row(db, other_id).opened_at)
    other_fields = form_fields(client.get(other).text, "confirm")
    assert client.post(f"{link}/confirm", data=other_fields).status_code == 403
    # Posted from another site.
    refused = client.post(
        f"{link}/confirm", data=fields, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403
    assert answers(db) == [] and po_row(db, po[0]).status == "released"


def test_forged_expired_and_other_po_links_get_403_and_change_nothing(
    client: TestClient, link: str, db: Database, cfg: TandemConfig, po: tuple[int, str]
) -> None:
    po_id, _ = po
    fields = form_fields(client.get(link).text, "confirm")
    token = link.rsplit("/", 1)[1]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (forged, make_po_token(cfg, po_id, "acme", po_row(db, po_id).opened_at), "x"):
        page = client.get(f"/portal/po/{bad}")
        assert page.status_code == 403
        assert "This link does not open anything" in visible_text(page.text)
        assert client.post(f"/portal/po/{bad}/confirm", data=fields).status_code == 403
    gone = po_row(db, po_id).opened_at
    with db.write() as conn:
        conn.execute(
            update(t.purchase_orders)
            .where(t.purchase_orders.c.id == po_id)
            .values(status="cancelled", cancelled_at=gone, updated_at=gone)
        )
    # Cancelled long ago (the fixtures' clock is in 2026-11): the link has expired.
    cfg.portal.valid_after_close = timedelta(days=1)
    assert client.get(link).status_code == 403
    assert client.post(f"{link}/confirm", data=fields).status_code == 403
    assert answers(db) == []


def test_shipping_half_with_two_tracking_numbers_then_the_rest(
    client: TestClient, link: str, db: Database, po: tuple[int, str]
) -> None:
    po_id, number = po
    lines = line_ids(db, po_id)
    half = post(
        client,
        link,
        "ship",
        **{f"quantity_{lines['ROSE']}": "2", f"quantity_{lines['TULIP']}": "1"},
        carrier="DHL",
        tracking="JJD000390007\nJJD000390008",
        tracking_urls="https://www.dhl.com/track?id=JJD000390007",
    )
    words = visible_text(half.text)  # type: ignore[attr-defined]
    assert f"Recorded: {number} shipped by Bloom via portal" in words
    assert "tracking JJD000390007, JJD000390008" in words
    assert "(1 to ship)" in words  # ROSE and TULIP each have one left
    rest = post(
        client,
        link,
        "ship",
        **{f"quantity_{lines['ROSE']}": "1", f"quantity_{lines['TULIP']}": "1"},
        tracking="JJD000390009",
    )
    assert "Recorded" in visible_text(rest.text)  # type: ignore[attr-defined]
    assert tracking(db) == [["JJD000390007", "JJD000390008"], ["JJD000390009"]]
    assert po_row(db, po_id).status == "shipped"
    shown = visible_text(client.get(link).text)
    assert "Record the shipment" not in shown and "JJD000390009" in shown


def test_a_shipment_form_that_cannot_be_recorded_says_what_to_fix(
    client: TestClient, link: str, db: Database, po: tuple[int, str]
) -> None:
    lines = line_ids(db, po[0])
    too_many = post(client, link, "ship", **{f"quantity_{lines['ROSE']}": "9"}, tracking="TRK-1")
    assert too_many.status_code == 400  # type: ignore[attr-defined]
    assert "9 shipped, but only 3 still to ship" in visible_text(too_many.text)  # type: ignore[attr-defined]
    no_tracking = post(client, link, "ship", **{f"quantity_{lines['ROSE']}": "1"})
    assert "Enter at least one tracking number." in visible_text(no_tracking.text)  # type: ignore[attr-defined]
    bad_date = post(client, link, "confirm", **{f"ship_date_{lines['ROSE']}": "next week"})
    assert "'next week' is not a date" in visible_text(bad_date.text)  # type: ignore[attr-defined]
    assert answers(db) == [] and tracking(db) == []


def test_refusing_a_line_with_a_reason_then_the_whole_po(
    client: TestClient, link: str, db: Database, po: tuple[int, str]
) -> None:
    po_id, _ = po
    lines = line_ids(db, po_id)
    no_reason = post(client, link, "refuse", line=str(lines["TULIP"]), scope="lines")
    assert "Say why" in visible_text(no_reason.text)  # type: ignore[attr-defined]
    refused = post(
        client, link, "refuse", line=str(lines["TULIP"]), reason="discontinued", scope="lines"
    )
    words = visible_text(refused.text)  # type: ignore[attr-defined]
    assert "Recorded" in words and "TULIP" in words and "discontinued" in words
    everything = post(client, link, "refuse", reason="closing down", scope="po")
    assert "Recorded" in visible_text(everything.text)  # type: ignore[attr-defined]
    assert po_row(db, po_id).status == "rejected"
    assert [a for a, _ in answers(db)] == ["refuse", "refuse"]
    with db.read() as conn:
        said = list(conn.execute(select(t.events.c.message).where(t.events.c.po_id == po_id)))
    assert any("by Bloom via portal" in m and "closing down" in m for (m,) in said)


def test_a_change_is_acknowledged_once(
    client: TestClient, link: str, db: Database, po: tuple[int, str]
) -> None:
    po_id, number = po
    with db.write() as conn:  # as a change request leaves it: revision 2, one line reduced
        conn.execute(
            update(t.purchase_orders).where(t.purchase_orders.c.id == po_id).values(revision=2)
        )
    page = visible_text(client.get(link).text)
    assert "Change requested (revision 2)" in page
    first = post(client, link, "acknowledge")
    assert f"Recorded: {number} revision 2 acknowledged by Bloom via portal" in visible_text(
        first.text  # type: ignore[attr-defined]
    )
    assert "Change requested" not in visible_text(client.get(link).text)
    with db.read() as conn:
        kinds = list(conn.execute(select(t.events.c.kind).where(t.events.c.po_id == po_id)))
    assert ("po.change_acknowledged",) in kinds


def test_too_many_answers_from_one_link_get_429(
    db: Database, po: tuple[int, str], link: str
) -> None:
    from starlette.applications import Starlette

    from tandem.connector.portal.routes import portal_routes
    from tests.portal.support import portal_config

    cfg = portal_config(actions_per_minute=2)
    with TestClient(Starlette(routes=portal_routes(cfg, db))) as client:
        statuses = [post(client, link, "confirm").status_code for _ in range(3)]  # type: ignore[attr-defined]
    assert statuses == [200, 200, 429]
    assert len(answers(db)) == 2  # two forms, two nonces: two confirmations


def test_a_body_too_large_is_refused_before_it_is_read(
    client: TestClient, link: str, db: Database
) -> None:
    fields = form_fields(client.get(link).text, "confirm")
    big = client.post(f"{link}/confirm", data={**fields, "pad": "x" * 100_000})
    assert big.status_code == 413 and answers(db) == []


def test_the_portal_is_served_only_when_enabled(db: Database) -> None:
    from tandem.connector.web.app import create_app
    from tests.portal.support import portal_config

    for enabled, status in ((True, 403), (False, 404)):
        app = create_app(portal_config(enabled=enabled), db)
        with TestClient(app) as client:
            assert client.get("/portal/po/anything").status_code == status
