"""Crash recovery: `tandem run` SIGKILLed 20 times while 1,000 orders arrive by webhook and poll.

The Shopify stand-in takes the orders (most drop-ship, so about one PO and one email per order;
some back-to-back, consolidated) and a feeder thread posts each one's signed `orders/create`
webhook to Tandem; deliveries while Tandem is down fail, and the poll finds those orders, as
Shopify's retries would. The suppliers take email at a real SMTP server (aiosmtpd) in this
process, which records every message. `tandem run` runs as a subprocess and is killed with
SIGKILL 1-4 s (seeded) after each start, then restarted at once. After the last kill it runs
until every PO has gone out (or `--timeout`), then stops with SIGTERM. Printed, from Tandem's
database and the SMTP server:

- lost lines: order lines of the shop neither fully allocated to PO lines nor in an open
  exception;
- doubled units: units allocated beyond a line's quantity, and units emailed (every copy
  counted) beyond what the shop's orders ask for; PO revisions emailed more than once;
  Message-IDs received more than once;
- POs in doubt at the end (held for a person, or flagged in doubt), split by whether the
  message was marked transmitting when its process was killed (read from the database
  between each kill and the restart: reclaiming clears the mark) and whether it reached the
  SMTP server; and what was in flight at the kills (claimed, and claimed and transmitting);
- recovery: for each restart, seconds from the restart until every PO message that was
  waiting at the kill was sent (median and min-max; a message that ended held for a person
  is counted among the POs in doubt instead); and the final drain after the last one.

    .venv/bin/python benchmarks/crash_recovery.py [--orders 1000] [--kills 20] [--rate 10]
        [--seed 7] [--timeout 600] [--database-url URL] [--keep] [--check]

Targets: 0 lost, 0 doubled, 0 duplicate Message-IDs, 0 in doubt before transmission, recovery
under 30 s; `--check` exits 1 when one is missed or the final drain did not end. A
`--database-url` must name an empty database.
"""

from __future__ import annotations

import argparse
import csv
import email
import email.policy
import io
import logging
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine, create_engine, func, select
from starlette.requests import ClientDisconnect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import tandem_process  # noqa: E402
from tandem.connector.store import schema as t  # noqa: E402
from tandem_shopify_standin import ShopifyStandin  # noqa: E402

TANDEM = Path(sys.executable).parent / "tandem"
SECRET = "whsec-crash-bench"
DROP_SHIP = ("ROSE", "TULIP", "LILY", "FERN")  # Bloom, drop-ship: one PO per customer
BACK_TO_BACK = ("SPADE", "FORK", "RAKE", "HOE")  # Acme, back-to-back: consolidated
PO_KINDS = ("po.send", "po.change")
WAITING = ("pending", "in_progress")  # held waits for a person, not for the next run
SETTLED = ("done", "withdrawn")
Line = tuple[str, str]  # (order GID, line item GID)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def span(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"median {statistics.median(values):.1f} s ({min(values):.1f}-{max(values):.1f} s)"


# -- the supplier's mail server -------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    at: float
    message_id: str
    po: str
    revision: int
    kind: str
    units: dict[str, int]  # store SKU -> quantity, from the CSV attachment


@dataclass
class Inbox:
    """An aiosmtpd handler keeping what every accepted message says about its PO."""

    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        units: Counter[str] = Counter()
        for part in message.iter_attachments():
            if (part.get_filename() or "").endswith(".csv"):
                for row in csv.DictReader(io.StringIO(str(part.get_content()))):
                    units[row["sku"]] += int(row["quantity"])
        received = Received(
            at=time.time(),
            message_id=str(message["Message-ID"]),
            po=str(message["X-Tandem-PO"]),
            revision=int(str(message["X-Tandem-Revision"] or 1)),
            kind=str(message["X-Tandem-Kind"]),
            units=dict(units),
        )
        with self.lock:
            self.messages.append(received)
        return "250 2.0.0 queued"

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.messages)


def not_a_disconnect(record: logging.LogRecord) -> bool:
    """A killed Tandem drops its requests to the stand-in half-way: no traceback for those."""
    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, ClientDisconnect)


