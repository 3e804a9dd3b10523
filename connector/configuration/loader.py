"""Reading `tandem.yaml`: YAML with line numbers, `${ENV_VAR}` interpolation, clear errors.

Every problem found is reported at once, one line each, as `file:line: key.path: what is wrong`,
so a user fixes a configuration in one round. `${NAME}` takes an environment variable,
`${NAME:-fallback}` gives a fallback, `$$` writes a plain `$`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, SecretStr, ValidationError

from tandem.connector.configuration.fields import sqlite_url_against
from tandem.connector.configuration.model import TandemConfig
from tandem.connector.errors import ConfigError

KeyPath = tuple[str | int, ...]
_ENV = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# How pydantic names enum members in its messages: `<Mode.DROP_SHIP: 'drop_ship'>`.
_ENUM_REPR = re.compile(r"<\w+\.\w+: '([^']*)'>")


@dataclass(frozen=True)
class Problem:
    line: int | None
    path: KeyPath
    message: str


def format_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


# A real configuration nests a handful of levels and holds a few thousand values; a file past
# these is refused before it can take the memory or the stack (an alias bomb: 1 KB of YAML
# whose aliases expand to billions of values).
MAX_DEPTH = 64
MAX_VALUES = 100_000


class _Refused(Exception):
    """The file is refused as a whole, for the reason given, at `line`."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(message)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with bounds: nesting (the composer and the merge of `<<` keys
    recurse) and the values built, aliases and merges expanded, counted by `spend`."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.spent = 0

    def _deeper(self, line: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(line, f"nested deeper than {MAX_DEPTH} levels")

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._deeper(self.peek_event().start_mark.line + 1)  # type: ignore[no-untyped-call]
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        self._deeper(node.start_mark.line + 1)
        try:
            super().flatten_mapping(node)
        finally:
            self.depth -= 1
        self.spend(len(node.value), node)

    def spend(self, count: int, node: yaml.Node) -> None:
        self.spent += count
        if self.spent > MAX_VALUES:
            raise _Refused(
                node.start_mark.line + 1,
                f"aliases expand to more than {MAX_VALUES:,} values"
                " (an alias or merge key repeated inside another?)",
            )


class _Reader:
    def __init__(self, text: str, env: Mapping[str, str]) -> None:
        self.loader = _BoundedLoader(text)
        self.env = env
        self.lines: dict[KeyPath, int] = {}
        self.problems: list[Problem] = []

    def read(self) -> Any:
        try:
            node = self.loader.get_single_node()
            return {} if node is None else self.build(node, ())
        finally:
            self.loader.dispose()

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        line = node.start_mark.line + 1
        if len(path) > MAX_DEPTH:  # aliases nest what the file itself does not (`&a [*a]`)
            raise _Refused(line, f"nested deeper than {MAX_DEPTH} levels")
        self.loader.spend(1, node)
        self.lines.setdefault(path, line)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    # Not built: an aliased bomb would be expanded just to be named.
                    kind = "a mapping" if isinstance(key_node, yaml.MappingNode) else "a list"
                    self.problems.append(Problem(line, path, f"{kind} is not a key name"))
                    continue
                key = self.loader.construct_object(key_node)
                if not isinstance(key, str):
                    self.problems.append(
                        Problem(
                            line, path, f"{key_node.value!r} is not a key name (quote it if meant)"
                        )
                    )
                    continue
                if key in result:
                    self.problems.append(Problem(line, (*path, key), "key given twice"))
                self.lines[(*path, key)] = line
                result[key] = self.build(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        value = self.loader.construct_object(node)
        if isinstance(value, str) and "$" in value:
            return self.interpolate(value, path, node.start_mark.line + 1)
        return value

    def interpolate(self, value: str, path: KeyPath, line: int) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name, fallback = match.group(1), match.group(2)
            if name in self.env:
                return self.env[name]
            if fallback is not None:
                return fallback
            self.problems.append(Problem(line, path, f"environment variable {name} is not set"))
            return ""

        return _ENV.sub(replace, value)


def _line_for(path: KeyPath, lines: Mapping[KeyPath, int]) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _data_path(loc: tuple[str | int, ...], data: Any) -> KeyPath:
    """Pydantic's error location, without the union-tag parts that are not keys in the file."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_mapping = isinstance(node, Mapping) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_mapping or in_list:
            node = node[part]
            path.append(part)
        elif isinstance(node, Mapping | list):
            # The key is missing (or a tag like `email` that names a union member).
            if isinstance(part, str) and part not in _UNION_TAGS:
                path.append(part)
                node = None
        else:
            break
    return tuple(path)


# Transport types: pydantic puts the chosen union member in the error location.
_UNION_TAGS = {"email", "manual", "rest", "sftp"}


def _known_keys(model: type[BaseModel]) -> list[str]:
    keys: list[str] = []
    for name, field in model.model_fields.items():
        keys.append(field.alias or name)
    return keys


def _describe(error: Mapping[str, Any], path: KeyPath, data: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key_message(path, data)
    if kind == "missing":
        return "required but missing"
    message = _ENUM_REPR.sub(r"'\1'", str(error["msg"]))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    given = error.get("input")
    shows_input = kind in {"enum", "literal_error"} or kind.endswith(("_parsing", "_type"))
    secret = bool(path) and path[-1] in _secret_keys()
    if shows_input and not secret and given is not None and not isinstance(given, dict | list):
        message = f"{message} (got {given!r})"
    return message


@cache
def _secret_keys() -> frozenset[str]:
    """Names of the settings that hold secrets: their values are never repeated in an error."""
    names: set[str] = set()
    seen: set[type[BaseModel]] = set()
    models: list[type[BaseModel]] = [TandemConfig]
    while models:
        model = models.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            for part in _annotation_parts(field.annotation):
                if part is SecretStr:
                    names.add(field.alias or name)
                elif isinstance(part, type) and issubclass(part, BaseModel):
                    models.append(part)
    return frozenset(names)


def _annotation_parts(annotation: Any) -> list[Any]:
    parts = [annotation]
    for arg in get_args(annotation):
        parts.extend(_annotation_parts(arg))
    return parts


def _unknown_key_message(path: KeyPath, data: Any) -> str:
    owner = _section_model(path[:-1], data)
    if owner is not None:
        close = difflib.get_close_matches(str(path[-1]), _known_keys(owner), n=1)
        if close:
            return f"unknown key (did you mean {close[0]!r}?)"
    return "unknown key"


def _section_model(path: KeyPath, data: Any) -> type[BaseModel] | None:
    """The model of the section at `path`, following the file's own values where the model
    depends on them (a supplier's `transport` is the model its `type` names)."""
    model: type[BaseModel] = TandemConfig
    node = data
    for part in path:
        if isinstance(part, int):  # a list item: the model stays the item's
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            continue
        fields = {field.alias or name: field for name, field in model.model_fields.items()}
        if part not in fields:
            return None
        node = node.get(part) if isinstance(node, Mapping) else None
        found = _model_for(fields[part].annotation, node)
        if found is None:
            return None
        model = found
    return model


def _model_for(annotation: Any, node: Any) -> type[BaseModel] | None:
    models = [
        part
        for part in _annotation_parts(annotation)
        if isinstance(part, type) and issubclass(part, BaseModel)
    ]
    if len(models) > 1 and isinstance(node, Mapping):
        models = [m for m in models if _type_tag(m) == node.get("type")] or models
    return models[0] if len(models) == 1 else None


def _type_tag(model: type[BaseModel]) -> Any:
    """The `type` a union member answers to (`Literal["sftp"]` -> "sftp")."""
    field = model.model_fields.get("type")
    values = get_args(field.annotation) if field is not None else ()
    return values[0] if values else None


def _cross_checks(data: Mapping[str, Any], lines: Mapping[KeyPath, int]) -> list[Problem]:
    """Checks across sections, run on the raw data so they are reported together with field
    errors (pydantic skips model-level checks while fields are invalid)."""
    found: list[Problem] = []
    suppliers = data.get("suppliers")
    if not isinstance(suppliers, list):
        return found
    seen: set[str] = set()
    emailing: list[str] = []
    for i, supplier in enumerate(suppliers):
        if not isinstance(supplier, Mapping):
            continue
        supplier_id = str(supplier.get("id"))
        if supplier_id in seen:
            path: KeyPath = ("suppliers", i, "id")
            found.append(
                Problem(lines.get(path), path, f"supplier id {supplier_id!r} is used twice")
            )
        seen.add(supplier_id)
        transport = supplier.get("transport")
        if isinstance(transport, Mapping) and transport.get("type") == "email":
            emailing.append(supplier_id)
    if emailing and data.get("smtp") is None:
        found.append(
            Problem(
                None,
                ("smtp",),
                f"required, since supplier {', '.join(emailing)} receives POs by email",
            )
        )
    return found


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> TandemConfig:
    """Read and validate a configuration file; raise ConfigError listing every problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(file, [Problem(None, (), "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(file, [Problem(None, (), f"cannot read: {exc}")]) from None
    reader = _Reader(text, os.environ if env is None else env)
    try:
        data = reader.read()
    except _Refused as exc:
        raise ConfigError(file, [Problem(exc.line, (), exc.message)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(file, [Problem(line, (), f"not valid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise ConfigError(file, [Problem(1, (), "the file must hold a mapping of keys")])
    environment = os.environ if env is None else env
    if environment.get("TANDEM_DATABASE_URL"):
        # Containers and CI point Tandem at their database without editing the file. A
        # relative SQLite file here is relative to the current directory, as any path given
        # on a command line is: the variable is not written in the file, so it is made
        # absolute now, before the model resolves the file's own paths against the file.
        data["database_url"] = sqlite_url_against(environment["TANDEM_DATABASE_URL"], Path.cwd())
    problems = list(reader.problems) + _cross_checks(data, reader.lines)
    try:
        config = TandemConfig.model_validate(data, context={"base_dir": file.resolve().parent})
    except ValidationError as exc:
        known = {(p.path, p.message) for p in problems}
        for error in exc.errors():
            key_path = _data_path(tuple(error["loc"]), data)
            message = _describe(error, key_path, data)
            if any(message.endswith(m) or m.endswith(message) for _, m in known):
                continue  # a cross-check said it already, with a better line
            problems.append(Problem(_line_for(key_path, reader.lines), key_path, message))
        config = None
    if problems or config is None:
        problems.sort(key=lambda p: (p.line or 0, format_path(p.path)))
        raise ConfigError(file, problems)
    return config
