"""Hostile input: oversized, slow and nested webhooks, a login storm and bomb files.

A real `tandem run` (SQLite in a temp folder, or `--database-url`) is started against the local
Shopify stand-in, with one dashboard user, one supplier and a mail server in this process (the
one order of the run is sent, so no failing check turns /healthz to 503). A watchdog kills the
daemon past 3 GB of RSS. While a thread asks GET /healthz every 0.2 s
(recording each answer and how long it took), the daemon is sent, one after the other:

1. four unsigned 100 MB POSTs to /webhooks/shopify at once, streamed in chunks of 64 KB with
   `Transfer-Encoding: chunked`, then four more at once with a `Content-Length`;
2. 300 connections (raw sockets) whose headers promise a body, each sending one byte of it
   every 5 s; how long the server holds each one, and what it answers; then (2b) 150, under
   the default `daemon.max_connections` of 200;
3. a signed `orders/create` webhook whose JSON nests 100,000 levels;
4. signed webhooks with an X-Shopify-Webhook-Id, X-Shopify-Topic or X-Shopify-Shop-Domain of
   1,000 characters (longer than its column on PostgreSQL);
5. 60 wrong dashboard logins in parallel, from one session (CSRF token and cookie from
   GET /login), counting 401 and 429; then the real user's login, from the same address and
   from another (127.0.0.2).

Then, with the daemon stopped, one-shot commands, each with a timeout and a 2 GB address-space
limit (`RLIMIT_AS`) so a regression cannot take the machine down; peak RSS is the child's own
(`os.wait4`):

6. `tandem config check` of a 1 KB YAML alias bomb;
7. `tandem catalogue import` of a CSV with one 300 MB field and of an XLSX whose sheet inflates
   to ~800 MB (repeated cells, deflated).

(The limit is set by a small Python trampoline that then `exec`s `tandem`, rather than in a
`preexec_fn`, which is unsafe in this threaded process.)

Printed: per attack what was sent, the answers (status counts) and the time held; overall the
daemon's peak memory (VmHWM of `tandem run`, from /proc), whether /healthz kept answering
(longest gap between successful answers, polls without a 200), the count of 5xx answers, and
each one-shot command's peak RSS, exit code and first line of its error. The 5xx count says
apart the 503s that uvicorn gives past `daemon.max_connections` in attack 2 (load shed by
design, but a 5xx all the same: they stay in the target).

    .venv/bin/python benchmarks/hostile.py [--quick] [--database-url URL] [--keep] [--check]

`--quick` shrinks everything for the smoke test (10 MB bodies, 30 slow connections, small
bombs; also a 3 s `daemon.body_timeout`, the cheapest accepted password hash, and the one-shot
commands run at once): about 25 s. Targets: daemon peak under 300 MB, health always
answering (every poll a 200 within 2 s), 0 5xx; `--check` exits 1 when one is missed. A
`--database-url` must name an empty database.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import tandem_process  # noqa: E402
from tandem.connector.web.dashboard.passwords import ITERATIONS, hash_password  # noqa: E402
from tandem_shopify_standin import ShopifyStandin  # noqa: E402
from tandem_shopify_standin.webhooks import sign  # noqa: E402

TANDEM = Path(sys.executable).parent / "tandem"
SECRET = "whsec-hostile-bench"
USER, PASSWORD = "owner", "the-right-password"
MB = 1024 * 1024
ONE_SHOT_MEMORY = 2 * 1024 * MB  # RLIMIT_AS of each one-shot command
DAEMON_KILL_RSS = 3 * 1024 * MB  # the watchdog stops `tandem run` past this
HEALTH_EVERY = 0.2
HEALTH_TIMEOUT = 2.0
TARGET_PEAK_MB = 300


@dataclass(frozen=True)
class Sizes:
    body_mb: int
    slow_connections: int
    slow_hold_cap: float  # stop watching a slow connection after this long
    nesting: int
    logins: int
    alias_levels: int  # 9 ** levels leaves in the YAML bomb
    csv_field_mb: int
    xlsx_inflated_mb: int
    # Quick only, to keep the smoke test short: a shorter daemon.body_timeout than the
    # default 10 s, and the cheapest password hash the dashboard accepts.
    body_timeout: str | None = None
    hash_iterations: int = ITERATIONS
    slow_under_limit: int | None = None  # also this many slow connections (attack 2b)


FULL = Sizes(100, 300, 60.0, 100_000, 60, 9, 300, 800, slow_under_limit=150)
QUICK = Sizes(10, 30, 15.0, 100_000, 60, 7, 5, 5, body_timeout="3s", hash_iterations=200_000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a live process, in bytes (empty once it is gone)."""
    found: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return found
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found


