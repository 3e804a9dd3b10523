"""`tandem demo` as a user starts it: a subprocess on a free port with its own folder. Orders
stream in, POs land in its database and as emails in its mailbox folder, and Ctrl-C (SIGINT)
or SIGTERM ends it with exit code 0; Ctrl-C before it has started ends it with one line and
exit code 130. A port already in use is a one-line error."""

from __future__ import annotations

import re
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.integration.daemon_support import TANDEM, free_port, healthy, wait_for
from tests.web.support import csrf_of

pytestmark = pytest.mark.slow


def demo(folder: Path, port: int, out: Path) -> subprocess.Popen[bytes]:
    with out.open("wb") as sink:
        return subprocess.Popen(
            [
                str(TANDEM),
                "demo",
                "--folder",
                str(folder),
                "--port",
                str(port),
                "--every",
                "0.5",
                "--seed",
                "7",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def sent_pos(database: Path) -> list[str]:
    if not database.exists():
        return []
    with sqlite3.connect(database, timeout=10) as conn:
        rows = conn.execute(
            "SELECT number FROM purchase_orders WHERE status IN ('sent', 'acknowledged', 'shipped')"
        ).fetchall()
    return sorted(number for (number,) in rows)


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_demo_sends_pos_to_its_mailbox_and_stops_cleanly(
    tmp_path: Path, stop_with: signal.Signals
) -> None:
    folder, port, out = tmp_path / "demo", free_port(), tmp_path / "demo.out"
    mailbox = folder / "mailbox"
    process = demo(folder, port, out)
    try:
        wait_for(lambda: healthy(port), 60, "the demo's dashboard to answer", out)
        printed = out.read_text()
        assert f"http://127.0.0.1:{port}/" in printed
        assert str(mailbox) in printed
        wait_for(lambda: bool(sent_pos(folder / "tandem.db")), 60, "a PO sent", out)
        wait_for(lambda: any(mailbox.glob("*PO-*.eml")), 30, "a PO email in the mailbox", out)
        # The dashboard, with the user and password the demo printed, lists the POs sent.
        password = re.search(r"password (\S+?)\)", printed)
        assert password is not None, printed
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            form = browser.get("/login").text
            logged_in = browser.post(
                "/login",
                data={
                    "csrf": csrf_of(form),
                    "next": "/pos",
                    "username": "demo",
                    "password": password.group(1),
                },
                follow_redirects=True,
            )
            assert logged_in.status_code == 200
            assert sent_pos(folder / "tandem.db")[0] in logged_in.text
    finally:
        process.send_signal(stop_with)
        try:
            code = process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, out.read_text()[-3000:]
    # Files are named <time>-<Message-ID>.eml, e.g. 20261201T214859.704289Z-PO-00001.rev1.order.eml
    emailed = {p.name.split("-", 1)[1].split(".")[0] for p in mailbox.glob("*PO-*.eml")}
    assert set(sent_pos(folder / "tandem.db")) <= emailed  # every PO marked sent was emailed
    assert "Traceback" not in out.read_text()


def interrupt_once(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> int:
    """Send SIGINT as soon as `ready()` (checked every few milliseconds); the exit code."""
    deadline = time.monotonic() + 30
    while not ready():
        assert time.monotonic() < deadline and process.poll() is None, "never got ready"
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.mark.parametrize("when", ["loading", "starting"])
def test_ctrl_c_while_the_demo_starts_stops_it_with_one_line(tmp_path: Path, when: str) -> None:
    folder, out = tmp_path / "demo", tmp_path / "demo.out"
    began = time.monotonic()
    process = demo(folder, free_port(), out)
    if when == "loading":  # Python is still reading Tandem's modules
        code = interrupt_once(process, lambda: time.monotonic() - began > 0.3)
    else:  # the folder is made once the port is bound; the demo store starts next
        code = interrupt_once(process, folder.exists)
    printed = out.read_text()
    assert code == 130, printed
    assert "Traceback" not in printed
    assert printed.strip().splitlines()[-1] == "tandem: stopped by Ctrl-C"


def test_a_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(TANDEM), "demo", "--folder", str(tmp_path / "demo"), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip() == (
        f"error: port {port} on 127.0.0.1 is already in use; stop what uses it or choose"
        " another with --port"
    )
