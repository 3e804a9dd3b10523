"""The `lines` fixture: Tandem's log set up as `tandem run --json-logs` sets it up, writing
into memory; call it for the lines logged so far, each one parsed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from tandem.connector.daemon.logs import setup_logging


@pytest.fixture
def lines() -> Iterator[Any]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    setup_logging("INFO", json=True, stream=stream)

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield read
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()
