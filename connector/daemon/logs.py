"""Structured logs: JSON lines for machines, readable lines on a terminal.

Every line has `timestamp` (UTC), `level`, `logger` and `event`. A line written while Tandem
works on something also carries its ids, bound in the logging context (`bound`) so that the
lines libraries write meanwhile carry them too: `job` for everything a scheduled job does,
`po`, `revision` and `supplier` while a PO is delivered, `webhook_id`, `topic`, `shop` and
`order` while a webhook is received.

Customer data is never logged whole. A field named after it (`CUSTOMER_FIELDS`: customer,
ship_to, address1, email, phone, ...) is masked whatever it holds, nested values included. In
every other field, email addresses and international phone numbers are masked, and so is any
value declared with `customer_data(...)` for a block (a PO's ship-to while a supplier's answer
about it is logged: suppliers quote what they were sent). `mask` keeps the first letter of
each word: "12 Analytical Row" -> "1* A********* R**".
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

CUSTOMER_FIELDS = frozenset(
    {
        "customer",
        "customer_name",
        "ship_to",
        "shipping_address",
        "billing_address",
        "address",
        "address1",
        "address2",
        "city",
        "province",
        "zip",
        "postcode",
        "company",
        "first_name",
        "last_name",
        "email",
        "phone",
    }
)
_KNOWN = "_tandem_customer_data"  # context key of the values declared with customer_data()
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+\d[\d ().-]{6,}\d")
_LETTER = re.compile(r"[^\W_]")
_SHORTEST_KNOWN = 3  # shorter values ("GB", "1") would mask half of every line


def mask(text: str | None) -> str:
    """ "12 Analytical Row, London" -> "1* A********* R**, L*****": the first character of
    each word, then a star for each letter or digit (punctuation stays)."""
    if not text:
        return ""
    return " ".join(word[:1] + _LETTER.sub("*", word[1:]) for word in text.split())


def _mask_all(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _mask_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_mask_all(item) for item in value]
    if value is None or isinstance(value, bool):
        return value
    return mask(_PHONE.sub(_hide_digits, str(value)))


def _hide_digits(match: re.Match[str]) -> str:
    return re.sub(r"\d", "*", match.group())


def _scrub(value: Any, known: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for item in known:
            value = value.replace(item, _mask_all(item))
        value = _EMAIL.sub(lambda m: mask(m.group()), value)
        return _PHONE.sub(_hide_digits, value)
    if isinstance(value, Mapping):
        return {
            key: _mask_all(item) if key in CUSTOMER_FIELDS else _scrub(item, known)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(item, known) for item in value]
    return value


def hide_customer_data(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """The structlog processor applying the rules above to every line."""
    declared = event.pop(_KNOWN, ())
    # Longest first, so "12 Mill Lane" is masked whole before "Mill" could be.
    known = tuple(sorted({v for v in declared if len(v) >= _SHORTEST_KNOWN}, key=len)[::-1])
    for key, value in event.items():
        event[key] = _mask_all(value) if key in CUSTOMER_FIELDS else _scrub(value, known)
    return event


@contextmanager
def bound(**ids: Any) -> Iterator[None]:
    """Put `ids` on every line logged in this block (and in threads it starts)."""
    with structlog.contextvars.bound_contextvars(**{k: v for k, v in ids.items() if v is not None}):
        yield


def customer_values(data: Mapping[str, Any] | None) -> list[str]:
    """The text values of an address or customer record."""
    values = []
    for value in (data or {}).values():
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, Mapping):
            values.extend(customer_values(value))
    return values


@contextmanager
def customer_data(values: Iterable[str]) -> Iterator[None]:
    """Mask these values wherever they appear in lines logged in this block."""
    current = structlog.contextvars.get_contextvars().get(_KNOWN, ())
    with structlog.contextvars.bound_contextvars(**{_KNOWN: (*current, *values)}):
        yield


def setup_logging(
    level: str = "INFO", json: bool | None = None, stream: TextIO | None = None
) -> None:
    """Send every log line (Tandem's and the libraries') to `stream` (stderr): JSON unless
    it is a terminal, or as `json` says."""
    stream = stream or sys.stderr
    if json is None:
        json = not stream.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # The traceback as text, so that it is scrubbed like the rest of the line.
        structlog.processors.format_exc_info,
        hide_customer_data,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=renderer,
            foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Request lines of the HTTP libraries say nothing the job logs do not; the scheduler's
    # own lines ("Added job ...") repeat the configuration at every start.
    for noisy in (
        "httpx",
        "httpcore",
        "uvicorn.access",
        "apscheduler.scheduler",
        "apscheduler.executors.default",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
