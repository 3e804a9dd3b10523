"""Structured logs: JSON lines for machines, readable lines on a terminal.

Every line carries the ids it is about (order, PO, supplier) as fields. Customer data is never
logged whole: `mask` keeps the first letter of each word of an address or name.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


def setup_logging(level: str = "INFO", json: bool | None = None) -> None:
    if json is None:
        json = not sys.stderr.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=renderer,
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Request lines of the HTTP libraries say nothing the job logs do not.
    for noisy in ("httpx", "httpcore", "uvicorn.access", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def mask(text: str | None) -> str:
    """ "12 Analytical Row, London" -> "1* A********* R**, L*****"."""
    if not text:
        return ""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in text.split())


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
