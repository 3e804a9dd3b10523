"""The supplier portal end to end, in a real browser, with no one at Tandem touching anything:
a drop-ship order placed in the Shopify stand-in reaches `tandem run` by webhook, its PO goes
to Bloom by email (a real SMTP server), and the supplier opens the link in that email in
Chromium, confirms with a ship date, ships half in two parcels and then the rest. The order
gets the ETA in its `tandem.purchase_orders` metafield and two fulfillments with the right
tracking.

Set TANDEM_PORTAL_SCREENSHOT=docs/portal.png to refresh the README's screenshot.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.daemon_support import free_port, start, stop, wait_for
from tests.standin import ShopifyStandin
from tests.suppliers.email.support import Recorder, smtp_server
from tests.web.test_browser import ARGS, CHROMIUM, browser_present

SECRET = "whsec-portal"
__all__ = ["browser_present"]  # the fixture that skips (or, in CI, fails) without Chromium
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("browser_present")]


@pytest.fixture
def inbox() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


def portal_config(folder: Path, shop: ShopifyStandin, smtp_port: int, port: int) -> Path:
    (folder / "bloom.csv").write_text("sku,supplier_sku,name,cost,stock\nROSE,BL-7,Rose,4.50,9\n")
    data: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'tandem.db'}",
        "store": {
            "platform": "shopify",
            "shop_url": shop.url,
            "access_token": shop.token,
            "webhook_secret": SECRET,
        },
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "po@shop.example"},
        "rules": {"default_mode": "drop_ship"},
        "portal": {
            "enabled": True,
            "base_url": f"http://127.0.0.1:{port}",
            "secret": "a portal secret, long enough",
        },
        "suppliers": [
            {
                "id": "bloom",
                "name": "Bloom",
                "mode": "drop_ship",
                "portal": True,
                "release": {"immediate": True},
                "catalogue": {"path": "bloom.csv"},
                "transport": {"type": "email", "to": "orders@bloom.example", "attach_pdf": False},
            }
        ],
        "daemon": {
            "port": port,
            "intervals": {"poll_orders": "60s", "plan": "1s", "dispatch": "1s", "reconcile": "1h"},
        },
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def link_in(raw: bytes) -> str:
    """The portal link in the plain-text body of the PO email, as the supplier reads it."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"http://127\.0\.0\.1:\d+/portal/po/\S+", str(body.get_content()))
    assert found, "no portal link in the PO email"
    return found.group(0)


def eta(shop: ShopifyStandin, order: str) -> str | None:
    field = shop.metafield(order, "tandem", "purchase_orders")
    if field is None:
        return None
    entries = json.loads(field["value"])
    return entries[0].get("eta") if entries else None


def parcels(shop: ShopifyStandin, order: str) -> list[tuple[list[str], int]]:
    return [
        (sorted(t["number"] for t in f["tracking"]), sum(line["quantity"] for line in f["lines"]))
        for f in shop.fulfillments(order)
    ]


def test_a_supplier_confirms_and_ships_in_two_parcels_from_the_emailed_link(
    shopify_standin: ShopifyStandin, inbox: tuple[Recorder, int], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    recorder, smtp_port = inbox
    shop = shopify_standin
    shop.add_variant("ROSE")
    port = free_port()
    log = tmp_path / "tandem.log"
    process = start(portal_config(tmp_path, shop, smtp_port, port), port, log)
    ships_on = date.today() + timedelta(days=5)
    try:
        order = shop.add_order([("ROSE", 4)])
        answer = shop.deliver_webhook(
            f"http://127.0.0.1:{port}/webhooks/shopify",
            "orders/create",
            shop.order_payload(order),
            SECRET,
        )
        assert answer.status_code == 200
        wait_for(lambda: len(recorder.messages()) == 1, 30, "the PO email", log)
        link = link_in(recorder.envelopes[0].original_content or b"")

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 820, "height": 900})
                page.set_default_timeout(15_000)
                page.goto(link)
                expect(page.get_by_role("heading", name="Purchase order PO-00001")).to_be_visible()
                expect(page.get_by_text("Ship to our customer")).to_be_visible()

                page.get_by_label("Expected ship date of BL-7").fill(ships_on.isoformat())
                page.get_by_role("button", name="Confirm the purchase order").click()
                expect(page.get_by_role("status")).to_have_text(
                    f"Recorded: PO-00001 confirmed by Bloom via portal; ships {ships_on}"
                )
                shot = Path(os.environ.get("TANDEM_PORTAL_SCREENSHOT") or tmp_path / "p.png")
                page.screenshot(path=str(shot), full_page=True)

                page.get_by_label(re.compile("Quantity of BL-7 shipped")).fill("2")
                page.get_by_label("Carrier").fill("DHL")
                page.get_by_label(re.compile("Tracking numbers")).fill("JJD01\nJJD02")
                page.get_by_role("button", name="Record the shipment").click()
                expect(page.get_by_role("status")).to_contain_text(
                    "PO-00001 shipped by Bloom via portal: 2 × ROSE; tracking JJD01, JJD02"
                )

                page.get_by_label(re.compile(r"Quantity of BL-7 shipped \(2 to ship\)")).fill("2")
                page.get_by_label(re.compile("Tracking numbers")).fill("JJD03")
                page.get_by_role("button", name="Record the shipment").click()
                expect(page.get_by_role("status")).to_contain_text("tracking JJD03")
                expect(page.get_by_role("button", name="Record the shipment")).to_have_count(0)
            finally:
                browser.close()

        wait_for(lambda: len(parcels(shop, order)) == 2, 30, "two fulfillments", log)
        wait_for(lambda: eta(shop, order) == ships_on.isoformat(), 30, "the ETA", log)
    finally:
        code = stop(process)
    assert code == 0, log.read_text()[-3000:]
    assert parcels(shop, order) == [(["JJD01", "JJD02"], 2), (["JJD03"], 2)]
    assert len(recorder.messages()) == 1  # the supplier answered on the page, not by email
    assert link.rsplit("/", 1)[1] not in log.read_text()  # the token is never logged
