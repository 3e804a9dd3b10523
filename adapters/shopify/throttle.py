"""Shopify's calculated-cost bucket, mirrored locally so Tandem waits *before* a call that
would overdraw it instead of collecting THROTTLED answers.

Every response reports the bucket (`extensions.cost.throttleStatus`): its size, what is left and
the restore rate. Between responses the bucket refills at the restore rate. A call may start
when the bucket holds its requested cost (the most a document cost last time, or a guess);
Shopify refunds the difference between requested and actual cost, which the next response's
status shows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_COST = 50.0  # requested cost assumed for a document not seen yet


@dataclass
class Stats:
    calls: int = 0
    throttled: int = 0
    retries: int = 0
    points_requested: float = 0.0
    points_spent: float = 0.0
    waited_seconds: float = 0.0


@dataclass
class Bucket:
    maximum: float | None = None  # unknown until the first response
    available: float = 0.0
    restore_rate: float = 50.0
    observed_at: float = 0.0
    costs: dict[str, float] = field(default_factory=dict)  # document name -> requested cost

    def level(self, now: float) -> float:
        if self.maximum is None:
            return float("inf")
        refilled = self.available + (now - self.observed_at) * self.restore_rate
        return min(self.maximum, refilled)

    def delay_for(self, cost: float, now: float) -> float:
        """Seconds until the bucket holds `cost` (capped at its size)."""
        if self.maximum is None:
            return 0.0
        wanted = min(cost, self.maximum)
        missing = wanted - self.level(now)
        return max(0.0, missing / self.restore_rate) if self.restore_rate > 0 else 0.0

    def take(self, cost: float, now: float) -> None:
        if self.maximum is None:
            return
        self.available = self.level(now) - cost
        self.observed_at = now

    def observe(self, status: dict[str, Any], now: float) -> None:
        try:
            self.maximum = float(status["maximumAvailable"])
            self.available = float(status["currentlyAvailable"])
            self.restore_rate = float(status["restoreRate"])
        except (KeyError, TypeError, ValueError):
            return
        self.observed_at = now


class Throttle:
    """Waits for room in the bucket; one reservation at a time so concurrent calls queue."""

    def __init__(
        self,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bucket = Bucket()
        self.stats = Stats()
        self._sleep = sleep
        self._clock = clock
        self._lock = asyncio.Lock()

    def estimate(self, name: str) -> float:
        return self.bucket.costs.get(name, DEFAULT_COST)

    async def reserve(self, name: str) -> None:
        cost = self.estimate(name)
        async with self._lock:
            delay = self.bucket.delay_for(cost, self._clock())
            if delay > 0:
                self.stats.waited_seconds += delay
                await self._sleep(delay)
            self.bucket.take(cost, self._clock())

    def record(self, name: str, cost: dict[str, Any] | None) -> None:
        """Learn from a response's `extensions.cost`."""
        if not cost:
            return
        requested = cost.get("requestedQueryCost")
        if isinstance(requested, int | float):
            self.bucket.costs[name] = float(requested)
            self.stats.points_requested += requested
        actual = cost.get("actualQueryCost")
        if isinstance(actual, int | float):
            self.stats.points_spent += actual
        status = cost.get("throttleStatus")
        if isinstance(status, dict):
            self.bucket.observe(status, self._clock())

    def wait_after_throttled(self, name: str) -> float:
        """How long until a throttled call would fit, from the status it came back with."""
        return self.bucket.delay_for(self.estimate(name), self._clock())
