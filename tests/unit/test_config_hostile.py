"""Hostile configuration files: an alias bomb or deep nesting is refused with one clear line
naming the file and line, quickly, instead of growing without bound or a RecursionError
(issue 11)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tandem.connector.configuration import load_config
from tandem.connector.errors import ConfigError


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    return caught.value.lines()


def bomb(levels: int, width: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_quickly_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "tandem.yaml"
    path.write_text(bomb(9, 9))  # about 1 KB that would expand to 387 million strings
    assert len(path.read_bytes()) < 1200
    started = time.perf_counter()
    found = problems(path)
    assert time.perf_counter() - started < 2
    assert len(found) == 1
    assert found[0].startswith(f"{path}:")
    assert "aliases expand to more than" in found[0]


def test_a_modest_alias_bomb_is_refused_too(tmp_path: Path) -> None:
    # Small enough to expand in seconds without the budget (the test fails, not the machine).
    path = tmp_path / "tandem.yaml"
    path.write_text(bomb(6, 10))
    [line] = problems(path)
    assert "aliases expand to more than" in line


def test_ordinary_aliases_still_work(tmp_path: Path) -> None:
    path = tmp_path / "tandem.yaml"
    path.write_text(
        "x-release: &release {immediate: true}\n"
        "suppliers:\n"
        "  - {id: a, name: A, release: *release}\n"
        "  - {id: b, name: B, release: *release}\n"
    )
    found = problems(path)  # x-release is not a key Tandem knows; the aliases are fine
    assert found == [f"{path}:1: x-release: unknown key"]


@pytest.mark.parametrize(
    "text",
    [
        "store: " + "[" * 5000 + "]" * 5000 + "\n",
        "store:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 3000)),
        "a: &a [*a]\nstore: *a\n",
    ],
    ids=["flow", "block", "recursive-alias"],
)
def test_deep_nesting_is_a_clear_error_not_a_recursion_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "tandem.yaml"
    path.write_text(text)
    [line] = problems(path)
    assert line.startswith(f"{path}:")
    assert "nested deeper than" in line


def test_a_mapping_as_a_key_is_reported_without_expanding_it(tmp_path: Path) -> None:
    path = tmp_path / "tandem.yaml"
    path.write_text(bomb(9, 9) + "? *a8\n: 1\n")
    found = problems(path)
    assert len(found) == 1 and len(found[0]) < 300