# -- the shop and its customers -------------------------------------------------------------


@dataclass(eq=False)
class Feeder:
    """Adds `count` orders to the stand-in at `rate` per second, in a thread, and posts each
    one's webhook (from a small pool, so a Tandem that is down does not hold the orders up)."""

    shop: ShopifyStandin
    webhook_url: str
    count: int
    rate: float
    seed: int
    lines: dict[Line, tuple[str, int]] = field(default_factory=dict)  # -> (SKU, quantity)
    delivered: int = 0
    undelivered: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._feed, name="feeder", daemon=True)
        self._thread.start()

    def join(self) -> None:
        assert self._thread is not None
        self._thread.join()

    def _feed(self) -> None:
        rng = random.Random(self.seed)
        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            for n in range(self.count):
                time.sleep(max(0.0, began + n / self.rate - time.monotonic()))
                order_id, skus = self._add_order(n, rng)
                for line_id, (sku, quantity) in zip(
                    self.shop.line_item_ids(order_id), skus, strict=True
                ):
                    self.lines[(order_id, line_id)] = (sku, quantity)
                pool.submit(self._deliver, order_id)

    def _add_order(self, n: int, rng: random.Random) -> tuple[str, list[tuple[str, int]]]:
        if rng.random() < 0.8:
            skus = rng.sample(DROP_SHIP, rng.randint(1, 2))
        else:
            skus = [rng.choice(BACK_TO_BACK), *rng.sample(DROP_SHIP, rng.randint(0, 1))]
        lines = [(sku, rng.randint(1, 3)) for sku in skus]
        first, last = f"Customer{n}", "Bench"
        order_id = self.shop.add_order(
            lines,
            customer={"first_name": first, "last_name": last, "email": f"c{n}@example.com"},
            shipping_address={"firstName": first, "lastName": last, "address1": f"{n} Long Road"},
        )
        return order_id, lines

    def _deliver(self, order_id: str) -> None:
        body, headers = self.shop.webhook_request(
            "orders/create", self.shop.order_payload(order_id), SECRET
        )
        try:
            ok = httpx.post(self.webhook_url, content=body, headers=headers, timeout=5).is_success
        except httpx.HTTPError:
            ok = False
        with self._lock:
            if ok:
                self.delivered += 1
            else:
                self.undelivered += 1


def write_setup(folder: Path, shop: ShopifyStandin, smtp_port: int, database_url: str) -> Path:
    for supplier, skus in (("acme", BACK_TO_BACK), ("bloom", DROP_SHIP)):
        rows = [f"{s},{supplier[:2].upper()}-{s},{s.title()},5.00,1000000" for s in skus]
        (folder / f"{supplier}.csv").write_text(
            "sku,supplier_sku,name,cost,stock\n" + "\n".join(rows) + "\n"
        )

    def supplier_data(sid: str, mode: str) -> dict[str, Any]:
        return {
            "id": sid,
            "name": sid.title(),
            "mode": mode,
            "release": {"immediate": True},
            "catalogue": {"path": f"{sid}.csv"},
            "transport": {"type": "email", "to": f"orders@{sid}.example", "attach_pdf": False},
        }

    data = {
        "database_url": database_url,
        "currency": "USD",
        "store": {
            "platform": "shopify",
            "shop_url": shop.url,
            "access_token": shop.token,
            "webhook_secret": SECRET,
            "first_poll_lookback": "1d",
            # The stand-in's search index does not lag; a short overlap keeps each 1 s poll
            # from re-reading every order of the run.
            "poll_overlap": "30s",
        },
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "Purchasing <po@bench.example>"},
        "rules": {"default_mode": "back_to_back"},
        "suppliers": [supplier_data("acme", "back_to_back"), supplier_data("bloom", "drop_ship")],
        "daemon": {
            "intervals": {
                "poll_orders": "1s",
                "plan": "1s",
                "dispatch": "1s",
                **dict.fromkeys(("supplier_status", "stock_push", "catalogues"), "1h"),
                "reconcile": "1h",
            }
        },
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


# -- tandem run -----------------------------------------------------------------------------


