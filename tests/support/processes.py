"""Processes for recovery tests: the lease owner name of a worker that was killed."""

from __future__ import annotations

import subprocess
import sys

from tandem.connector import leases


def dead_owner() -> str:
    """The lease owner name of a process of this host that has ended, as if SIGKILLed: its pid
    runs nothing now (and the start time recorded would not match what ran there later)."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return f"{leases.host_name()}:{child.pid}:4242"
