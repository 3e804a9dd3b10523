"""CLI start-up: how long `tandem` takes to answer commands that need little of Tandem.

Runs each command `--runs` times, each in a fresh process, against the example configuration
(config/tandem.yaml, its database in a temporary folder), and prints the median and min–max
wall time, and the median CPU time (user + system), which a loaded machine stretches less.
Then it imports the command line once under `python -X importtime` for `--help` and prints the
total import time, which depends less on the load than wall time does, and the packages that
take the most of it.

    .venv/bin/python benchmarks/cli_startup.py [--runs 5] [--top 12] [--check]

Target (issue 14): under 0.5 s for `tandem --help` and the commands that do not need the heavy
parts (polars, the PDF library, the web stack, the Shopify adapter). `--check` exits 1 when
the median of `--help` or `--version` misses it.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "tandem.yaml"
TARGET_SECONDS = 0.5
COMMANDS = (
    ("--help",),
    ("--version",),
    ("config", "check", "--config", str(CONFIG)),
    ("po", "list", "--config", str(CONFIG)),
)
CHECKED = (("--help",), ("--version",))
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def tandem() -> list[str]:
    """The installed `tandem` script beside this interpreter, else the module."""
    script = Path(sys.executable).parent / "tandem"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tandem.connector"]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu


def import_times(env: dict[str, str]) -> tuple[int, Counter[str]]:
    """Microseconds spent importing for `tandem --help`: in all, and by top-level package."""
    argv = [sys.executable, "-X", "importtime", "-m", "tandem.connector", "--help"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=True)
    by_package: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        if found := IMPORT_LINE.match(line):
            by_package[_package(found[4])] += int(found[1])
    return sum(by_package.values()), by_package


def _package(name: str) -> str:
    """`tandem.connector.cli.app` → `tandem.connector.cli`; `sqlalchemy.sql` → `sqlalchemy`."""
    parts = name.split(".")
    return ".".join(parts[:3]) if parts[0] == "tandem" else parts[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per command")
    parser.add_argument("--top", type=int, default=12, help="packages listed by import time")
    parser.add_argument("--check", action="store_true", help="exit 1 when --help misses 0.5 s")
    args = parser.parse_args()

    missed = []
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "TANDEM_DATABASE_URL": f"sqlite:///{Path(folder) / 'tandem.db'}",
            "TANDEM_DATA": folder,
            "COLUMNS": "100",
        }
        print(f"{'':<32} {'wall':>8} {'min–max':>13} {'cpu':>8}   ({args.runs} runs each)")
        for command in COMMANDS:
            argv = [*tandem(), *command]
            timed(argv, env)  # warm: the database made, the files in the page cache
            runs = [timed(argv, env) for _ in range(args.runs)]
            walls = [wall for wall, _ in runs]
            median = statistics.median(walls)
            cpu = statistics.median(cpu for _, cpu in runs)
            shown = " ".join(word if word != str(CONFIG) else "…" for word in command)
            span = f"{min(walls):.2f}–{max(walls):.2f} s"
            print(f"tandem {shown:<25} {median:>6.2f} s {span:>13} {cpu:>6.2f} s")
            if command in CHECKED and median >= TARGET_SECONDS:
                missed.append(f"tandem {shown}: median {median:.2f} s")
        total, by_package = import_times(env)
    print(f"\nimports for `tandem --help`: {total / 1000:.0f} ms in all (python -X importtime)")
    for package, micros in by_package.most_common(args.top):
        print(f"  {micros / 1000:>7.1f} ms  {package}")
    if args.check and missed:
        print(f"\nmissed {TARGET_SECONDS} s: {'; '.join(missed)}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
