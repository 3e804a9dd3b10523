"""Reading a supplier's HTTP answers: dotted field paths, error words, Retry-After, status.

`response_fields` in a profile name values by dotted path (`result.id`). A path step that meets
a list applies to every element, so `result.shipments.tracking_number` collects the tracking
number of each shipment; a number step (`items.0.id`) picks one element.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast, get_args

import httpx

from tandem.connector.channels import StatusUpdate
from tandem.connector.configuration.transports import TandemStatus

ERROR_TEXT_LIMIT = 500
TANDEM_STATUSES = frozenset(get_args(TandemStatus))


def parse_body(response: httpx.Response) -> Any:
    """The JSON body, the text when it is not JSON, None when empty."""
    if not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted path; None when any step is missing."""
    value = data
    for step in path.split("."):
        if not step:
            continue
        if isinstance(value, list):
            if step.isdigit():
                index = int(step)
                value = value[index] if index < len(value) else None
            else:
                found = [get_path(item, step) for item in value]
                value = _flatten(v for v in found if v is not None)
        elif isinstance(value, Mapping):
            value = value.get(step)
        else:
            return None
        if value is None:
            return None
    return value


def _flatten(values: Any) -> list[Any]:
    out: list[Any] = []
    for value in values:
        out.extend(value if isinstance(value, list) else [value])
    return out


def is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | dict) and not value)


def first(value: Any) -> Any:
    """One value from a path that may have collected several (a list lookup result)."""
    if isinstance(value, list):
        return next((v for v in value if not is_empty(v)), None)
    return value


def strings(value: Any) -> tuple[str, ...]:
    """A single value or a list as a tuple of non-empty texts."""
    items = value if isinstance(value, list) else [value]
    return tuple(str(v) for v in items if not is_empty(v) and not isinstance(v, dict | list))


def error_text(response: httpx.Response) -> str:
    """The supplier's own explanation: common JSON error shapes, else the raw text, cut."""
    body = parse_body(response)
    words = _words(body) if isinstance(body, dict | list) else None
    if not words:
        words = response.text.strip() or response.reason_phrase or "no explanation given"
    return words if len(words) <= ERROR_TEXT_LIMIT else words[: ERROR_TEXT_LIMIT - 1] + "…"


def _words(body: Any) -> str | None:
    if isinstance(body, str):
        return body.strip() or None
    if isinstance(body, list):
        parts = [w for w in (_words(item) for item in body) if w]
        return "; ".join(parts) or None
    if not isinstance(body, dict):
        return None
    for key in ("error", "errors", "message", "detail", "error_description", "title", "reason"):
        if key in body:
            found = _words(body[key])
            if found:
                return found
    # Printful puts the words in `result` next to a numeric `code`.
    if isinstance(body.get("result"), str) and "code" in body:
        return str(body["result"])
    if body.get("field") or body.get("code"):
        return json.dumps(body, ensure_ascii=False)
    return None


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds, whether given as a number or as an HTTP date."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def map_status(raw: Any, status_map: Mapping[str, str]) -> TandemStatus | None:
    """The supplier's status as Tandem's, through the profile's map (exact, then any case)."""
    if is_empty(raw):
        return None
    text = str(raw)
    mapped = status_map.get(text)
    if mapped is None:
        lowered = {k.lower(): v for k, v in status_map.items()}
        mapped = lowered.get(text.lower())
    if mapped is None and text.lower() in TANDEM_STATUSES:
        mapped = text.lower()  # a supplier that already speaks our words needs no map
    return cast(TandemStatus, mapped) if mapped in TANDEM_STATUSES else None


def status_update(
    data: Any, fields: Mapping[str, str], status_map: Mapping[str, str]
) -> StatusUpdate:
    def field(name: str) -> Any:
        path = fields.get(name)
        return get_path(data, path) if path else None

    raw = first(field("status"))
    status = map_status(raw, status_map)
    message = first(field("message"))
    if status is None and raw is not None:
        message = f"supplier status {raw!r}" + (f": {message}" if message else "")
    carrier = first(field("carrier"))
    return StatusUpdate(
        status=status,
        tracking_numbers=strings(field("tracking_numbers")),
        carrier=None if carrier is None else str(carrier),
        tracking_urls=strings(field("tracking_urls")),
        rejected_skus=strings(field("rejected_skus")),
        message=None if message is None else str(message),
    )
