"""Release policy, pure: when does a draft PO stop collecting lines and go to the supplier?

A draft is released as soon as any configured trigger fires: `immediate`, the first `cron`
cut-off after the draft was opened, its value reaching `min_order_value`, or `max_wait` after it
was opened. A supplier with no trigger configured releases immediately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from apscheduler.triggers.cron import CronTrigger


@dataclass(frozen=True, slots=True)
class ReleasePolicy:
    immediate: bool = False
    cron: str | None = None
    min_order_value: Decimal | None = None
    max_wait: timedelta | None = None
    timezone: str = "UTC"

    @property
    def waits(self) -> bool:
        return not self.immediate and any(
            v is not None for v in (self.cron, self.min_order_value, self.max_wait)
        )


@lru_cache(maxsize=64)
def cron_trigger(expression: str, timezone: str) -> Any:
    """A parsed crontab line (five fields); raises ValueError when it is not one."""
    return CronTrigger.from_crontab(expression, timezone=timezone)


def next_cutoff(policy: ReleasePolicy, opened_at: datetime) -> datetime | None:
    if policy.cron is None:
        return None
    fire: datetime | None = cron_trigger(policy.cron, policy.timezone).get_next_fire_time(
        None, opened_at
    )
    return fire


def release_reason(
    policy: ReleasePolicy, opened_at: datetime, value: Decimal, now: datetime
) -> str | None:
    """Why the draft is due now, in plain words; None while it should keep waiting."""
    if not policy.waits:
        return "immediate release"
    if policy.min_order_value is not None and value >= policy.min_order_value:
        return f"order value {value:.2f} reached the minimum {policy.min_order_value:.2f}"
    if policy.max_wait is not None and now - opened_at >= policy.max_wait:
        return f"waited the maximum {policy.max_wait}"
    cutoff = next_cutoff(policy, opened_at)
    if cutoff is not None and cutoff <= now:
        return f"cut-off {cutoff.isoformat(timespec='minutes')} passed"
    return None
