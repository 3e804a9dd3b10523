"""The core names no platform: storefronts are reached through the port
(`connector.platforms`) and the registry, so a new platform needs no edit outside `adapters/`.

Checked on the code itself: no module outside `adapters/` imports a platform's adapter, and no
string in its code (docstrings and comments aside) names an installed platform. The `file`
platform's name is a plain word used everywhere, so only its adapter's imports are checked.
The demo (`connector/demo`, `tandem demo`) runs the Shopify stand-in by design.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tandem.connector.platforms import Capability, can, platform, registered

ROOT = Path(__file__).resolve().parents[2]
DEMO = (ROOT / "connector" / "demo", ROOT / "connector" / "cli" / "demo_cmd.py")


def core_modules() -> Iterator[Path]:
    for path in sorted((ROOT / "connector").rglob("*.py")):
        if not any(path == d or d in path.parents for d in DEMO):
            yield path


def docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def named_platforms(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    adapters = {f"tandem.adapters.{name}" for name in registered()}
    words = [name for name in registered() if name != "file"]
    skip = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        for module in modules:
            if any(module == a or module.startswith(a + ".") for a in adapters):
                found.append(f"{path.relative_to(root)}:{node.lineno}: imports {module}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            for word in words:
                if word in node.value.lower():
                    found.append(f"{path.relative_to(root)}:{node.lineno}: names {word}")
    return found


def test_nothing_outside_the_adapters_names_a_platform() -> None:
    assert {"file", "shopify"} <= set(registered())
    found = [line for path in core_modules() for line in named_platforms(path)]
    assert found == []


def test_the_check_sees_a_core_module_that_names_a_platform(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text(
        '"""Shopify in a docstring is fine."""\n'
        "from tandem.adapters.shopify.client import ShopifyClient\n"
        'if config.store.platform == "shopify":\n    pass\n',
        encoding="utf-8",
    )
    assert named_platforms(module, tmp_path) == [
        "leaky.py:2: imports tandem.adapters.shopify.client",
        "leaky.py:3: names shopify",
    ]


def test_the_configured_platform_comes_from_the_registry(tmp_path: Path) -> None:
    from tandem.connector.configuration import load_config

    path = tmp_path / "tandem.yaml"
    path.write_text("store:\n  platform: file\n", encoding="utf-8")
    config = load_config(path, env={})
    assert config.store.platform == "file"
    assert not can(config, Capability.WRITE_BACK)
    assert platform("shopify").capabilities >= {Capability.WEBHOOKS, Capability.WRITE_BACK}


def test_an_unknown_platform_is_one_line_naming_the_installed_ones(tmp_path: Path) -> None:
    from tandem.connector.configuration import load_config
    from tandem.connector.errors import ConfigError

    path = tmp_path / "tandem.yaml"
    path.write_text("store:\n  platform: magento\n", encoding="utf-8")
    try:
        load_config(path, env={})
    except ConfigError as exc:
        (line,) = exc.lines()
    else:
        raise AssertionError("an unknown platform was accepted")
    assert line.startswith(f"{path}:2: store.platform: 'magento' is not an installed platform")
    assert "file" in line and "shopify" in line
