"""The dashboard in a real browser (Debian's chromium driven by Playwright) against the app
served by uvicorn: log in, open the exceptions queue, fix one by importing a catalogue and
clicking Retry, close another with a note, answer a send held in doubt with "It arrived", and
check the database recorded who and when."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from tandem.connector.catalogue.importer import import_catalogue
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.web.app import create_app
from tandem.connector.web.dashboard.passwords import hash_password
from tests.web.support import PASSWORD, dashboard_config, held_send, seed

# Debian's package; TANDEM_TEST_CHROMIUM names another build (e.g. Ubuntu's chromium-browser).
CHROMIUM = Path(os.environ.get("TANDEM_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.slow


def missing() -> str | None:
    """What this machine lacks to drive the browser, if anything."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"no browser at {CHROMIUM} (apt-get install chromium, or set TANDEM_TEST_CHROMIUM)"
    return None


@pytest.fixture(autouse=True)
def browser_present() -> None:
    """Without a browser this test is skipped on a developer's machine, but fails in CI (CI
    set): a CI run must not pass without having driven the dashboard in a browser."""
    lacking = missing()
    if lacking is None:
        return
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{lacking}; CI runs the dashboard's browser test", pytrace=False)
    pytest.skip(lacking)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def browser_cfg() -> TandemConfig:
    # The real iteration count: the browser logs in as a user would.
    return dashboard_config(password_hash=hash_password(PASSWORD))


@pytest.fixture
def server(browser_cfg: TandemConfig, sqlite_db: Database) -> Iterator[str]:
    seed(sqlite_db, browser_cfg)
    port = free_port()
    config = uvicorn.Config(
        create_app(browser_cfg, sqlite_db), host="127.0.0.1", port=port, log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


def exception(db: Database, kind: str) -> Any:
    with db.read() as conn:
        return conn.execute(select(t.exceptions).where(t.exceptions.c.kind == kind)).one()


def test_resolving_exceptions_in_a_browser(
    server: str, browser_cfg: TandemConfig, sqlite_db: Database, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    started = utcnow().replace(microsecond=0)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)

            # Not logged in: the queue sends us to the login form, which brings us back.
            page.goto(f"{server}/exceptions")
            expect(page).to_have_url(re.compile(r"/login\?next=%2Fexceptions$"))
            page.get_by_label("User name").fill("alice")
            page.get_by_label("Password").fill("not the password")
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
            page.get_by_label("User name").fill("alice")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page).to_have_url(f"{server}/exceptions")
            expect(page.get_by_role("heading", name="Exceptions")).to_be_visible()

            gnome = exception(sqlite_db, "unmapped_sku")
            card = page.locator(f"#exception-{gnome.id}")
            expect(card).to_contain_text("order #1003: SKU GNOME is in no catalogue")

            # The fix: Bloom's new catalogue lists the gnome. Then Retry.
            feed = tmp_path / "bloom.csv"
            feed.write_text(
                "sku,supplier_sku,name,cost,stock\nROSE,BL-1,Rose,5,100\nGNOME,BL-2,Gnome,12,4\n",
                encoding="utf-8",
            )
            import_catalogue(sqlite_db, browser_cfg, "bloom", feed)
            card.get_by_role("button", name="Retry").click()
            notice = page.get_by_role("status")
            expect(notice).to_contain_text("Order #1003, GNOME: allocated — 1 on PO-00004 (bloom)")
            expect(notice).to_contain_text(f"exception {gnome.id} (unmapped_sku) is resolved.")
            expect(page.locator(f"#exception-{gnome.id}")).to_have_count(0)

            # The line is on the new PO, which serves order #1003.
            page.goto(f"{server}/pos")
            page.get_by_role("link", name="PO-00004").click()
            expect(page.get_by_role("heading", name=re.compile("PO-00004"))).to_be_visible()
            expect(page.locator("table").first).to_contain_text("GNOME")
            expect(page.locator("table").first).to_contain_text("#1003 × 1")

            # Another one closed by hand, with a note.
            spade = exception(sqlite_db, "no_stock")
            page.goto(f"{server}/exceptions")
            card = page.locator(f"#exception-{spade.id}")
            card.get_by_label(f"Note for exception {spade.id}").fill("ordered by phone <ok>")
            card.get_by_role("button", name="Mark resolved").click()
            expect(page.get_by_role("status")).to_have_text(
                f"exception {spade.id} (no_stock) resolved by alice."
            )
            expect(page.locator(f"#exception-{spade.id}")).to_have_count(0)
            page.get_by_role("link", name="Show resolved ones too").click()
            expect(page.locator(f"#exception-{spade.id}")).to_contain_text(
                "by alice: ordered by phone <ok>"
            )

            # Tandem stopped while emailing a PO: the supplier confirms it has it.
            # (In a thread: Playwright's sync API keeps an event loop running on this one.)
            with ThreadPoolExecutor(1) as pool:
                number = pool.submit(held_send, sqlite_db, browser_cfg).result()
            doubt = exception(sqlite_db, "send_in_doubt")
            page.goto(f"{server}/exceptions")
            card = page.locator(f"#exception-{doubt.id}")
            expect(card).to_contain_text(f"{number} revision 1 may or may not have reached Bloom")
            expect(card.get_by_role("button", name="Mark resolved")).to_have_count(0)
            card.get_by_label(f"Supplier reference for exception {doubt.id}").fill("BL-5521")
            card.get_by_role("button", name="It arrived").click()
            expect(page.get_by_role("status")).to_contain_text(
                f"{number} revision 1 recorded as received by Bloom (said by alice)"
            )
            expect(page.locator(f"#exception-{doubt.id}")).to_have_count(0)
            page.goto(f"{server}/pos/{number}")
            expect(page.get_by_role("heading", name=re.compile(number))).to_contain_text("sent")
            expect(page.locator(".facts")).to_contain_text("BL-5521")

            page.get_by_role("button", name="Log out").click()
            expect(page).to_have_url(f"{server}/login")
            page.goto(f"{server}/exceptions")
            expect(page).to_have_url(re.compile(r"/login\?next="))
        finally:
            browser.close()

    done = exception(sqlite_db, "unmapped_sku")
    assert (done.status, done.resolved_by) == ("resolved", "alice")
    assert done.resolved_at >= started
    assert done.resolution.startswith("alice asked to plan GNOME on order #1003 again")
    closed = exception(sqlite_db, "no_stock")
    assert (closed.status, closed.resolved_by, closed.resolution) == (
        "resolved",
        "alice",
        "ordered by phone <ok>",
    )
    assert closed.resolved_at >= started
    with sqlite_db.read() as conn:
        line = conn.execute(
            select(t.order_lines.c.status).where(t.order_lines.c.id == done.order_line_id)
        ).scalar_one()
        retried = conn.execute(
            select(t.events.c.message, t.events.c.at).where(t.events.c.kind == "exception.retry")
        ).one()
    assert line == "allocated"
    assert retried.message == "alice asked to plan GNOME on order #1003 again"
    assert retried.at >= started
    answered = exception(sqlite_db, "send_in_doubt")
    assert (answered.status, answered.resolved_by) == ("resolved", "alice")
    assert answered.resolved_at >= started
    assert (
        answered.resolution == f"{number} arrived at the supplier (reference BL-5521), said alice"
    )
