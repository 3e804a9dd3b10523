"""A supplier's shipments file for many POs: previewed with each bad row named and nothing
recorded, then applied — the good shipments once, however often the file is applied."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tandem.connector.configuration import TandemConfig
from tandem.connector.portal import supplier_portal_link
from tandem.connector.store import Database
from tests.portal.support import answers, bloom_po, po_row, tracking, visible_text


def bulk_link(cfg: TandemConfig) -> str:
    url = supplier_portal_link(cfg, "bloom")
    assert url is not None
    return url.removeprefix("https://tandem.example.com")


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, name
    return found.group(1)


def test_a_shipments_file_is_previewed_with_its_bad_rows_then_applied_once(
    client: TestClient, db: Database, cfg: TandemConfig, po: tuple[int, str]
) -> None:
    first_id, first = po
    second_id, second = bloom_po(db, cfg, order_number=2)
    link = bulk_link(cfg)
    page = client.get(link)
    assert page.status_code == 200 and "Shipments file for Bloom" in visible_text(page.text)
    rows = "\n".join(
        [
            "po_number,sku,quantity,tracking_number,carrier",
            f"{first},ROSE,2,TRK-A;TRK-B,DHL",  # one shipment of two parcels
            f"{first},TULIP,1,TRK-A;TRK-B,DHL",
            f"{second},,,TRK-C,UPS",  # everything still open on the second PO
            f"{first},DAISY,1,TRK-D,DHL",  # not on the PO
            "PO-99999,ROSE,1,TRK-E,DHL",  # not Bloom's
            f"{first},ROSE,7,TRK-F,DHL",  # more than the file leaves open
        ]
    )
    files = {"file": ("shipments.csv", rows.encode(), "text/csv")}
    data = {"nonce": hidden(page.text, "nonce"), "csrf": hidden(page.text, "csrf")}
    preview = client.post(f"{link}/preview", data=data, files=files)
    assert preview.status_code == 200, preview.text
    words = visible_text(preview.text)
    assert "Preview — nothing is recorded yet" in words
    assert f"line 5: DAISY is not on {first}" in words
    assert "line 6: PO-99999 is not one of your POs" in words
    assert f"line 7: 7 × ROSE, but only 1 still to ship on {first}" in words
    assert "Record 2 shipments" in words
    assert answers(db) == [] and tracking(db) == []

    apply = {
        "nonce": hidden(preview.text, "nonce"),
        "csrf": hidden(preview.text, "csrf"),
        "content": rows,
    }
    done = client.post(f"{link}/apply", data=apply)
    words = visible_text(done.text)
    assert f"{first} shipped by Bloom via portal: 2 × ROSE, 1 × TULIP" in words
    assert "line 6: PO-99999 is not one of your POs" in words  # listed as not recorded
    assert tracking(db) == [["TRK-A", "TRK-B"], ["TRK-C"]]
    assert po_row(db, second_id).status == "shipped"
    assert po_row(db, first_id).status == "released"  # one ROSE and one TULIP still to go

    again = client.post(f"{link}/apply", data=apply)  # applied twice: nothing more
    assert "already recorded" in visible_text(again.text)
    assert len(tracking(db)) == 2


def test_the_bulk_page_needs_its_own_link_and_form(
    client: TestClient, db: Database, cfg: TandemConfig, link: str
) -> None:
    po_token = link.rsplit("/", 1)[1]
    assert client.get(f"/portal/supplier/{po_token}").status_code == 403
    bulk = bulk_link(cfg)
    files = {"file": ("s.csv", b"po_number,tracking_number\nPO-00001,T1\n", "text/csv")}
    assert client.post(f"{bulk}/preview", files=files).status_code == 403
    assert client.post(f"{bulk}/apply", data={"content": "x"}).status_code == 403
    assert answers(db) == []