@dataclass
class Daemon:
    config: Path
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    start_seconds: list[float] = field(default_factory=list)

    def start(self) -> float:
        """Start `tandem run` and wait for any HTTP answer (/healthz may say 503); the moment
        it was started."""
        began = time.time()
        command = [str(TANDEM), "run", "--config", str(self.config), "--port", str(self.port)]
        self.process = tandem_process.start([*command, "--json-logs"], self.port, self.log)
        self.start_seconds.append(time.time() - began)
        return began

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> int:
        assert self.process is not None
        return tandem_process.stop(self.process)

    def tail(self) -> str:
        return tandem_process.tail(self.log)


# -- what Tandem's database says ------------------------------------------------------------


@dataclass(frozen=True)
class Restart:
    at: float  # when the new process was started
    waiting: frozenset[int]  # PO messages (outbox ids) not yet sent when the last one was killed
    claimed: frozenset[int]  # of those, claimed by the killed process, not yet transmitting
    transmitting: frozenset[int]  # claimed by it and marked transmitting


def waiting_messages(db: Engine) -> frozenset[int]:
    o = t.outbox
    with db.connect() as conn:
        rows = conn.execute(
            select(o.c.id).where(o.c.kind.in_(PO_KINDS), o.c.status.in_(WAITING))
        ).scalars()
        return frozenset(rows)


def in_flight(db: Engine) -> tuple[frozenset[int], frozenset[int]]:
    """PO messages leased now: (not yet marked transmitting, marked transmitting). Read
    between a kill and the restart, before the next claim reclaims them and clears the mark."""
    o = t.outbox
    with db.connect() as conn:
        rows = conn.execute(
            select(o.c.id, o.c.transmitting_at.is_not(None)).where(
                o.c.kind.in_(PO_KINDS), o.c.status == "in_progress"
            )
        ).all()
    return (
        frozenset(i for i, marked in rows if not marked),
        frozenset(i for i, marked in rows if marked),
    )


def line_coverage(db: Engine) -> dict[Line, tuple[int, int, bool]]:
    """(order GID, line GID) -> (quantity, units allocated to PO lines, in an open exception)."""
    ol, o, a, x = t.order_lines, t.orders, t.allocations, t.exceptions
    allocated = (
        select(a.c.order_line_id, func.sum(a.c.quantity).label("units"))
        .where(a.c.po_line_id.is_not(None))
        .group_by(a.c.order_line_id)
        .subquery()
    )
    with db.connect() as conn:
        open_lines = set(
            conn.execute(select(x.c.order_line_id).where(x.c.status == "open")).scalars()
        )
        open_orders = set(
            conn.execute(
                select(x.c.order_id).where(x.c.status == "open", x.c.order_line_id.is_(None))
            ).scalars()
        )
        rows = conn.execute(
            select(
                o.c.external_id, ol.c.external_id, ol.c.id, o.c.id, ol.c.quantity, allocated.c.units
            )
            .join(o, o.c.id == ol.c.order_id)
            .outerjoin(allocated, allocated.c.order_line_id == ol.c.id)
        ).all()
    return {
        (order, line): (qty, int(units or 0), line_pk in open_lines or order_pk in open_orders)
        for order, line, line_pk, order_pk, qty, units in rows
    }


def drained(db: Engine, lines: dict[Line, tuple[str, int]]) -> bool:
    """Every line of the shop covered or excepted, no PO draft, no PO message waiting."""
    coverage = line_coverage(db)
    for key, (_, quantity) in lines.items():
        stored = coverage.get(key)
        if stored is None or (stored[1] < quantity and not stored[2]):
            return False
    with db.connect() as conn:
        po = t.purchase_orders
        drafts = conn.execute(
            select(func.count()).select_from(po).where(po.c.status == "draft")
        ).scalar_one()
    return drafts == 0 and not waiting_messages(db)


@dataclass(frozen=True)
class Message:
    id: int
    po: str
    revision: int
    status: str
    in_doubt: bool
    completed_at: float | None


