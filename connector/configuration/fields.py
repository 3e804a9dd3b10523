"""Building blocks of the configuration model: sections that refuse unknown keys, paths
relative to the configuration file, durations such as `90m`, currencies, time zones."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _resolve_path(value: Any, info: ValidationInfo) -> Any:
    if value is None or value == "":
        return None
    base = (info.context or {}).get("base_dir")
    path = Path(str(value)).expanduser()
    if base is not None and not path.is_absolute():
        path = Path(base) / path
    return path


ConfigPath = Annotated[Path, BeforeValidator(_resolve_path)]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def _duration(value: Any) -> Any:
    """Accept `90s`, `30m`, `4h`, `2d` besides ISO 8601 (`PT4H`) and plain seconds."""
    if isinstance(value, str) and (m := _DURATION.match(value)):
        return timedelta(seconds=float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()])
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Berlin)"
        ) from None
    return name
