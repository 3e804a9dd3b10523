"""The benchmark scripts run, on a small scale, and print the figures they promise.

Their numbers are read by people (see README); this only keeps the scripts working.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_catalogue_import_benchmark_prints_rows_per_second_and_peak_memory() -> None:
    out = run("catalogue_import.py", "--rows", "2000")
    assert "sqlite first import" in out and "rows/s" in out and "peak" in out


@pytest.mark.slow
def test_planner_benchmark_plans_and_a_full_replan_adds_nothing() -> None:
    out = run("planner.py", "--orders", "200", "--catalogue", "5000")
    assert "orders/s" in out and "peak RSS" in out
    assert "0 units added (must be 0)" in out


@pytest.mark.slow
def test_stock_push_benchmark_reports_calls_points_and_throttling() -> None:
    out = run("stock_push.py", "--variants", "600")
    measured = next(line for line in out.splitlines() if line.startswith("changed feed"))
    # 600 changed figures: one location look-up and three pushes of at most 250.
    assert "600 changed SKUs" in measured and " 4 calls" in measured
    assert " 0 throttled" in measured