def po_messages(db: Engine) -> dict[int, Message]:
    o, po = t.outbox, t.purchase_orders
    columns = [o.c.id, po.c.number, o.c.payload, o.c.status, o.c.in_doubt, o.c.completed_at]
    with db.connect() as conn:
        rows = conn.execute(
            select(*columns).join(po, po.c.id == o.c.po_id).where(o.c.kind.in_(PO_KINDS))
        ).all()
    return {
        row[0]: Message(
            id=row[0],
            po=str(row[1]),
            revision=int((row[2] or {}).get("revision") or 1),
            status=row[3],
            in_doubt=bool(row[4]),
            completed_at=row[5].timestamp() if row[5] is not None else None,
        )
        for row in rows
    }


# -- the run and its figures ----------------------------------------------------------------


def chaos(daemon: Daemon, db: Engine, kills: int, seed: int) -> list[Restart]:
    """Kill and restart `kills` times, 1-4 s after each start answers."""
    rng = random.Random(seed)
    restarts = []
    for _ in range(kills):
        time.sleep(rng.uniform(1, 4))
        daemon.kill()
        waiting = waiting_messages(db)
        claimed, transmitting = in_flight(db)
        restarts.append(Restart(daemon.start(), waiting, claimed, transmitting))
    return restarts


@dataclass
class Figures:
    lines: int = 0
    units: int = 0
    lost: int = 0
    excepted: int = 0
    allocated_beyond: int = 0
    emailed_beyond: int = 0
    repeated: int = 0
    duplicate_ids: int = 0
    in_doubt: int = 0
    held: int = 0
    doubt_before: int = 0  # never reached the SMTP server, not transmitting at a kill
    doubt_started: int = 0  # transmitting at a kill, nothing arrived
    doubt_arrived: int = 0  # reached the SMTP server
    killed_claimed: int = 0  # PO messages claimed, not yet transmitting, at a kill
    killed_claimed_in_doubt: int = 0  # of those, in doubt at the end (target 0)
    killed_transmitting: int = 0  # PO messages transmitting at a kill
    waiting: int = 0
    dead: int = 0
    pos: Counter[str] = field(default_factory=Counter)
    po_messages: int = 0
    emails: int = 0
    revisions_emailed: int = 0
    exceptions: dict[str, int] = field(default_factory=dict)
    recoveries: list[float] = field(default_factory=list)
    handed_back: list[float] = field(default_factory=list)  # claimed at a kill -> sent
    unrecovered: int = 0
    nothing_waiting: int = 0


def count_lines(figures: Figures, db: Engine, feeder: Feeder, received: list[Received]) -> None:
    """Lost lines and doubled units: the shop's lines against Tandem's allocations and
    against the units the supplier's inbox was asked for."""
    coverage = line_coverage(db)
    ordered: Counter[str] = Counter()
    for key, (sku, quantity) in feeder.lines.items():
        figures.lines += 1
        figures.units += quantity
        ordered[sku] += quantity
        stored = coverage.get(key)
        if stored is None:
            figures.lost += 1
            continue
        _, allocated, excepted = stored
        figures.excepted += excepted
        figures.lost += allocated < quantity and not excepted
        figures.allocated_beyond += max(0, allocated - quantity)
    emailed: Counter[str] = Counter()
    for m in received:
        if m.kind == "order":
            emailed.update(m.units)
    figures.emailed_beyond = sum(max(0, emailed[sku] - ordered[sku]) for sku in emailed)


