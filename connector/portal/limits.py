"""How often one link may be used: a sliding minute per token (its digest, never the token).

In memory, per process: a limit against a runaway script or a replayed link, not an
accounting. Only tokens that opened are counted, so random guesses cannot fill it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW = 60.0
MAX_KEYS = 10_000  # beyond this many links at once, the oldest are forgotten


class RateLimit:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one use of `key`; False (and not counted) when it had its share."""
        now = self._clock()
        hits = self._hits.pop(key, None) or deque()
        while hits and hits[0] <= now - WINDOW:
            hits.popleft()
        allowed = len(hits) < self.per_minute
        if allowed:
            hits.append(now)
        self._hits[key] = hits  # last used goes last: the first to forget is the oldest
        while len(self._hits) > MAX_KEYS:
            del self._hits[next(iter(self._hits))]
        return allowed