def mb(n: float) -> str:
    return f"{n / MB:,.0f} MB"


def counts(statuses: Counter[str]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())) or "none"


def is_5xx(status: str) -> bool:
    return status[:3].isdigit() and status.startswith("5")


# -- /healthz, every 0.2 s ------------------------------------------------------------------


@dataclass(frozen=True)
class Poll:
    at: float  # monotonic, when asked
    status: str  # "200", "503", or what went wrong ("timeout", "ConnectError")
    seconds: float


@dataclass(eq=False)
class Health:
    """Asks GET /healthz every 0.2 s in a thread; also keeps the daemon's VmHWM, and stops
    the daemon if its RSS passes `DAEMON_KILL_RSS` (so the machine survives a regression)."""

    port: int
    pid: int
    polls: list[Poll] = field(default_factory=list)
    peak: int = 0
    killed_at_rss: int | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="healthz", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def memory(self) -> dict[str, int]:
        status = proc_status(self.pid)
        self.peak = max(self.peak, status.get("VmHWM", 0))
        return status

    def _run(self) -> None:
        url = f"http://127.0.0.1:{self.port}/healthz"
        with httpx.Client(timeout=HEALTH_TIMEOUT) as client:
            while not self._stop.is_set():
                began = time.monotonic()
                try:
                    status = why(client.get(url))
                except httpx.TimeoutException:
                    status = "timeout"
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                self.polls.append(Poll(began, status, time.monotonic() - began))
                rss = self.memory().get("VmRSS", 0)
                if rss > DAEMON_KILL_RSS and self.killed_at_rss is None:
                    self.killed_at_rss = rss
                    os.kill(self.pid, signal.SIGKILL)
                self._stop.wait(max(0.0, began + HEALTH_EVERY - time.monotonic()))

    def between(self, began: float, ended: float) -> list[Poll]:
        return [p for p in self.polls if began <= p.at <= ended]


def why(response: httpx.Response) -> str:
    """The status code; for a 503 from /healthz itself, the checks it names as failing."""
    status = str(response.status_code)
    if status == "200":
        return status
    try:
        body = response.json()
    except ValueError:
        return status
    failing = body.get("failing") if isinstance(body, dict) else None
    if failing:
        names = failing if isinstance(failing, list) else list(failing)
        return f"{status} (failing: {', '.join(map(str, names))})"
    if isinstance(body, dict) and body.get("database") not in (None, "ok"):
        return f"{status} (database: {body['database']})"
    return status


def longest_gap(polls: list[Poll], began: float, ended: float) -> float:
    """The longest time without a 200, from `began` to `ended` (monotonic)."""
    last, gap = began, 0.0
    for p in polls:
        if p.status == "200":
            gap = max(gap, p.at + p.seconds - last)
            last = p.at + p.seconds
    return max(gap, ended - last)


