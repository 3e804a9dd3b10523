"""Webhooks: how fast `tandem run` acknowledges Shopify's deliveries under load, and that each
one is stored exactly once.

In each run, on a fresh database: a Shopify stand-in (a process of its own) holds one order per
delivery; `tandem run` (or `tandem serve`) is started as a subprocess against it; then an
open-loop load generator sends signed `orders/create` deliveries (Shopify's canonical sample
payload, each with its own order and X-Shopify-Webhook-Id) to /webhooks/shopify at a fixed
rate for `--seconds`, whatever the answers, over up to `--connections` keep-alive connections
(an idle one is reused first in the order it was opened, as httpx does, so connections beyond
what the rate needs sit idle past the server's keep-alive timeout and are then reused). Tandem
meanwhile does the work those deliveries cause: the webhook job reads each order from the
stand-in and plans it, writing to the same database. `--command web` runs the web server
of `tandem run` alone (same socket, app and uvicorn settings, no jobs): the ack path by itself.
Printed per rate:

- ack latency, from the moment a delivery was due to the end of its answer: p50, p95, p99, max;
- errors by kind: reset (connection reset or broken pipe), closed (closed without an answer),
  timeout (no answer within Shopify's 5 s), refused (no connection), and non-2xx by status;
- stored: deliveries in the database afterwards, against those sent; every one answered 2xx
  must be there, once;
- sent late: p99 of how long after it was due each delivery was written (a connection taken
  or opened, the request handed to the socket), the load generator's own lag, which the ack
  latency includes; and the machine's CPUs' busy share while the deliveries arrived (near
  100 %: the figures are the machine's, not Tandem's alone);
- Tandem's CPU time per delivery (every thread of its process, its jobs' work included), and
  the bucket of its own webhook timing (`tandem_webhook_seconds` on /metrics: the request to
  the answer, the database write included) that holds every delivery.

    .venv/bin/python benchmarks/webhooks.py [--rate 50 200 500] [--seconds 20] [--runs 3]
        [--connections 50] [--command run|serve|web] [--database-url URL] [--check]

Target (issue 14): at 500 deliveries/s p99 under 10 ms, 0 errors, every delivery stored.
`--check` exits 1 when a run misses it (the latency target at 500/s and above). A
`--database-url` (PostgreSQL) is emptied before each run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import tandem_process  # noqa: E402
from benchmarks.catalogue_import import reset_postgres  # noqa: E402
from tandem_shopify_standin import ShopifyStandin  # noqa: E402
from tandem_shopify_standin.webhooks import webhook_request  # noqa: E402

TANDEM = Path(sys.executable).parent / "tandem"
SAMPLE = ROOT.parent / "shared" / "shopify" / "recorded" / "webhook__orders-create.json"
SECRET = "whsec-webhook-bench"
SHOPIFY_TIMEOUT = 5.0  # Shopify gives up on an answer after five seconds
TARGET_P99_MS = 10.0
TARGET_RATE = 500


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the shop -------------------------------------------------------------------------------


def shop_process(pipe: Connection, orders: int) -> None:
    """The Shopify stand-in with `orders` orders created long ago (so no poll reads them: only
    their webhooks bring them in); sends its details and the order ids, serves until told."""
    with ShopifyStandin() as shop:
        ids = [
            shop.add_order([("ROSE", 1)], created_at="2020-01-01T00:00:00Z") for _ in range(orders)
        ]
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)  # Tandem stopped mid-read
        pipe.send((shop.url, shop.token, shop.domain, shop.api_version, ids))
        pipe.recv()


@dataclass
class Shop:
    url: str
    token: str
    domain: str
    api_version: str
    orders: list[str]
    process: Any
    pipe: Connection

    @classmethod
    def start(cls, orders: int) -> Shop:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=shop_process, args=(theirs, orders), daemon=True)
        process.start()
        url, token, domain, api_version, ids = ours.recv()
        return cls(url, token, domain, api_version, ids, process, ours)

    def stop(self) -> None:
        self.pipe.send("stop")
        self.process.join(10)


def deliveries(shop: Shop) -> list[tuple[str, bytes]]:
    """(X-Shopify-Webhook-Id, the whole HTTP request) for each order: the canonical sample
    payload naming that order, signed with the webhook secret."""
    sample = json.loads(SAMPLE.read_text())
    requests = []
    for n, gid in enumerate(shop.orders):
        number = int(gid.rsplit("/", 1)[1])
        payload = {**sample, "id": number, "admin_graphql_api_id": gid, "name": f"#{n + 1001}"}
        webhook_id = str(uuid.uuid4())
        body, headers = webhook_request(
            "orders/create",
            payload,
            SECRET,
            domain=shop.domain,
            api_version=shop.api_version,
            webhook_id=webhook_id,
        )
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (
            f"POST /webhooks/shopify HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        requests.append((webhook_id, request))
    return requests


# -- Tandem ---------------------------------------------------------------------------------


def write_config(folder: Path, shop: Shop, database_url: str) -> Path:
    (folder / "bloom.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nROSE,BL-ROSE,Rose,2,1000000000\n"
    )
    data = {
        "database_url": database_url,
        "store": {
            "platform": "shopify",
            "shop_url": shop.url,
            "access_token": shop.token,
            "webhook_secret": SECRET,
            "first_poll_lookback": "1h",
        },
        "suppliers": [
            {
                "id": "bloom",
                "name": "Bloom",
                "mode": "drop_ship",
                "release": {"immediate": True},
                "catalogue": {"path": "bloom.csv"},
            }
        ],
        "daemon": {"shutdown_grace": "2s"},
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def serve_web(config_path: str, port: int) -> None:
    """The web server of `tandem run` alone, without its jobs (`--command web`): the same
    socket, app, uvicorn settings and process (`process.run`), each delivery only stored."""
    import uvicorn

    from tandem.connector.cli.common import get_config, get_database
    from tandem.connector.daemon import process
    from tandem.connector.daemon.http import server_config
    from tandem.connector.daemon.logs import setup_logging
    from tandem.connector.web import create_app

    setup_logging("INFO", json=True)
    config = get_config(Path(config_path))
    sock = process.listen("127.0.0.1", port)
    app = create_app(config, get_database(config))
    options = {"log_config": None, "lifespan": "off"}
    server = uvicorn.Server(server_config(app, config.daemon, "127.0.0.1", port, **options))

    async def web() -> process.Stopped:
        process.settle_heap()
        await server.serve([sock])
        return process.Stopped(0)

    process.run(web())


def start_tandem(command: str, config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`tandem run` / `tandem serve` (or the web server alone) as a subprocess, once it
    answers any HTTP request."""
    args = [str(TANDEM), command, "--config", str(config), "--port", str(port)]
    if command == "web":
        args = [sys.executable, __file__, "--serve-web", str(config), str(port)]
    return tandem_process.start(args + (["--json-logs"] if command == "run" else []), port, log)


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far (Linux)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


