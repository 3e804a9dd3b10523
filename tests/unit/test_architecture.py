"""The core knows nothing of Shopify, SMTP or HTTP: only Tandem's shell wires adapters in.

The shell is what a user starts (the CLI, the daemon, the web app, the demo) and the one pass
of the main job; everything else in `connector/` — domain, planning, store, services, the
supplier port — must work without importing `adapters`.
"""

from __future__ import annotations

import ast
from pathlib import Path

CONNECTOR = Path(__file__).resolve().parents[2] / "connector"
SHELL = {"cli", "daemon", "web", "demo", "sync.py"}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_core_module_imports_an_adapter() -> None:
    core = [
        path
        for path in CONNECTOR.rglob("*.py")
        if path.relative_to(CONNECTOR).parts[0] not in SHELL
    ]
    assert len(core) > 40  # the walk found the core
    offenders = {
        str(path.relative_to(CONNECTOR.parent)): sorted(
            m
            for m in imported_modules(path)
            if m == "tandem.adapters" or m.startswith("tandem.adapters.")
        )
        for path in core
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}
