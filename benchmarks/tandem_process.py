"""Tandem as a subprocess for the benchmarks: started, waited for until it answers over HTTP,
stopped with SIGTERM (killed when it does not stop)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

START_SECONDS = 60


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def start(
    args: list[str], port: int, log: Path, *, healthy: bool = False
) -> subprocess.Popen[bytes]:
    """Run `args` (its output appended to `log`) until /healthz on `port` answers: with 200
    when `healthy`, with anything otherwise (a 503 says a job fails, not that it is down)."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    what = " ".join([Path(args[0]).name, *args[1:2]])  # "tandem run", for the messages
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}\n{tail(log)}")
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            if answer.status_code == 200 or not healthy:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{what} did not answer within {START_SECONDS} s\n{tail(log)}")


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """SIGTERM, and the exit code; -9 when it had to be killed after `timeout` seconds."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return -9