def handled_within(port: int) -> float:
    """The smallest bucket of Tandem's own webhook timing (tandem_webhook_seconds, from the
    request to the answer, the database write included) that holds every delivery."""
    page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    pattern = r'tandem_webhook_seconds_bucket\{le="([^"]+)"\} (\S+)'
    buckets = [(float(le), float(n)) for le, n in re.findall(pattern, page)]
    return next(le for le, n in buckets if n >= buckets[-1][1])


def stored_ids(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT webhook_id FROM webhook_deliveries")).scalars())
    engine.dispose()
    return ids


# -- the load -------------------------------------------------------------------------------


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, answered 2xx
    late: list[float] = field(default_factory=list)  # seconds from due to written, each
    errors: Counter[str] = field(default_factory=Counter)
    answered: set[str] = field(default_factory=set)  # webhook ids answered 2xx
    connections: int = 0  # opened
    idle_closed: int = 0  # found closed by the server while idle, before reuse


class Pool:
    """Keep-alive connections; an idle one is taken in the order it was opened."""

    def __init__(self, port: int, size: int, outcome: Outcome) -> None:
        self.port, self.size, self.outcome = port, size, outcome
        self.idle: asyncio.PriorityQueue[tuple[int, Any, Any]] = asyncio.PriorityQueue()
        self.open = 0

    async def take(self) -> tuple[int, asyncio.StreamReader, asyncio.StreamWriter]:
        while True:
            if self.idle.empty() and self.open < self.size:
                self.open += 1
                self.outcome.connections += 1
                seq = self.outcome.connections
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                except BaseException:
                    self.open -= 1
                    raise
                return seq, reader, writer
            seq, reader, writer = await self.idle.get()
            if not reader.at_eof():
                return seq, reader, writer
            self.outcome.idle_closed += 1  # the server's keep-alive timeout: not reused
            self.discard(writer)

    def give_back(self, seq: int, reader: asyncio.StreamReader, writer: Any) -> None:
        self.idle.put_nowait((seq, reader, writer))

    def discard(self, writer: asyncio.StreamWriter) -> None:
        self.open -= 1
        writer.close()


async def exchange(
    reader: asyncio.StreamReader, writer: Any, request: bytes, late: list[float], due: float
) -> tuple[int, bool]:
    """Send one request and read its answer: (status, whether the connection stays open)."""
    writer.write(request)
    late.append(time.perf_counter() - due)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    await reader.readexactly(int(fields.get("content-length", "0")))
    return status, fields.get("connection") != "close"


async def deliver(pool: Pool, webhook_id: str, request: bytes, due: float) -> None:
    outcome = pool.outcome
    try:
        seq, reader, writer = await pool.take()
    except OSError:
        outcome.errors["refused"] += 1
        return
    try:
        answer = exchange(reader, writer, request, outcome.late, due)
        status, keep = await asyncio.wait_for(answer, SHOPIFY_TIMEOUT)
    except (ConnectionResetError, BrokenPipeError):
        outcome.errors["reset"] += 1
    except asyncio.IncompleteReadError:
        outcome.errors["closed"] += 1
    except TimeoutError:
        outcome.errors["timeout"] += 1
    except (OSError, ValueError, IndexError) as exc:
        outcome.errors[type(exc).__name__] += 1
    else:
        if 200 <= status < 300:
            outcome.latencies.append(time.perf_counter() - due)
            outcome.answered.add(webhook_id)
        else:
            outcome.errors[f"HTTP {status}"] += 1
        if keep:
            pool.give_back(seq, reader, writer)
            return
    pool.discard(writer)


async def load(port: int, requests: list[tuple[str, bytes]], rate: float, size: int) -> Outcome:
    """Each delivery sent when it is due (open loop: answers or not), then every answer."""
    outcome = Outcome()
    pool = Pool(port, size, outcome)
    tasks = []
    began = time.perf_counter() + 0.05
    for n, (webhook_id, request) in enumerate(requests):
        due = began + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(deliver(pool, webhook_id, request, due)))
    await asyncio.gather(*tasks)
    while not pool.idle.empty():
        pool.discard(pool.idle.get_nowait()[2])
    return outcome