def count_messages(
    figures: Figures, db: Engine, received: list[Received], restarts: list[Restart]
) -> None:
    """Copies at the SMTP server, POs in doubt or not sent, recovery after each restart."""
    messages = po_messages(db)
    copies = Counter((m.po, m.revision) for m in received)
    figures.po_messages, figures.emails, figures.revisions_emailed = (
        len(messages),
        len(received),
        len(copies),
    )
    figures.repeated = sum(n - 1 for n in copies.values() if n > 1)
    ids = Counter(m.message_id for m in received)
    figures.duplicate_ids = sum(n - 1 for n in ids.values() if n > 1)
    transmitting = frozenset().union(*(r.transmitting for r in restarts))
    claimed = frozenset().union(*(r.claimed for r in restarts)) - transmitting
    figures.killed_claimed, figures.killed_transmitting = len(claimed), len(transmitting)
    for m in messages.values():
        figures.waiting += m.status in WAITING
        figures.dead += m.status == "dead"
        if not (m.status == "held" or (m.in_doubt and m.status not in SETTLED)):
            continue
        figures.in_doubt += 1
        figures.held += m.status == "held"
        figures.killed_claimed_in_doubt += m.id in claimed
        if (m.po, m.revision) in copies:
            figures.doubt_arrived += 1
        elif m.id in transmitting:
            figures.doubt_started += 1
        else:
            figures.doubt_before += 1
    # A message a killed process had claimed, from the first restart after it to its sending
    # (a process killed before its first claim leaves it claimed for the next kill to see).
    first_restart: dict[int, float] = {}
    for restart in restarts:
        for i in restart.claimed:
            first_restart.setdefault(i, restart.at)
    for i, at in first_restart.items():
        back = messages.get(i)
        if i in transmitting or back is None or back.status not in SETTLED:
            continue
        figures.handed_back.append(max(0.0, (back.completed_at or at) - at))
    for restart in restarts:
        if not restart.waiting:
            figures.nothing_waiting += 1
            continue
        those = [messages[i] for i in restart.waiting if i in messages]
        # A message stopped for a person (held in doubt, failed) is counted above, not here.
        if any(m.status in WAITING for m in those):
            figures.unrecovered += 1
            continue
        sent = [m.completed_at or restart.at for m in those if m.status in SETTLED]
        if not sent:
            figures.nothing_waiting += 1
            continue
        figures.recoveries.append(max(0.0, max(sent) - restart.at))


def measure(db: Engine, inbox: Inbox, feeder: Feeder, restarts: list[Restart]) -> Figures:
    figures = Figures()
    received = inbox.snapshot()
    count_lines(figures, db, feeder, received)
    count_messages(figures, db, received, restarts)
    po, x = t.purchase_orders, t.exceptions
    with db.connect() as conn:
        for mode, n in conn.execute(select(po.c.mode, func.count()).group_by(po.c.mode)):
            figures.pos[str(mode)] = int(n)
        kinds = select(x.c.kind, func.count()).where(x.c.status == "open").group_by(x.c.kind)
        figures.exceptions = {str(kind): int(n) for kind, n in conn.execute(kinds)}
    return figures


def report(
    f: Figures,
    feeder: Feeder,
    starts: list[float],
    kills: int,
    drain: float | None,
    args: argparse.Namespace,
) -> None:
    print(
        f"orders: {args.orders:,} ({f.lines:,} lines, {f.units:,} units) at {args.rate:g}/s;"
        f" webhooks answered: {feeder.delivered:,}, not delivered (left to the poll):"
        f" {feeder.undelivered:,}"
    )
    print(
        f"kills: {kills} SIGKILLs 1-4 s after each start (seed {args.seed});"
        f" start to first HTTP answer {span(starts)}"
    )
    print(
        f"POs: {f.pos.total():,} ({f.pos['drop_ship']:,} drop-ship,"
        f" {f.pos['back_to_back']:,} back-to-back); PO messages: {f.po_messages:,};"
        f" emails received: {f.emails:,} for {f.revisions_emailed:,} PO revisions"
    )
    print(f"lost lines: {f.lost} (of {f.lines:,}; {f.excepted} in open exceptions)")
    print(
        f"doubled units: {f.allocated_beyond + f.emailed_beyond}"
        f" (allocated beyond a line's quantity: {f.allocated_beyond};"
        f" emailed beyond the shop's orders, every copy counted: {f.emailed_beyond})"
    )
    print(f"PO revisions emailed more than once: {f.repeated}")
    print(f"duplicate Message-IDs at the SMTP server: {f.duplicate_ids}")
    print(f"POs in doubt: {f.in_doubt} (held for a person: {f.held})")
    print(f"POs in doubt before transmission: {f.doubt_before}")
    print(
        f"POs in doubt after transmission started: {f.doubt_started + f.doubt_arrived}"
        f" (reached the SMTP server: {f.doubt_arrived})"
    )
    print(
        f"PO messages in flight at the kills: {f.killed_claimed} claimed, not yet transmitting"
        f" ({f.killed_claimed_in_doubt} of them in doubt at the end);"
        f" {f.killed_transmitting} transmitting"
    )
    print(f"PO messages not sent at the end: {f.waiting} waiting, {f.dead} failed")
    print(
        f"recovery after a restart (to every PO message waiting at the kill sent, held ones"
        f" aside): {span(f.recoveries)} over {len(f.recoveries)} restarts with POs waiting;"
        f" {f.unrecovered} never recovered; {f.nothing_waiting} had nothing waiting"
    )
    print(
        "messages the killed process had claimed, restart to sent:"
        f" {span(f.handed_back)} over {len(f.handed_back)} messages (a lease is 5 min)"
    )
    drained_text = f"{drain:.1f} s" if drain is not None else f"not within {args.timeout:g} s"
    print(f"final drain (last restart to every PO sent): {drained_text}")
    print(f"open exceptions: {f.exceptions or 'none'}")
    print(
        "targets: 0 lost, 0 doubled, 0 duplicate Message-IDs, 0 in doubt before transmission,"
        " recovery under 30 s"
    )


