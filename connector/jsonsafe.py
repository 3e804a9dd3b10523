"""JSON with a bound on nesting: deep documents are refused with a clear error, not a
RecursionError (or a traceback) from the parser.

`loads_bounded` checks the nesting before parsing, so the parser never recurses deeper than
`max_depth`. The check runs in C for ordinary documents: strings are blanked out with one
regular expression, the brackets left are counted, and only a document that is too deep is
walked again (in Python) to say where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import accumulate, repeat
from typing import Any

MAX_DEPTH = 64

# For the fast measure (bytes): strings once only brackets and quotes remain.
_QUOTED = re.compile(rb'"[^"]*"')
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
# Brackets as steps: opening ones 2, closing ones 0 (less 1 each, below).
_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
# For finding the place (str, only when too deep): a string, or a bracket.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JsonDepthError(ValueError):
    """A JSON document nested deeper than allowed. `line` and `column` (1-based) are where the
    nesting went past the limit; the message says so in words."""

    def __init__(self, max_depth: int, line: int, column: int) -> None:
        self.max_depth = max_depth
        self.line = line
        self.column = column
        super().__init__(f"nested deeper than {max_depth} levels (at line {line}, column {column})")


def _as_text(data: str | bytes) -> str:
    if isinstance(data, str):
        return data
    # As json.loads does with bytes: UTF-8, -16 or -32, told apart by the first bytes.
    return data.decode(json.detect_encoding(data), "surrogatepass")


def nesting(text: str | bytes) -> int:
    """How deep the brackets of a JSON text nest outside its strings (an upper bound on the
    depth of what it parses to: `"[1]"` is 0, `[[1]]` is 2). Runs in C: escaped backslashes and
    quotes are dropped, then all but brackets and quotes, then the strings left (an adjacent
    pair of quotes, an empty string or two strings run together, takes nothing structural)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= 1:
        return data.count(b"[") + data.count(b"{")
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = data.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    steps = _QUOTED.sub(b"", structure).translate(_STEPS)
    return max(accumulate(map(int.__sub__, steps, repeat(1))), default=0)


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """Raise `JsonDepthError` when the brackets of `text` (outside strings) nest deeper than
    `max_depth`. Text that is not valid JSON is left for the parser to report."""
    if text.count("[") + text.count("{") <= max_depth or nesting(text) <= max_depth:
        return
    depth = 0
    for match in _TOKEN.finditer(text):
        step = _STEP.get(match.group())
        if step is None:
            continue  # a string
        depth += step
        if depth > max_depth:
            at = match.start()
            line = text.count("\n", 0, at) + 1
            column = at - (text.rfind("\n", 0, at) + 1) + 1
            raise JsonDepthError(max_depth, line, column)
    # An unterminated string hides brackets from this walk; the parser refuses that text.


def loads_bounded(
    text: str | bytes,
    *,
    max_depth: int = MAX_DEPTH,
    parse_float: Callable[[str], Any] | None = None,
    parse_int: Callable[[str], Any] | None = None,
) -> Any:
    """`json.loads`, refusing documents nested deeper than `max_depth` with `JsonDepthError`
    (a ValueError). Invalid JSON raises `json.JSONDecodeError` (also a ValueError) as usual."""
    data = _as_text(text)
    check_depth(data, max_depth)
    return json.loads(data, parse_float=parse_float, parse_int=parse_int)


def depth(value: Any) -> int:
    """How deep a parsed JSON value nests (a scalar is 0, `[]` and `{"a": 1}` are 1), walked
    without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        stack.extend((child, level) for child in children if isinstance(child, dict | list))
    return deepest