# -- one run, and the report ----------------------------------------------------------------


@dataclass
class Figures:
    rate: int
    sent: int
    p50: float
    p95: float
    p99: float
    max: float
    errors: Counter[str]
    stored: int
    duplicates: int
    answered_not_stored: int
    connections: int
    idle_closed: int
    cpu_ms: float  # Tandem's CPU time per delivery while they arrived
    late_p99: float  # ms: the load generator's lag in writing a delivery after it was due
    machine_busy: float  # share of the machine's CPU time busy while they arrived
    within: float  # seconds: Tandem's own timing of every delivery is within this bucket

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def run(args: argparse.Namespace, rate: int) -> Figures:
    count = int(rate * args.seconds)
    shop = Shop.start(count)
    try:
        requests = deliveries(shop)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            database_url = args.database_url or f"sqlite:///{folder / 'tandem.db'}"
            if args.database_url:
                reset_postgres(args.database_url)
            port = free_port()
            log = folder / "tandem.log"
            tandem = start_tandem(args.command, write_config(folder, shop, database_url), port, log)
            try:
                time.sleep(args.settle)  # the first run of every job comes at the start
                cpu, machine = cpu_seconds(tandem.pid), machine_cpu()
                outcome = asyncio.run(load(port, requests, rate, args.connections))
                cpu = cpu_seconds(tandem.pid) - cpu
                (busy_end, total_end), (busy_start, total_start) = machine_cpu(), machine
                within = handled_within(port)
            finally:
                tandem_process.stop(tandem, timeout=30)
            if args.keep:
                kept = ROOT / "build" / f"webhooks-{rate}.log"
                kept.parent.mkdir(exist_ok=True)
                kept.write_bytes(log.read_bytes())
            ids = stored_ids(database_url)
    finally:
        shop.stop()
    ordered = sorted(outcome.latencies)
    return Figures(
        rate=rate,
        sent=count,
        p50=percentile(ordered, 0.50),
        p95=percentile(ordered, 0.95),
        p99=percentile(ordered, 0.99),
        max=ordered[-1] * 1000 if ordered else float("nan"),
        errors=outcome.errors,
        stored=len(set(ids)),
        duplicates=len(ids) - len(set(ids)),
        answered_not_stored=len(outcome.answered - set(ids)),
        connections=outcome.connections,
        idle_closed=outcome.idle_closed,
        cpu_ms=cpu * 1000 / count,
        late_p99=percentile(sorted(outcome.late), 0.99),
        machine_busy=(busy_end - busy_start) / max(1, total_end - total_start),
        within=within,
    )


