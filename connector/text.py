"""Text as databases and drivers take it: no NUL character (PostgreSQL refuses it in text and
JSON) and no lone surrogate (`"\\ud800"` is valid JSON, but no UTF-8 encoder takes it).

`clean_text` is applied where text enters Tandem (the domain models, catalogue cells), so one
odd character in a customer's name costs that character, not the order beside it.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """`value` without NUL characters, each lone surrogate replaced by U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if value.isascii():
        return value
    return _SURROGATE.sub(REPLACEMENT, value)


def clean_deep(value: Any) -> Any:
    """`clean_text` on every string in plain data (dict keys and values, lists, tuples)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_deep(k): clean_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_deep(v) for v in value]
    if isinstance(value, tuple):
        return tuple(clean_deep(v) for v in value)
    return value
