"""Building blocks of the configuration model: sections that refuse unknown keys, paths (and
SQLite database files) relative to the configuration file, durations such as `90m`,
currencies, time zones."""

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


# A plain SQLite file URL (sqlite:///file.db, sqlite+pysqlite:////abs/file.db?mode=ro): read
# here without SQLAlchemy, which a command that never opens the database need not load.
_SQLITE_FILE = re.compile(
    r"(?P<scheme>sqlite(?:\+[A-Za-z0-9_]+)?):///(?P<database>[^?#%@]+)(?P<query>\?[^#%]*)?"
)


def _plain_sqlite(url: str) -> re.Match[str] | None:
    found = _SQLITE_FILE.fullmatch(url)
    if found is None or found["database"] == ":memory:" or found["database"].startswith("file:"):
        return None
    return found


def sqlite_file(url: str) -> str | None:
    """The file a plain SQLite URL names (as written: relative or absolute); None for any
    other URL, and for a SQLite URL this does not read (which SQLAlchemy then reads)."""
    found = _plain_sqlite(url)
    return found["database"] if found else None


def sqlite_url_against(url: str, base: Path) -> str:
    """`url` with a relative SQLite file made absolute against `base`; any other URL (an
    absolute file, `:memory:`, a `file:` URI, PostgreSQL, one that cannot be read) as given."""
    if not url.startswith("sqlite"):
        return url
    found = _plain_sqlite(url)
    if found is None:
        return _sqlite_url_against(url, base)
    if Path(found["database"]).expanduser().is_absolute():
        return url
    return f"{found['scheme']}:///{base / found['database']}{found['query'] or ''}"


def _sqlite_url_against(url: str, base: Path) -> str:
    """`sqlite_url_against` for the SQLite URLs only SQLAlchemy reads."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # opening the database reports it
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database:
        return url
    if database == ":memory:" or database.startswith("file:"):
        return url
    if Path(database).expanduser().is_absolute():
        return url
    return parsed.set(database=str(base / database)).render_as_string(hide_password=False)


def _resolve_database_url(value: Any, info: ValidationInfo) -> Any:
    base = (info.context or {}).get("base_dir")
    if base is None or not isinstance(value, str):
        return value
    return sqlite_url_against(value, Path(base))


# A database URL whose relative SQLite file, like every path in the file, is relative to the
# configuration file (not to wherever a command happens to be run from).
DatabaseUrl = Annotated[str, BeforeValidator(_resolve_database_url)]

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


def format_duration(duration: timedelta) -> str:
    """48h, 90m, 2h30m: how durations are written in tandem.yaml."""
    minutes = int(duration.total_seconds() // 60)
    h, m = divmod(minutes, 60)
    return f"{h}h{m}m" if h and m else f"{h}h" if h else f"{m}m"
