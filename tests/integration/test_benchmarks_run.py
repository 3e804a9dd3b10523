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
def test_growth_benchmark_plans_against_history_and_prints_the_ratios() -> None:
    out = run("growth.py", "--past", "400", "--catalogue", "3000", "--new", "5", "--runs", "2")
    assert "sqlite, 0 past orders" in out and "sqlite, 400 past orders" in out
    assert out.count("of empty") == 4 and "plan with nothing to do: median" in out


@pytest.mark.slow
def test_stock_push_benchmark_reports_calls_points_and_throttling() -> None:
    out = run("stock_push.py", "--variants", "600")
    measured = next(line for line in out.splitlines() if line.startswith("changed feed"))
    # 600 changed figures: one location look-up and three pushes of at most 250.
    assert "600 changed SKUs" in measured and " 4 calls" in measured
    assert " 0 throttled" in measured


@pytest.mark.slow
def test_crash_recovery_benchmark_loses_doubles_and_repeats_nothing() -> None:
    # 20 orders, `tandem run` SIGKILLed twice while they arrive: about 15 s.
    out = run("crash_recovery.py", "--orders", "20", "--kills", "2", "--rate", "5", "--check")
    said = {
        line.split(":", 1)[0]: line.split(":", 1)[1].strip()
        for line in out.splitlines()
        if ":" in line
    }
    assert said["lost lines"].startswith("0 (of ")
    assert said["doubled units"].startswith("0 (")
    assert said["PO revisions emailed more than once"] == "0"
    assert said["duplicate Message-IDs at the SMTP server"] == "0"
    assert said["POs in doubt before transmission"] == "0"
    assert said["PO messages not sent at the end"] == "0 waiting, 0 failed"
    assert said["final drain (last restart to every PO sent)"].endswith(" s")
    assert "2 SIGKILLs" in said["kills"]
    assert any(key.startswith("recovery after a restart") for key in said)
    assert "targets missed" not in said


@pytest.mark.slow
def test_feed_refresh_benchmark_makes_one_request_unchanged_and_writes_only_changes() -> None:
    out = run("feed_refresh.py", "--rows", "5000", "--runs", "2")
    assert "unchanged feed: requests median 1  (min 1 – max 1)" in out
    assert "offers written median 50  (min 50 – max 50)" in out
    assert "SKUs queued for stock push median 50  (min 50 – max 50)" in out


@pytest.mark.slow
def test_hostile_benchmark_quick_gives_no_5xx_and_health_keeps_answering() -> None:
    # Oversized, slow and nested webhooks, a login storm and bomb files, small: about 35 s.
    out = run("hostile.py", "--quick")
    said = {
        line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
        for line in out.splitlines()
        if ":" in line
    }
    assert said["5xx answers to the attacks"].startswith("0 (")
    assert "to /healthz: 0 (target 0)" in said["5xx answers to the attacks"]
    assert said["/healthz kept answering"].startswith("yes")
    assert said["tandem run still running after the attacks"].startswith("yes")
    assert "YAML alias bomb" in out and "XLSX bomb" in out
