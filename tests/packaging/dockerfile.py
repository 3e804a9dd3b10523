"""A Dockerfile read as its instructions, stage by stage, for checking it without an engine."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, ...
    text: str  # what follows it, continuation lines joined

    def words(self) -> list[str]:
        """The exec form (a JSON list) as given, the shell form split as a shell would."""
        if self.text.startswith("["):
            return [str(word) for word in json.loads(self.text)]
        return shlex.split(self.text)


@dataclass
class Stage:
    base: str  # the FROM image, build arguments substituted
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"the {self.name or self.base} stage has no {keyword}"
        return found[-1]

    def pairs(self, keyword: str) -> dict[str, str]:
        """ENV, LABEL or ARG as `name=value` pairs (an ARG without a default: empty)."""
        found: dict[str, str] = {}
        for instruction in self.all(keyword):
            for word in shlex.split(instruction.text):
                name, _, value = word.partition("=")
                found[name] = value
        return found


@dataclass
class Dockerfile:
    args: dict[str, str]  # the build arguments declared before the first FROM
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)


def _instructions(text: str) -> list[Instruction]:
    found: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # comments may sit between continuation lines too
        pending += stripped
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip() + " "
            continue
        keyword, _, rest = pending.partition(" ")
        found.append(Instruction(keyword.upper(), rest.strip()))
        pending = ""
    return found


def read(path: Path) -> Dockerfile:
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in _instructions(path.read_text(encoding="utf-8")):
        if instruction.keyword == "FROM":
            image, *rest = instruction.text.split()
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m[1] or m[2]], image)
            name = rest[1] if len(rest) == 2 and rest[0].upper() == "AS" else None
            stages.append(Stage(base, name))
        elif stages:
            stages[-1].instructions.append(instruction)
        elif instruction.keyword == "ARG":
            name, _, value = instruction.text.partition("=")
            args[name] = value
    return Dockerfile(args, stages)
