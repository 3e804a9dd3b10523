"""Running `tandem run` as a real subprocess in tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.suppliers.email.support import free_port

TANDEM = Path(sys.executable).parent / "tandem"


def start(config: Path, port: int, log: Path, *options: str) -> subprocess.Popen[bytes]:
    """`tandem run --json-logs` with `options` (e.g. "--log-level", "DEBUG"), once it answers."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [str(TANDEM), "run", "--config", str(config), "--port", str(port), "--json-logs"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, *options],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    wait_for(lambda: healthy(port), 30, f"tandem run on port {port} to answer /healthz", log)
    return process


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(check: Callable[[], bool], seconds: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def stop(process: subprocess.Popen[bytes], seconds: float = 30) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("tandem run did not stop within 30 s of SIGTERM") from None


__all__ = ["free_port", "start", "stop", "wait_for"]