def health_line(polls: list[Poll], began: float, ended: float) -> str:
    bad = Counter(p.status for p in polls if p.status != "200")
    latency = [p.seconds for p in polls if p.status == "200"]
    median = f"{statistics.median(latency) * 1000:.0f} ms" if latency else "n/a"
    worst = f"{max(latency) * 1000:.0f} ms" if latency else "n/a"
    return (
        f"{len(polls)} polls, {len(polls) - sum(bad.values())} answered 200"
        f" (latency median {median}, max {worst}); not 200: {counts(bad)};"
        f" longest gap between 200s {longest_gap(polls, began, ended):.1f} s"
    )


# -- the attacks ----------------------------------------------------------------------------


@dataclass
class Attack:
    name: str
    sent: str
    answers: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    began: float = 0.0
    ended: float = 0.0
    rss_after: int = 0
    hwm_after: int = 0


def read_status(sock: socket.socket, deadline: float) -> str:
    """The status code of the answer on `sock`, or why there is none."""
    data = b""
    while b"\r\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "no answer (timeout)"
        sock.settimeout(remaining)
        try:
            piece = sock.recv(4096)
        except TimeoutError:
            return "no answer (timeout)"
        except OSError as exc:
            return f"no answer ({type(exc).__name__})"
        if not piece:
            return "closed without an answer" if not data else "garbled answer"
        data += piece
    match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return match.group(1).decode() if match else "garbled answer"


def stream_post(port: int, path: str, size: int, chunked: bool) -> tuple[str, int, float]:
    """POST `size` bytes to `path` in 64 KB pieces, stopping as soon as the server answers;
    (status, body bytes sent, seconds)."""
    began = time.monotonic()
    piece = b"x" * (64 * 1024)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Shopify-Topic: orders/create\r\nX-Shopify-Webhook-Id: big-{time.time_ns()}\r\n"
        f"X-Shopify-Shop-Domain: tandem-test.myshopify.com\r\n{framing}\r\n\r\n"
    ).encode()
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        try:
            sock.sendall(head)
            while sent < size:
                if select.select([sock], [], [], 0)[0]:
                    break  # an answer (or a close) before the body is done
                data = piece[: size - sent]
                sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                sent += len(data)
            else:
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # refused half-way: the answer, if any, is still readable
        status = read_status(sock, time.monotonic() + 120)
    return status, sent, time.monotonic() - began


def big_bodies(port: int, sizes: Sizes) -> Attack:
    size = sizes.body_mb * MB
    attack = Attack(
        "1. oversized unsigned webhooks",
        f"4 x {sizes.body_mb} MB at once, chunked; then 4 x {sizes.body_mb} MB at once with"
        " Content-Length",
    )
    for chunked in (True, False):
        with ThreadPoolExecutor(max_workers=4) as pool:
            done = list(
                pool.map(
                    stream_post,
                    [port] * 4,
                    ["/webhooks/shopify"] * 4,
                    [size] * 4,
                    [chunked] * 4,
                )
            )
        kind = "chunked" if chunked else "Content-Length"
        for status, _, _ in done:
            attack.answers[status] += 1
        attack.notes.append(
            f"{kind}: answers {counts(Counter(s for s, _, _ in done))}; body sent before the"
            f" answer {', '.join(mb(n) for _, n, _ in done)}; answered after"
            f" {', '.join(f'{t:.1f}' for _, _, t in done)} s"
        )
    return attack


@dataclass(eq=False)
class Slow:
    """One slow connection: when it opened, what the server sent, when the server closed it."""

    sock: socket.socket
    opened: float
    answer: bytes = b""
    closed_after: float | None = None

    def read(self) -> None:
        try:
            data = self.sock.recv(4096)
        except OSError:
            data = b""
        self.answer += data
        if not data:
            self.closed_after = time.monotonic() - self.opened

    def trickle(self) -> None:
        try:
            self.sock.send(b" ")
        except OSError:
            self.closed_after = time.monotonic() - self.opened

    def status(self) -> str:
        match = re.match(rb"HTTP/1\.[01] (\d{3})", self.answer)
        still = "" if self.closed_after is not None else " (still open)"
        if match:
            return match.group(1).decode() + still
        return "still open, no answer" if still else "closed without an answer"


