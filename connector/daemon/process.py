"""The operating-system process around the daemon: its listening socket, its event loop and an
exit that does not wait without bound.

`tandem run`, `tandem demo` and `tandem serve` bind their port before anything else starts, so a
port in use is one clear line instead of a traceback half-way through start-up.

After SIGTERM the daemon waits `daemon.shutdown_grace` for running jobs. A job still running
then is left behind: a coroutine is cancelled, but work handed to a thread (`asyncio.to_thread`:
a catalogue import, the planner) cannot be, and Python waits for such threads at exit with no
time limit. So when one is left behind the process ends with `os._exit`. Nothing is lost by
that: what the thread had not committed is rolled back by the database, as after a crash, and
an outbox lease it held runs out and is checked with the supplier before anything is resent.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import os
import socket
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from tandem.connector.errors import TandemError


@dataclass(frozen=True)
class Stopped:
    """How the daemon ended: its exit code and the jobs still running when it gave up on them."""

    code: int
    left_behind: tuple[str, ...] = ()


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (port 0: any free port), with TCP_NODELAY, which
    the connections it accepts inherit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise TandemError(
                f"port {port} on {host} is already in use; stop what uses it or choose"
                " another with --port"
            ) from None
        raise TandemError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    # asyncio sets TCP_NODELAY only on sockets made with proto IPPROTO_TCP, and create_server
    # makes them with proto 0: without it, each answer's body waits for the client's delayed
    # ACK of its headers (Nagle), some 40 ms on Linux.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def settle_heap() -> None:
    """Put what start-up made (modules, the configuration, the app) out of the garbage
    collector's way, once the server is ready to serve. Each full collection walks every
    object still tracked, and with those among them it paused every request in flight for
    tens of milliseconds, a few times a minute under load."""
    gc.collect()
    gc.freeze()


def run(daemon: Coroutine[Any, Any, Stopped]) -> Stopped:
    """`asyncio.run` for the daemon, except that threads left behind are not waited for."""
    loop = asyncio.new_event_loop()
    stopped = Stopped(1)
    try:
        asyncio.set_event_loop(loop)
        stopped = loop.run_until_complete(daemon)
        return stopped
    finally:
        try:
            _cancel_remaining(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            if not stopped.left_behind:
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()  # does not wait for the executor's threads


def end(stopped: Stopped) -> int:
    """The exit code; or, when a job's thread was left behind, the end of the process now."""
    if stopped.left_behind:
        logging.shutdown()  # flushes the log handlers
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(stopped.code)
    return stopped.code


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