def errors_text(errors: Counter[str]) -> str:
    total = sum(errors.values())
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(errors.items()))
    return f"{total}" + (f" ({kinds})" if kinds else "")


def line(f: Figures) -> str:
    return (
        f"p50 {f.p50:.1f} ms, p95 {f.p95:.1f} ms, p99 {f.p99:.1f} ms, max {f.max:.1f} ms;"
        f" errors {errors_text(f.errors)}; stored {f.stored:,} of {f.sent:,}"
        f" (duplicates {f.duplicates}, answered but not stored {f.answered_not_stored});"
        f" {f.connections} connections opened, {f.idle_closed} closed idle by the server;"
        f" sent late p99 {f.late_p99:.1f} ms; machine CPU {f.machine_busy:.0%} busy;"
        f" Tandem CPU {f.cpu_ms:.1f} ms per delivery, each handled within {f.within:g} s"
    )


def spread(values: list[float], digits: int = 1, unit: str = " ms") -> str:
    return (
        f"{statistics.median(values):,.{digits}f}{unit}"
        f" ({min(values):,.{digits}f}-{max(values):,.{digits}f})"
    )


def missed(f: Figures) -> list[str]:
    problems = []
    if f.error_count:
        problems.append(f"{f.rate}/s: {f.error_count} errors")
    if f.stored != f.sent or f.duplicates or f.answered_not_stored:
        problems.append(f"{f.rate}/s: {f.stored} of {f.sent} stored")
    if f.rate >= TARGET_RATE and not f.p99 < TARGET_P99_MS:
        problems.append(f"{f.rate}/s: p99 {f.p99:.1f} ms")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--settle", type=float, default=5, help="seconds from start to load")
    parser.add_argument("--command", choices=("run", "serve", "web"), default="run")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep Tandem's log under build/")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--serve-web", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_web:
        serve_web(args.serve_web[0], int(args.serve_web[1]))
        return
    results: dict[int, list[Figures]] = {}
    for rate in args.rate:
        for number in range(1, args.runs + 1):
            figures = run(args, rate)
            results.setdefault(rate, []).append(figures)
            print(f"{rate}/s run {number}: {line(figures)}", flush=True)
    print(f"summary, median (min-max) over {args.runs} runs of {args.seconds:g} s:")
    for rate, runs in results.items():
        p50, p95 = spread([f.p50 for f in runs]), spread([f.p95 for f in runs])
        print(
            f"  {rate:>4}/s: p50 {p50}, p95 {p95},"
            f" p99 {spread([f.p99 for f in runs])}, max {spread([f.max for f in runs])};"
            f" errors {spread([f.error_count for f in runs], 0, '')}"
            f" [{errors_text(sum((f.errors for f in runs), Counter()))} in all];"
            f" stored {spread([f.stored for f in runs], 0, '')} of {runs[0].sent:,} each;"
            f" sent late p99 {spread([f.late_p99 for f in runs])};"
            f" machine CPU {spread([f.machine_busy * 100 for f in runs], 0, ' %')} busy;"
            f" Tandem CPU {spread([f.cpu_ms for f in runs], 1, ' ms')} per delivery;"
            f" every delivery handled within {max(f.within for f in runs):g} s by Tandem's timing"
        )
    problems = [p for runs in results.values() for f in runs for p in missed(f)]
    if args.check and problems:
        print("missed: " + "; ".join(problems))
        raise SystemExit(1)


if __name__ == "__main__":
    main()
