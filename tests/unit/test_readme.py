"""README's front door stays true: CI runs exactly its test command, and every `tandem`
command it shows exists."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from tandem.connector.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_ci_runs_readmes_test_command_exactly() -> None:
    install_and_run, tests = quick_start()
    assert install_and_run.endswith(".venv/bin/tandem demo")
    assert tests in (ROOT / ".ci" / "run").read_text().splitlines()


def test_every_command_in_the_readme_table_exists() -> None:
    commands = re.findall(r"^\| `tandem ([a-z -]+?)(?: --| [A-Z]|`)", README, re.MULTILINE)
    assert len(commands) > 20
    for command in commands:
        result = CliRunner().invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, f"tandem {command}: {result.output}"