SLOW_HEAD = (
    b"POST /webhooks/shopify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100000\r\n\r\n{"
)


def slow_bodies(port: int, sizes: Sizes, count: int, name: str = "2. slow bodies") -> Attack:
    attack = Attack(
        name,
        f"{count} connections, POST /webhooks/shopify promising 100,000 bytes,"
        f" one byte every 5 s (watched for at most {sizes.slow_hold_cap:.0f} s; daemon.body_timeout"
        f" {sizes.body_timeout or 'default'})",
    )
    slow: list[Slow] = []
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(SLOW_HEAD)
        except OSError as exc:
            attack.answers[f"connect failed ({type(exc).__name__})"] += 1
            continue
        sock.setblocking(False)
        slow.append(Slow(sock, time.monotonic()))
    began = min((s.opened for s in slow), default=time.monotonic())
    stop_at = began + sizes.slow_hold_cap
    next_byte = time.monotonic() + 5
    while (live := [s for s in slow if s.closed_after is None]) and time.monotonic() < stop_at:
        wait = max(0.0, min(next_byte, stop_at) - time.monotonic())
        readable = select.select([s.sock for s in live], [], [], wait)[0]
        for s in live:
            if s.sock in readable:
                s.read()
        if time.monotonic() >= next_byte:
            next_byte += 5
            for s in live:
                if s.closed_after is None:
                    s.trickle()
    now = time.monotonic()
    held: dict[str, list[float]] = {}
    for s in slow:
        status = s.status()
        attack.answers[status] += 1
        held.setdefault(status, []).append(
            s.closed_after if s.closed_after is not None else now - s.opened
        )
        s.sock.close()
    for status, times in sorted(held.items()):
        attack.notes.append(
            f"held until {status}: median {statistics.median(times):.1f} s,"
            f" min {min(times):.1f} s, max {max(times):.1f} s ({len(times)} connections)"
        )
    attack.notes.append(
        f"still open when we stopped watching: {sum(s.closed_after is None for s in slow)}"
    )
    return attack


def post_webhook(port: int, body: bytes, headers: dict[str, str]) -> str:
    try:
        response = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/shopify", content=body, headers=headers, timeout=30
        )
    except httpx.HTTPError as exc:
        return f"no answer ({type(exc).__name__})"
    return str(response.status_code)


def nested_json(port: int, shop: ShopifyStandin, sizes: Sizes) -> Attack:
    depth = sizes.nesting
    body = b'{"id":1,"x":' + b"[" * depth + b"]" * depth + b"}"
    _, headers = shop.webhook_request("orders/create", {}, SECRET)
    headers["X-Shopify-Hmac-Sha256"] = sign(body, SECRET)
    attack = Attack(
        "3. nested JSON",
        f"a signed orders/create webhook nesting {depth:,} levels ({mb(len(body))})",
    )
    attack.answers[post_webhook(port, body, headers)] += 1
    return attack


def long_headers(port: int, shop: ShopifyStandin, order_id: str) -> Attack:
    attack = Attack(
        "4. over-long headers",
        "signed orders/create webhooks (a real order) with a 1,000-character X-Shopify-Webhook-Id,"
        " X-Shopify-Topic or X-Shopify-Shop-Domain (columns: 100, 100, 255)",
    )
    payload = shop.order_payload(order_id)
    for name, value in (
        ("X-Shopify-Webhook-Id", "w" * 1000),
        ("X-Shopify-Topic", "orders/" + "c" * 993),
        ("X-Shopify-Shop-Domain", "s" * 982 + ".myshopify.com"),
    ):
        body, headers = shop.webhook_request("orders/create", payload, SECRET)
        headers[name] = value
        status = post_webhook(port, body, headers)
        attack.answers[status] += 1
        attack.notes.append(f"{name}: {status}")
    return attack


