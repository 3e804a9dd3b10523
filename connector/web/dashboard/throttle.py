"""Limits on guessing dashboard passwords, and on the hashing that checks them.

Every attempt is counted *before* its password is hashed (a success takes its count back), so
guesses sent in parallel meet the limit as surely as guesses sent one by one. The counts are
kept per client address and user name (`pair_limit`), per address over all names
(`address_limit`), and per user name over all addresses (`user_limit`, higher). The per-user
bound only stops addresses that have failed for that user themselves: an attacker guessing
from many addresses slows down to one guess per new address, but cannot lock the owner out —
a correct password from an address that has not been failing still logs in.

In memory, per process; at most `MAX_KEYS` counts are kept, the oldest forgotten first.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

MAX_KEYS = 10_000


@dataclass(frozen=True)
class Attempt:
    keys: tuple[str, ...]
    at: float


class LoginLimits:
    def __init__(
        self,
        *,
        pair_limit: int = 10,
        address_limit: int = 30,
        user_limit: int = 50,
        window: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pair_limit = pair_limit
        self.address_limit = address_limit
        self.user_limit = user_limit
        self.window = window
        self._clock = clock
        self._counts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _count(self, key: str, now: float) -> int:
        hits = self._counts.get(key)
        if hits is None:
            return 0
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._counts[key]
        return len(hits)

    def begin(self, client: str, user: str) -> Attempt | None:
        """Count an attempt for `user` from `client`; None (not counted) when it is refused."""
        user = user[:100]
        pair, address, name = f"p\0{client}\0{user}", f"a\0{client}", f"u\0{user}"
        with self._lock:
            now = self._clock()
            failed_here = self._count(pair, now)
            if (
                failed_here >= self.pair_limit
                or self._count(address, now) >= self.address_limit
                or (failed_here and self._count(name, now) >= self.user_limit)
            ):
                return None
            for key in (pair, address, name):
                hits = self._counts.pop(key, None) or deque()
                hits.append(now)
                self._counts[key] = hits  # last used goes last: the oldest is forgotten first
            while len(self._counts) > MAX_KEYS:
                del self._counts[next(iter(self._counts))]
            return Attempt((pair, address, name), now)

    def cancel(self, attempt: Attempt) -> None:
        """Take back an attempt whose password was not checked."""
        with self._lock:
            for key in attempt.keys:
                hits = self._counts.get(key)
                if hits is not None and attempt.at in hits:
                    hits.remove(attempt.at)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: this address's failures for the user are forgotten."""
        self.cancel(attempt)
        with self._lock:
            self._counts.pop(attempt.keys[0], None)


class Busy(Exception):
    """No hashing slot came free in time."""


class HashSlots:
    """At most `size` password hashes at once; a caller waits up to `wait` seconds for a slot,
    and when `max_waiting` callers wait already it is refused at once."""

    def __init__(self, size: int = 4, *, wait: float = 5.0, max_waiting: int = 16) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self.wait = wait
        self.max_waiting = max_waiting
        self._waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if not self._slots.acquire(blocking=False):
            await self._queue()
        try:
            yield
        finally:
            self._slots.release()

    async def _queue(self) -> None:
        # Polling keeps this free of any one event loop (the dashboard may serve several).
        if self._waiting >= self.max_waiting:
            raise Busy
        self._waiting += 1
        try:
            deadline = time.monotonic() + self.wait
            while not self._slots.acquire(blocking=False):
                if time.monotonic() >= deadline:
                    raise Busy
                await asyncio.sleep(0.02)
        finally:
            self._waiting -= 1
