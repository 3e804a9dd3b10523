"""Shopify's search syntax for the `query:` argument of connections.

Terms are ANDed; `OR` joins alternatives, `-term` / `NOT term` negate, parentheses group.
A term is `field:value`, `field:>value` (also `>=`, `<`, `<=`) or a bare word. An unquoted
value ends at whitespace or at a further ':', so `updated_at:>2026-01-01T00:00:00Z` splits into
`updated_at:>2026-01-01T00` and a stray term `00:00Z` (field "00") exactly as Shopify does
(see 2025-01__inventory-connection-query-windowing.json): quote timestamps.

Fields a connection does not know are ignored and reported in `extensions.search` warnings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

INVALID_FIELD = "Invalid search field for this query."


@dataclass
class Term:
    field: str | None
    value: str
    op: str = ":"  # ':' equality, or one of > >= < <=
    quoted: bool = False

    def parsed(self) -> dict[str, Any]:
        key = {
            ">": "range_gt",
            ">=": "range_gte",
            "<": "range_lt",
            "<=": "range_lte",
        }.get(self.op, "match_phrase" if self.quoted else "match_all")
        return {"field": self.field or "default", key: self.value}


@dataclass
class Node:
    kind: str  # "and", "or", "not", "term"
    children: list[Node] = field(default_factory=list)
    term: Term | None = None

    def parsed(self) -> dict[str, Any]:
        if self.kind == "term":
            assert self.term is not None
            return self.term.parsed()
        if self.kind == "not":
            return {"not": self.children[0].parsed()}
        return {self.kind: [c.parsed() for c in self.children]}

    def terms(self) -> list[Term]:
        if self.term is not None:
            return [self.term]
        return [t for c in self.children for t in c.terms()]


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(ch)
            i += 1
        else:
            start = i
            quote: str | None = None
            while i < len(text):
                ch = text[i]
                if quote:
                    if ch == quote:
                        quote = None
                elif ch in "'\"":
                    quote = ch
                elif ch.isspace() or ch in "()":
                    break
                i += 1
            out.append(text[start:i])
    return out


def _terms(token: str) -> list[Term]:
    """One whitespace-free token may hold several terms (`a:b:c` -> a:b, then b... as Shopify)."""
    out: list[Term] = []
    rest = token
    while rest:
        match = re.match(r"([A-Za-z0-9_.]+):(>=|<=|>|<)?", rest)
        if not match:
            value, quoted, rest = _value(rest, stop_at_colon=False)
            out.append(Term(None, value, ":", quoted))
            break
        name, op = match.group(1), match.group(2) or ":"
        value, quoted, rest = _value(rest[match.end() :], stop_at_colon=True)
        out.append(Term(name, value, op, quoted))
        rest = rest.removeprefix(":")
    return out


def _value(text: str, stop_at_colon: bool) -> tuple[str, bool, str]:
    if text[:1] in ("'", '"'):
        end = text.find(text[0], 1)
        if end == -1:
            return text[1:], True, ""
        return text[1:end], True, text[end + 1 :]
    stop = len(text)
    if stop_at_colon and ":" in text:
        stop = text.index(":")
    return text[:stop], False, text[stop:]


def parse(text: str) -> Node:
    tokens = _tokens(text)
    pos = 0

    def parse_or() -> Node:
        nonlocal pos
        parts = [parse_and()]
        while pos < len(tokens) and tokens[pos] == "OR":
            pos += 1
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else Node("or", parts)

    def parse_and() -> Node:
        nonlocal pos
        parts: list[Node] = []
        while pos < len(tokens) and tokens[pos] not in ("OR", ")"):
            if tokens[pos] == "AND":
                pos += 1
                continue
            parts.extend(parse_unary())
        return parts[0] if len(parts) == 1 else Node("and", parts)

    def parse_unary() -> list[Node]:
        nonlocal pos
        token = tokens[pos]
        if token == "NOT":
            pos += 1
            inner = parse_unary()
            return [Node("not", [inner[0] if len(inner) == 1 else Node("and", inner)])]
        if token == "(":
            pos += 1
            inner_node = parse_or()
            if pos < len(tokens) and tokens[pos] == ")":
                pos += 1
            return [inner_node]
        pos += 1
        if token.startswith("-") and len(token) > 1:
            terms = _terms(token[1:])
            return [Node("not", [Node("term", term=terms[0])])] + [
                Node("term", term=t) for t in terms[1:]
            ]
        return [Node("term", term=t) for t in _terms(token)]

    if not tokens:
        return Node("and", [])
    return parse_or()


def parse_time(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def compare(actual: Any, term: Term, kind: str = "text") -> bool:
    """Does `actual` satisfy one term? `kind` is text, time, number or list."""
    if actual is None:
        return False
    if kind == "list":
        wanted = term.value.lower()
        return any(str(a).lower() == wanted for a in actual)
    if kind == "time":
        left = parse_time(str(actual))
        right = parse_time(term.value)
        if left is None or right is None:
            return False
        return _ordered(left, right, term.op)
    if kind == "number":
        try:
            return _ordered(float(actual), float(term.value), term.op)
        except ValueError:
            return False
    if term.op != ":":
        return _ordered(str(actual), term.value, term.op)
    text = str(actual).lower()
    wanted = term.value.lower()
    if wanted.endswith("*"):
        return text.startswith(wanted[:-1])
    return text == wanted


def _ordered(left: Any, right: Any, op: str) -> bool:
    return bool(
        {
            ":": left == right,
            ">": left > right,
            ">=": left >= right,
            "<": left < right,
            "<=": left <= right,
        }[op]
    )


Getter = Callable[[dict[str, Any]], Any]


@dataclass
class Search:
    """A parsed query bound to one connection's searchable fields.

    `fields` maps a search field to (getter, kind); kind is text, time, number or list. Bare
    words match any of `text(record)` case-insensitively (prefix with `*`). Terms on fields not
    in `fields` are ignored and reported as warnings.
    """

    text: str
    fields: dict[str, tuple[Getter, str]]
    default_text: Getter = lambda record: []
    tree: Node = field(init=False)
    warnings: list[dict[str, Any]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.tree = parse(self.text)
        unknown: list[str] = []
        for term in self.tree.terms():
            if (
                term.field is not None
                and term.field not in self.fields
                and term.field not in unknown
            ):
                unknown.append(term.field)
        self.warnings = [
            {"field": name, "message": INVALID_FIELD, "code": "invalid_field"} for name in unknown
        ]

    def matches(self, record: dict[str, Any]) -> bool:
        return self._eval(self.tree, record)

    def _term(self, record: dict[str, Any], term: Term) -> bool:
        if term.field is None:
            return any(compare(text, term) for text in self.default_text(record))
        if term.field not in self.fields:
            return True  # ignored, as Shopify does
        getter, kind = self.fields[term.field]
        return compare(getter(record), term, kind)

    def _eval(self, node: Node, record: dict[str, Any]) -> bool:
        if node.kind == "term":
            assert node.term is not None
            return self._term(record, node.term)
        if node.kind == "not":
            return not self._eval(node.children[0], record)
        if node.kind == "or":
            return any(self._eval(c, record) for c in node.children)
        return all(self._eval(c, record) for c in node.children)

    def report(self, path: list[str | int]) -> dict[str, Any] | None:
        if not self.warnings:
            return None
        return {
            "path": path,
            "query": self.text,
            "parsed": self.tree.parsed(),
            "warnings": self.warnings,
        }