def logins(port: int, sizes: Sizes) -> Attack:
    attack = Attack(
        "5. login storm",
        f"{sizes.logins} wrong passwords for {USER!r} in parallel from one session and address;"
        " then the right one from that address and from another (127.0.0.2)",
    )
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=60) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        if token is None:
            attack.notes.append(f"GET /login gave {page.status_code} without a CSRF token")
            return attack
        # Sent as a header, so what each answer sets does not change the next request's.
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    limits = httpx.Limits(max_connections=sizes.logins, max_keepalive_connections=0)
    form = {"csrf": token.group(1), "username": USER, "next": "/"}

    def attempt(c: httpx.Client, password: str) -> str:
        try:
            response = c.post(
                "/login", data={**form, "password": password}, headers={"Cookie": cookie}
            )
        except httpx.HTTPError as exc:
            return f"no answer ({type(exc).__name__})"
        return str(response.status_code)

    with httpx.Client(base_url=base, timeout=60, limits=limits) as client:
        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=sizes.logins) as pool:
            wrong = [f"wrong-{i}" for i in range(sizes.logins)]
            for status in pool.map(lambda p: attempt(client, p), wrong):
                attack.answers[status] += 1
        attack.notes.append(f"all answered in {time.monotonic() - began:.1f} s")
        owner = attempt(client, PASSWORD)
    logged_in = {True: "logged in", False: "not logged in"}
    attack.notes.append(
        f"then the right password from the same address: {owner}"
        f" ({logged_in[owner in ('302', '303')]})"
    )
    elsewhere = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=base, timeout=60, transport=elsewhere) as client:
        owner = attempt(client, PASSWORD)
    attack.notes.append(
        f"then the right password from another address: {owner}"
        f" ({logged_in[owner in ('302', '303')]})"
    )
    return attack


# -- the one-shot commands ------------------------------------------------------------------


@dataclass(frozen=True)
class OneShot:
    name: str
    sent: str
    code: int | None  # None: killed at the timeout
    peak: int  # bytes
    seconds: float
    error: str


# Sets the address-space limit and becomes the command (the same process, so `os.wait4` sees
# its peak): thread-safe, unlike a `preexec_fn` in this threaded process.
LIMITED = (
    "import os, resource, sys; limit = int(sys.argv[1]);"
    " resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); os.execv(sys.argv[2], sys.argv[2:])"
)


def first_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "(nothing on stderr)"
    if lines[0].startswith("Traceback"):
        return f"{lines[0]} ... {lines[-1]}"[:300]
    return lines[0][:300]


