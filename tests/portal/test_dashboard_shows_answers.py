"""What a supplier answers on the portal shows on the dashboard's PO page, saying who and how."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient

from tandem.connector.portal.routes import portal_routes
from tandem.connector.store import Database
from tandem.connector.web.dashboard import dashboard_routes
from tests.portal.support import form_fields, portal_config, visible_text
from tests.web.conftest import log_in
from tests.web.support import HASH


def test_portal_answers_appear_on_the_po_timeline(
    db: Database, po: tuple[int, str], link: str
) -> None:
    cfg = portal_config(
        dashboard={"secret_key": "k", "users": [{"name": "alice", "password_hash": HASH}]}
    )
    app = Starlette(routes=[*dashboard_routes(cfg, db), *portal_routes(cfg, db)])
    with TestClient(app, follow_redirects=False) as client:
        fields = form_fields(client.get(link).text, "confirm")
        assert client.post(f"{link}/confirm", data=fields).status_code == 200
        alice = log_in(client)
        page = alice.get(f"/pos/{po[1]}")
    assert page.status_code == 200
    assert f"{po[1]} confirmed by Bloom via portal" in visible_text(page.text)