def missed(f: Figures, drain: float | None) -> list[str]:
    """The targets the run missed (for `--check`)."""
    doubled = f.allocated_beyond + f.emailed_beyond + f.repeated
    checks = {
        "lost lines": f.lost,
        "doubled units or PO revisions": doubled,
        "duplicate Message-IDs": f.duplicate_ids,
        "in doubt before transmission": f.doubt_before + f.killed_claimed_in_doubt,
        "recoveries of 30 s or more": sum(r >= 30 for r in f.recoveries),
        "final drain not done": int(drain is None),
    }
    return [f"{name}: {n}" for name, n in checks.items() if n]


def run(args: argparse.Namespace, folder: Path) -> list[str]:
    """The whole run; the targets it missed."""
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    shop = ShopifyStandin().start()
    logging.getLogger("uvicorn.error").addFilter(not_a_disconnect)  # after uvicorn's set-up
    db: Engine | None = None
    daemon: Daemon | None = None
    try:
        for sku in DROP_SHIP + BACK_TO_BACK:
            shop.add_variant(sku)
        url = args.database_url or f"sqlite:///{folder / 'tandem.db'}"
        config = write_setup(folder, shop, smtp.port, url)
        for supplier in ("acme", "bloom"):  # before the first start: no line planned unlisted
            subprocess.run(
                [
                    str(TANDEM),
                    "catalogue",
                    "import",
                    "--supplier",
                    supplier,
                    "--config",
                    str(config),
                ],
                check=True,
                capture_output=True,
            )
        db = create_engine(url)
        daemon = Daemon(config, free_port(), folder / "tandem.log")
        daemon.start()
        feeder = Feeder(
            shop,
            f"http://127.0.0.1:{daemon.port}/webhooks/shopify",
            args.orders,
            args.rate,
            args.seed,
        )
        feeder.start()
        restarts = chaos(daemon, db, args.kills, args.seed)
        feeder.join()
        last = restarts[-1].at if restarts else time.time()
        deadline = time.monotonic() + args.timeout
        drain: float | None = None
        while time.monotonic() < deadline:
            if drained(db, feeder.lines):
                drain = time.time() - last
                break
            time.sleep(0.5)
        code = daemon.stop()
        if code != 0:
            print(f"tandem run exited with {code} on SIGTERM")
        figures = measure(db, inbox, feeder, restarts)
        report(figures, feeder, daemon.start_seconds, len(restarts), drain, args)
        return missed(figures, drain)
    finally:
        if daemon is not None and daemon.process is not None:
            daemon.kill()
        if db is not None:
            db.dispose()
        shop.stop()
        smtp.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--rate", type=float, default=10.0, help="orders per second")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the final drain")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (log, database)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tandem-crash-"))
    began = time.monotonic()
    try:
        failures = run(args, folder)
    finally:
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"took {time.monotonic() - began:.0f} s")
    if failures:
        print("targets missed: " + "; ".join(failures))
        if args.check:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