def one_shot(name: str, sent: str, args: list[str], folder: Path, timeout: float) -> OneShot:
    """Run `tandem *args` under `RLIMIT_AS`; its own peak RSS from `os.wait4`."""
    err_path = folder / f"{name.split('.', maxsplit=1)[0]}.err"
    began = time.monotonic()
    with err_path.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", LIMITED, str(ONE_SHOT_MEMORY), str(TANDEM), *args],
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "200"},
        )
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        os.kill(process.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, wait_status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    timed_out = killed.is_set()
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    seconds = time.monotonic() - began
    error = first_error(err_path.read_text(errors="replace"))
    if timed_out:
        error = f"killed after the {timeout:.0f} s timeout; {error}"
    code = None if timed_out else process.returncode
    return OneShot(name, sent, code, usage.ru_maxrss * 1024, seconds, error)


def alias_bomb(path: Path, levels: int) -> int:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    path.write_text("\n".join(lines) + "\n")
    return path.stat().st_size


def big_field_csv(path: Path, field_mb: int) -> None:
    with path.open("wb") as out:
        out.write(b"sku,supplier_sku,name,cost,stock\nROSE,BL-ROSE,")
        block = b"A" * MB
        for _ in range(field_mb):
            out.write(block)
        out.write(b",5.00,10\nTULIP,BL-TULIP,Tulip,5.00,10\n")


XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.'
        'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="'
        'application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml"'
        ' ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override'
        ' PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://'
        'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
        'http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
        ' Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1"'
        ' r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://'
        'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
        'http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
        ' Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def xlsx_bomb(path: Path, inflated_mb: int) -> int:
    """A workbook whose one sheet is `inflated_mb` of the same row, deflated; its row count."""

    def cell(text: str) -> str:
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'

    header = "<row>" + "".join(map(cell, ("sku", "supplier_sku", "name", "cost", "stock")))
    row = ("<row>" + cell("ROSE") + cell("BL-ROSE") + cell("Rose") + "<c><v>5</v></c>").encode()
    row += b"<c><v>10</v></c></row>"
    block = row * (MB // len(row))
    rows = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name, text in XLSX_PARTS.items():
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://'
                b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                + (header + "</row>").encode()
            )
            for _ in range(inflated_mb):
                sheet.write(block)
                rows += MB // len(row)
            sheet.write(b"</sheetData></worksheet>")
    return rows


def one_shots(
    config: Path, folder: Path, sizes: Sizes, timeout: float, parallel: bool
) -> list[OneShot]:
    """Build the bomb files, then run the commands (at once when `parallel`)."""
    bomb = folder / "bomb.yaml"
    size = alias_bomb(bomb, sizes.alias_levels)
    field_csv = folder / "big-field.csv"
    big_field_csv(field_csv, sizes.csv_field_mb)
    book = folder / "bomb.xlsx"
    rows = xlsx_bomb(book, sizes.xlsx_inflated_mb)
    importing = ["catalogue", "import", "--supplier", "bloom"]
    commands = [
        (
            "6. YAML alias bomb",
            f"`tandem config check` of {size:,} bytes, 9^{sizes.alias_levels} ="
            f" {9**sizes.alias_levels:,} leaves",
            ["config", "check", "--config", str(bomb)],
        ),
        (
            "7a. CSV with one huge field",
            f"`tandem catalogue import` of a CSV with one {sizes.csv_field_mb} MB field"
            f" ({mb(field_csv.stat().st_size)})",
            [*importing, str(field_csv), "--config", str(config)],
        ),
        (
            "7b. XLSX bomb",
            f"`tandem catalogue import` of an XLSX of {book.stat().st_size / 1024:,.0f} KB"
            f" whose sheet inflates to {sizes.xlsx_inflated_mb} MB ({rows:,} rows)",
            [*importing, str(book), "--config", str(config)],
        ),
    ]
    with ThreadPoolExecutor(max_workers=len(commands) if parallel else 1) as pool:
        return list(pool.map(lambda c: one_shot(c[0], c[1], c[2], folder, timeout), commands))


# -- tandem run -----------------------------------------------------------------------------


class Sink:
    """The supplier's mail server: takes every message (the run's one PO) and keeps nothing."""

    received = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received += 1
        return "250 2.0.0 queued"


def write_setup(
    folder: Path, shop: ShopifyStandin, smtp_port: int, database_url: str, sizes: Sizes
) -> Path:
    (folder / "bloom.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nROSE,BL-ROSE,Rose,5.00,1000\n"
    )
    data: dict[str, Any] = {
        "database_url": database_url,
        "currency": "USD",
        "store": {
            "platform": "shopify",
            "shop_url": shop.url,
            "access_token": shop.token,
            "webhook_secret": SECRET,
            "first_poll_lookback": "1d",
        },
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "po@bench.example"},
        "suppliers": [
            {
                "id": "bloom",
                "name": "Bloom",
                "mode": "drop_ship",
                "catalogue": {"path": "bloom.csv"},
                "transport": {"type": "email", "to": "orders@bloom.example"},
            }
        ],
        "dashboard": {
            "users": [
                {
                    "name": USER,
                    "password_hash": hash_password(PASSWORD, iterations=sizes.hash_iterations),
                }
            ],
            "secret_key": "hostile-bench-secret-key-0123456789",
        },
        "daemon": {
            "intervals": dict.fromkeys(
                (
                    "poll_orders",
                    "plan",
                    "dispatch",
                    "supplier_status",
                    "stock_push",
                    "catalogues",
                    "reconcile",
                ),
                "1h",
            )
        },
    }
    if sizes.body_timeout:
        data["daemon"]["body_timeout"] = sizes.body_timeout
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def start_daemon(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [str(TANDEM), "run", "--config", str(config), "--port", str(port), "--json-logs"]
    return tandem_process.start(command, port, log, healthy=True)


def log_errors(log: Path) -> Counter[str]:
    """Error lines of the daemon's JSON log, by message; tracebacks counted too."""
    found: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if line.startswith("Traceback"):
                found["(traceback)"] += 1
            continue
        if isinstance(record, dict) and str(record.get("level", "")).lower() in (
            "error",
            "critical",
        ):
            found[str(record.get("event") or record.get("message") or "?")[:80]] += 1
    return found


# -- the run and its figures ----------------------------------------------------------------


@dataclass
class Results:
    attacks: list[Attack]
    health: Health
    began: float
    ended: float
    daemon_code: int
    daemon_alive: bool
    errors: Counter[str]
    start_hwm: int
    shots: list[OneShot] = field(default_factory=list)


def attacks(
    port: int, shop: ShopifyStandin, order_id: str, sizes: Sizes, health: Health
) -> Iterator[Attack]:
    steps: list[Callable[[], Attack]] = [
        lambda: big_bodies(port, sizes),
        lambda: slow_bodies(port, sizes, sizes.slow_connections),
        lambda: nested_json(port, shop, sizes),
        lambda: long_headers(port, shop, order_id),
        lambda: logins(port, sizes),
    ]
    if sizes.slow_under_limit:
        # Past the connection limit uvicorn may refuse them all at once; fewer show the
        # time a connection is held.
        under = sizes.slow_under_limit
        steps.insert(2, lambda: slow_bodies(port, sizes, under, "2b. slow bodies, fewer"))
    for step in steps:
        began = time.monotonic()
        attack = step()
        attack.began, attack.ended = began, time.monotonic()
        memory = health.memory()
        attack.rss_after, attack.hwm_after = memory.get("VmRSS", 0), memory.get("VmHWM", 0)
        yield attack
        time.sleep(0.5)  # let health polls land between attacks


def run(args: argparse.Namespace, folder: Path) -> Results:
    sizes = QUICK if args.quick else FULL
    smtp = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    shop = ShopifyStandin().start()
    process: subprocess.Popen[bytes] | None = None
    try:
        shop.add_variant("ROSE")
        order_id = shop.add_order(
            [("ROSE", 1)],
            customer={"first_name": "Ada", "last_name": "Bench", "email": "ada@example.com"},
        )
        url = args.database_url or f"sqlite:///{folder / 'tandem.db'}"
        config = write_setup(folder, shop, smtp.port, url, sizes)
        port, log = free_port(), folder / "tandem.log"
        process = start_daemon(config, port, log)
        health = Health(port, process.pid)
        start_hwm = health.memory().get("VmHWM", 0)
        health.start()
        began = time.monotonic()
        done = []
        for attack in attacks(port, shop, order_id, sizes, health):
            done.append(attack)
            print(f"  ... {attack.name} done", file=sys.stderr, flush=True)
        ended = time.monotonic()
        health.stop()
        health.memory()
        alive = process.poll() is None
        code = tandem_process.stop(process)
        results = Results(done, health, began, ended, code, alive, log_errors(log), start_hwm)
        if args.keep:
            shutil.copy(log, folder / "tandem-run.log")
        timeout = 60.0 if args.quick else 300.0
        # Quick: the three at once, to keep the smoke test short.
        results.shots = one_shots(config, folder, sizes, timeout, parallel=args.quick)
        return results
    finally:
        if process is not None and process.poll() is None:
            process.kill()
        shop.stop()
        smtp.stop()


def report(r: Results, args: argparse.Namespace) -> list[str]:
    """Print the figures; the targets missed."""
    print(f"hostile input against tandem run ({'quick' if args.quick else 'full size'})")
    print(f"daemon memory at start: {mb(r.start_hwm)} (VmHWM)")
    for a in r.attacks:
        print(f"{a.name}: sent {a.sent}")
        print(f"  answers: {counts(a.answers)}")
        for note in a.notes:
            print(f"  {note}")
        print(
            f"  took {a.ended - a.began:.1f} s; daemon after it: RSS {mb(a.rss_after)},"
            f" VmHWM {mb(a.hwm_after)}"
        )
        during = health_line(r.health.between(a.began, a.ended), a.began, a.ended)
        print(f"  /healthz during it: {during}")
    polls = r.health.polls
    not_200 = sum(p.status != "200" for p in polls)
    fives = sum(n for a in r.attacks for s, n in a.answers.items() if is_5xx(s))
    # uvicorn's answer past daemon.max_connections: load shed, not an error; counted apart.
    shed = sum(
        n for a in r.attacks if a.name.startswith("2") for s, n in a.answers.items() if s == "503"
    )
    health_5xx = sum(is_5xx(p.status) for p in polls)
    gap = longest_gap(polls, r.began, r.ended)
    peak = r.health.peak
    print("overall:")
    print(
        f"  daemon peak memory (VmHWM): {mb(peak)} (target under {TARGET_PEAK_MB} MB)"
        + (
            f"; STOPPED by the watchdog at RSS {mb(r.health.killed_at_rss)}"
            if r.health.killed_at_rss
            else ""
        )
    )
    print(f"  /healthz: {health_line(polls, r.began, r.ended)}")
    print(
        f"  /healthz kept answering: {'yes' if not_200 == 0 else 'no'} (target: every poll a"
        f" 200 within {HEALTH_TIMEOUT:g} s)"
    )
    print(
        f"  5xx answers to the attacks: {fives} ({shed} of them 503 past the connection limit"
        f" in attack 2, {fives - shed} others); to /healthz: {health_5xx} (target 0)"
    )
    print(
        f"  tandem run still running after the attacks: {'yes' if r.daemon_alive else 'no'};"
        f" exit code on SIGTERM: {r.daemon_code}"
    )
    print(f"  error lines in the daemon's log: {counts(r.errors)}")
    for s in r.shots:
        code = "killed (timeout)" if s.code is None else str(s.code)
        print(f"{s.name}: {s.sent}")
        print(
            f"  peak RSS {mb(s.peak)} (limit {mb(ONE_SHOT_MEMORY)} of address space), exit code"
            f" {code}, {s.seconds:.1f} s"
        )
        print(f"  first line of its error: {s.error}")
    print("targets: daemon peak under 300 MB, health always answering, 0 5xx")
    missed = []
    if peak >= TARGET_PEAK_MB * MB or r.health.killed_at_rss:
        missed.append(f"daemon peak {mb(peak)}")
    if not_200:
        missed.append(f"/healthz not answering 200 {not_200} times (longest gap {gap:.1f} s)")
    if fives + health_5xx:
        missed.append(f"{fives + health_5xx} 5xx")
    if not r.daemon_alive:
        missed.append("tandem run died")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (the smoke test)")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (log, files)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tandem-hostile-"))
    began = time.monotonic()
    try:
        results = run(args, folder)
    finally:
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    missed = report(results, args)
    print(f"took {time.monotonic() - began:.0f} s")
    if missed:
        print("targets missed: " + "; ".join(missed))
        if args.check:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
