"""Tandem's exception tree. Each error carries a message fit to show a user as is.

TandemError
├── ConfigError        the configuration file is wrong (every problem, with file and line)
├── InputError         a file or payload a user gave is wrong (orders, catalogue, stock)
├── TemporaryError     likely to pass by itself: a service busy or briefly unreachable
├── NotFound           a PO, supplier or exception the user named does not exist
└── ConflictError      the request contradicts the current state (receive on a cancelled PO)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tandem.connector.configuration.loader import Problem


class TandemError(Exception):
    """Base of every error Tandem reports to a user without a traceback."""


class ConfigError(TandemError):
    def __init__(self, file: Path, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        from tandem.connector.configuration.loader import format_path

        out = []
        for p in self.problems:
            where = f"{self.file}:{p.line}" if p.line else str(self.file)
            key = f" {format_path(p.path)}:" if p.path else ""
            out.append(f"{where}:{key} {p.message}")
        return out


class InputError(TandemError):
    """Bad input: `problems` lists each as `where: what`; nothing was changed by it."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        shown = self.problems[:20]
        more = len(self.problems) - len(shown)
        text = "\n".join(f"{source}: {p}" for p in shown)
        if more:
            text += f"\n{source}: ... and {more} more"
        super().__init__(text)


class TemporaryError(TandemError):
    """A failure that is likely to pass by itself (a service busy or briefly unreachable):
    reported at once, but it asks a person only when it repeats (tandem.connector.health)."""


class NotFound(TandemError):
    pass


class ConflictError(TandemError):
    pass
