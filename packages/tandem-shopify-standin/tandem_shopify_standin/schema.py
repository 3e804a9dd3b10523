"""Which Admin API schema the stand-in serves, built once per file and process.

The real 2026-07 schema is used when the environment variable `TANDEM_SHOPIFY_SCHEMA` names it
(Tandem's tests set it to the copy beside their checkout); the stand-in looks for nothing outside
its own package. Otherwise (`tandem demo` on a fresh machine) it serves the packaged
`demo_schema.graphql`: a small hand-written subset with exactly the types, fields and
arguments Tandem's documents use, each with the same name and type as in the real schema
(tests/demo/test_demo_schema.py holds it to that).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Literal

from graphql import GraphQLSchema, build_schema

API_VERSION = "2026-07"
ENV_VAR = "TANDEM_SHOPIFY_SCHEMA"
DEMO_SCHEMA_PATH = Path(__file__).resolve().with_name("demo_schema.graphql")

SchemaSource = Literal["real", "demo"]

_lock = threading.Lock()
_schemas: dict[Path, GraphQLSchema] = {}


def real_schema_path() -> Path | None:
    """The real Admin API schema, if this machine has it.

    Named by `TANDEM_SHOPIFY_SCHEMA`, which must then be an existing file.
    """
    named = os.environ.get(ENV_VAR, "").strip()
    if named:
        path = Path(named).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{ENV_VAR} names {path}, which is not a file")
        return None if path == DEMO_SCHEMA_PATH else path
    return None


def schema_path() -> Path:
    """The schema file a stand-in started now would serve: the real one, else the demo one."""
    return real_schema_path() or DEMO_SCHEMA_PATH


def schema_source(path: Path | None = None) -> SchemaSource:
    """ "real" or "demo": which schema `path` (default: the selected one) is, for logging."""
    chosen = (path or schema_path()).resolve()
    return "demo" if chosen == DEMO_SCHEMA_PATH else "real"


def load_schema(path: Path | None = None) -> GraphQLSchema:
    """The schema at `path` (default: `schema_path()`), cached per file.

    The real schema takes about 1.5 s to build the first time; the demo one a few ms.
    """
    chosen = (path or schema_path()).resolve()
    with _lock:
        schema = _schemas.get(chosen)
        if schema is None:
            text = chosen.read_text(encoding="utf-8")
            schema = build_schema(text, assume_valid=True, no_location=True)
            _schemas[chosen] = schema
        return schema
