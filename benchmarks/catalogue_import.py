"""Catalogue import throughput: a 500,000-row supplier CSV into a fresh database, then again.

Writes a realistic feed (store SKUs with leading zeros, supplier SKUs, names, costs with two
decimals, currency, stock, lead time, pack size) to a temp dir, then imports it twice with the
real `import_catalogue`: first into empty tables, then over the 500k offers the first import
left (the replace a nightly feed does). Each import runs in a child process of its own, so the
peak RSS printed is the import's alone (interpreter, polars and the database driver included)
and not the generator's.

Then the whole `tandem catalogue import` command is timed from outside, as /usr/bin/time
would: wall time and peak RSS of the process (start-up included), and the import's own time
the command prints, for a first import into empty tables, a feed with 1 % of its rows changed
and an unchanged feed, each `--runs` times (median, min – max). `--tandem` names another
command to time the same way (an older checkout, say).

    .venv/bin/python benchmarks/catalogue_import.py [--rows N] [--runs 3] [--postgres URL]
        [--profile] [--tandem COMMAND]

Targets on a 2-core machine: under 10 s and under 500 MB for 500,000 rows in the process; the
whole command under 3 s and 400 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

SUPPLIER = "acme"
TARGET_SECONDS = 10.0  # for 500,000 rows on 2 cores
TARGET_MB = 500.0
COMMAND_SECONDS = 3.0  # the whole `tandem catalogue import`, start-up included
COMMAND_MB = 400.0
CHANGED_EVERY = 100  # the changed feed: every 100th row's stock moved by one
HEADER = "Item No,Our SKU,Description,Unit Cost,Currency,Qty Available,Lead Days,Pack\n"
ADJECTIVES = ("steel", "oak", "ash", "long", "short", "heavy", "light", "green", "galvanised")
NOUNS = ("garden spade", "rake", "hoe", "trowel", "pruning shears", "gloves", "hose reel")


def write_feed(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        chunk: list[str] = []
        for i in range(rows):
            words = rng.choices(ADJECTIVES, k=rng.randint(1, 3))
            name = f"{' '.join(words)} {rng.choice(NOUNS)} {rng.randint(1, 999)}".capitalize()
            if i % 50 == 0:
                name = f'"{name}, {rng.choice(NOUNS)} (pack)"'  # a quoted cell with a comma
            stock = "" if i % 7 == 0 else str(rng.randint(0, 500))
            chunk.append(
                f"AC-{i:08d},{i:07d},{name},{rng.randint(50, 250_000) / 100:.2f},"
                f"{'EUR' if i % 10 == 0 else 'USD'},{stock},{rng.randint(1, 30)},"
                f"{rng.choice((1, 1, 1, 2, 6, 12))}\n"
            )
            if len(chunk) == 10_000:
                out.writelines(chunk)
                chunk.clear()
        out.writelines(chunk)


def config_data(database_url: str) -> dict[str, Any]:
    return {
        "database_url": database_url,
        "suppliers": [
            {
                "id": SUPPLIER,
                "name": "Acme",
                "catalogue": {
                    "columns": {
                        "supplier_sku": "Item No",
                        "sku": "Our SKU",
                        "name": "Description",
                        "cost": "Unit Cost",
                        "currency": "Currency",
                        "stock": "Qty Available",
                        "lead_time_days": "Lead Days",
                        "pack_size": "Pack",
                    }
                },
            }
        ],
    }


def child(database_url: str, feed: Path, profile: bool) -> None:
    """One import, timed; prints a JSON line with the figures."""
    from tandem.connector.catalogue import import_catalogue
    from tandem.connector.configuration.model import TandemConfig
    from tandem.connector.store import open_database

    config = TandemConfig.model_validate(config_data(database_url))
    db = open_database(database_url)
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    report = import_catalogue(db, config, SUPPLIER, feed)
    seconds = time.perf_counter() - started
    if profile:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    db.dispose()
    print(
        json.dumps(
            {
                "rows": report.rows_imported,
                "rejected": report.rows_rejected,
                "seconds": seconds,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def run_import(database_url: str, feed: Path, profile: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", database_url, str(feed)]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"import failed (exit code {done.returncode})")
    if profile:
        sys.stderr.write(done.stderr)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def reset_postgres(url: str) -> None:
    from sqlalchemy import text

    from tandem.connector.store import Database

    db = Database(url)
    with db.write() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()


def report(label: str, figures: dict[str, Any], expected: int) -> None:
    rate = figures["rows"] / figures["seconds"] if figures["seconds"] else 0.0
    within = figures["seconds"] < TARGET_SECONDS and figures["peak_mb"] < TARGET_MB
    print(
        f"{label:<24} {figures['rows']:>9,} rows  {figures['seconds']:6.2f} s"
        f"  {rate:>10,.0f} rows/s  peak {figures['peak_mb']:5.0f} MB"
        f"  {'within target' if within else 'MISSES the target'}",
        flush=True,
    )
    if figures["rows"] != expected or figures["rejected"]:
        raise SystemExit(f"expected {expected:,} offers, got {figures}")


def changed_feed(feed: Path, target: Path) -> None:
    """`feed` with the stock of every CHANGED_EVERY-th row one higher (an empty one becomes 1)."""
    with feed.open(encoding="utf-8", newline="") as src, target.open("w", newline="") as out:
        out.write(next(src))
        for number, line in enumerate(src, start=1):
            if number % CHANGED_EVERY:
                out.write(line)
                continue
            head, stock, lead, pack = line.rsplit(",", 3)
            out.write(f"{head},{int(stock or 0) + 1},{lead},{pack}")


def run_command(
    tandem: list[str], config: Path, feed: Path, expected: int | None = None
) -> dict[str, float]:
    """`tandem catalogue import` as a process of its own: wall time, peak RSS (its rusage) and
    the import's own seconds from the summary line it prints."""
    command = [*tandem, "catalogue", "import", "--config", str(config), "--supplier", SUPPLIER]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        wide = os.environ | {"COLUMNS": "1000"}  # the summary on one line
        child = subprocess.Popen([*command, str(feed)], stdout=out, stderr=err, env=wide)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        said, errors = out.read(), err.read()
    found = re.search(r"([\d,]+) offer\(s\) imported .* in\s+([\d.]+)\s+s", said, re.DOTALL)
    if child.returncode != 0 or found is None:
        sys.stderr.write(said + errors)
        raise SystemExit(f"{' '.join(command)} failed (exit code {child.returncode})")
    if expected is not None and int(found[1].replace(",", "")) != expected:
        raise SystemExit(f"expected {expected:,} offers, the command said: {said.strip()}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "own": float(found[2])}


def figure(values: Sequence[float], unit: str, digits: int) -> str:
    return (
        f"median {statistics.median(values):.{digits}f} {unit}"
        f" (min {min(values):.{digits}f} – max {max(values):.{digits}f})"
    )


def time_command(tandem: list[str], folder: Path, feed: Path, rows: int, runs: int) -> None:
    """Each case `runs` times, each run against a database of its own made for it."""
    changed = folder / "acme-changed.csv"
    changed_feed(feed, changed)
    cases: dict[str, list[dict[str, float]]] = {"first import": [], "changed 1%": []}
    cases["unchanged"] = []
    for run in range(runs):
        config = folder / f"run{run}.yaml"
        database = folder / f"run{run}.db"
        config.write_text(yaml.safe_dump(config_data(f"sqlite:///{database}")))
        cases["first import"].append(run_command(tandem, config, feed, rows))
        cases["unchanged"].append(run_command(tandem, config, feed, rows))
        cases["changed 1%"].append(run_command(tandem, config, changed, rows))
        for path in folder.glob(f"run{run}.db*"):
            path.unlink()
    print(f"`{shlex.join(tandem)} catalogue import`, {runs} run(s) each, from outside:")
    for name, figures in cases.items():
        walls = [f["seconds"] for f in figures]
        peaks = [f["peak_mb"] for f in figures]
        within = max(walls) < COMMAND_SECONDS and max(peaks) < COMMAND_MB
        print(
            f"  command {name:<13} wall {figure(walls, 's', 2)}  peak {figure(peaks, 'MB', 0)}"
            f"  import alone {figure([f['own'] for f in figures], 's', 1)}"
            f"  {'within target' if within else 'MISSES the target'}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each timed command")
    parser.add_argument(
        "--postgres", metavar="URL", help="also import into this PostgreSQL (its schema is reset)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile each import")
    parser.add_argument(
        "--tandem",
        metavar="COMMAND",
        default=shlex.join([sys.executable, "-m", "tandem.connector"]),
        help="the command timed from outside (default: this checkout's)",
    )
    parser.add_argument("--child", nargs=2, metavar=("URL", "FEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.profile)
        return

    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        folder = Path(tmp)
        feed = folder / "acme.csv"
        started = time.perf_counter()
        write_feed(feed, args.rows)
        print(
            f"feed: {args.rows:,} rows, {feed.stat().st_size / 2**20:.1f} MB,"
            f" written in {time.perf_counter() - started:.1f} s (not counted)",
            flush=True,
        )
        targets = [("sqlite", f"sqlite:///{folder / 'tandem.db'}")]
        if args.postgres:
            reset_postgres(args.postgres)
            targets.append(("postgresql", args.postgres))
        for name, url in targets:
            report(f"{name} first import", run_import(url, feed, args.profile), args.rows)
            report(f"{name} replace", run_import(url, feed, args.profile), args.rows)
        if args.runs:
            time_command(shlex.split(args.tandem), folder, feed, args.rows, args.runs)


if __name__ == "__main__":
    main()
