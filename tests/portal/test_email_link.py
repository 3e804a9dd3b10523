"""Every PO message carries the supplier's link to its page, when the supplier is on the
portal: the document has it, and the email shows it in both bodies."""

from __future__ import annotations

from email.message import EmailMessage

from tandem.connector.configuration import TandemConfig
from tandem.connector.portal.tokens import open_po_token
from tandem.connector.services.po_document import build_document
from tandem.connector.store import Database
from tests.portal.support import bloom_po
from tests.store.helpers import T0
from tests.suppliers.email.support import channel, drop_ship

URL = "https://tandem.example.com/portal/po/abc.def"


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def test_the_po_document_carries_a_link_that_opens_its_page(
    db: Database, cfg: TandemConfig
) -> None:
    po_id, _ = bloom_po(db, cfg)
    with db.read() as conn:
        document = build_document(conn, cfg, po_id)
        assert document.portal_url is not None
        token = document.portal_url.removeprefix("https://tandem.example.com/portal/po/")
        assert open_po_token(conn, cfg, token, T0).po_id == po_id
    cfg.supplier("bloom").portal = False  # type: ignore[union-attr]
    with db.read() as conn:
        assert build_document(conn, cfg, po_id).portal_url is None


def test_the_email_shows_the_link_in_both_bodies() -> None:
    text, html = bodies(channel(25).compose(drop_ship(portal_url=URL)))
    assert "record the shipment and tracking on this page (no login needed" in text
    assert URL in text
    assert f'href="{URL}"' in html and "Confirm or record the shipment" in html
    assert "You may also reply to this message" in text


def test_without_the_portal_the_email_asks_for_a_reply() -> None:
    text, html = bodies(channel(25).compose(drop_ship()))
    assert "Please reply to this message to confirm" in text
    assert "/portal/" not in text and "/portal/" not in html
