"""Who holds an outbox lease, and whether that process is still running.

A lease owner is `host:pid:start`: the host name, the process id and the process's start time
as the kernel counts it (clock ticks since boot, field 22 of `/proc/<pid>/stat`). The start
time tells a pid the kernel has since given to another process from the owner itself: a
container restarted by Docker runs Tandem as pid 1 again, with another start time. Where
there is no `/proc` the owner is `host:pid` and a running pid is taken for the owner.

`is_dead` is True only when it is certain: the owner is a process of this host (same host
name) that no longer runs. An owner of another host, or a name that is not an owner
(`w1` in a test), is never declared dead: its lease runs out instead. Processes that share
a host name must share one pid namespace — replicas in containers have host names of their
own (Docker's container id, a Kubernetes pod name), so give each replica its own name if
you set one by hand.

The whole fits the outbox's `lease_owner` column (100 characters): the host name is cut to
64 (Linux's HOST_NAME_MAX), the pid and start time take at most 28 more.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

HOST_MAX = 64
_PROC = Path("/proc")
_OWNER = re.compile(r"^(?P<host>[^:]+):(?P<pid>\d{1,10})(?::(?P<start>\d{1,20}))?$")


def host_name() -> str:
    """This host, as lease owners name it."""
    return (socket.gethostname() or "localhost").replace(":", "_")[:HOST_MAX]


def process_start(pid: int) -> str | None:
    """The start time of process `pid` (clock ticks since boot), or None when no such process
    runs or the system has no `/proc`."""
    try:
        stat = (_PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    fields = stat[stat.rfind(b")") + 2 :].split()
    return fields[19].decode() if len(fields) > 19 else None


def owner(pid: int | None = None) -> str:
    """The lease owner name of process `pid` (this process by default)."""
    pid = os.getpid() if pid is None else pid
    start = process_start(pid)
    return f"{host_name()}:{pid}" if start is None else f"{host_name()}:{pid}:{start}"


def is_dead(name: str) -> bool:
    """The owner `name` is a process of this host that is no longer running (its pid is gone,
    or now belongs to a process started at another time). False when it cannot be sure."""
    found = _OWNER.match(name)
    if found is None or found["host"] != host_name():
        return False
    pid, start = int(found["pid"]), found["start"]
    if pid <= 0:
        return False
    if _PROC.joinpath("self", "stat").exists():
        running = process_start(pid)
        if running is None:
            return True
        return start is not None and running != start
    return not _pid_runs(pid)


def _pid_runs(pid: int) -> bool:
    """Without `/proc`: signal 0 asks whether the pid exists, without touching it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it runs, as another user
        return True
    return True
