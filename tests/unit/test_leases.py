"""Lease owners: this host, a pid and its start time, so a dead owner is known at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tandem.connector import leases


def finished_pid() -> int:
    """The pid of a process that has run and ended (nothing runs under it now)."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def test_an_owner_names_this_host_this_process_and_when_it_started() -> None:
    host, pid, start = leases.owner().split(":")
    assert host == leases.host_name() and pid == str(os.getpid())
    assert start == leases.process_start(os.getpid()) and start.isdigit()


def test_an_owner_fits_the_lease_column_whatever_the_host_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(leases.socket, "gethostname", lambda: "h" * 253)
    assert len(leases.owner(4_194_304)) <= 100
    assert len(leases.host_name()) == leases.HOST_MAX


def test_a_running_process_of_this_host_is_alive() -> None:
    assert not leases.is_dead(leases.owner())
    assert not leases.is_dead(leases.owner(os.getppid()))


def test_an_owner_whose_process_ended_is_dead() -> None:
    pid = finished_pid()
    assert leases.is_dead(f"{leases.host_name()}:{pid}:12345")
    assert leases.is_dead(f"{leases.host_name()}:{pid}")  # an owner named before start times


def test_a_pid_given_to_another_process_since_is_a_dead_owner() -> None:
    # A restarted container runs Tandem as pid 1 again: same pid, another start time.
    start = int(leases.process_start(os.getpid()) or 0)
    assert leases.is_dead(f"{leases.host_name()}:{os.getpid()}:{start + 1}")


def test_owners_elsewhere_or_not_owners_at_all_are_never_declared_dead() -> None:
    pid = finished_pid()
    assert not leases.is_dead(f"another-host:{pid}:1")
    for name in ("w1", "dead-worker", f"{leases.host_name()}:x", f"{leases.host_name()}:0"):
        assert not leases.is_dead(name)


def test_without_proc_a_gone_pid_is_dead_and_a_running_one_alive(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(leases, "_PROC", tmp_path / "no-proc")
    assert leases.owner() == f"{leases.host_name()}:{os.getpid()}"
    assert leases.is_dead(f"{leases.host_name()}:{finished_pid()}")
    assert not leases.is_dead(f"{leases.host_name()}:{os.getpid()}")
