"""`tandem completion SHELL` prints a script that completes tandem's commands and options, and
`tandem --help` lists the exit codes the commands keep to."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.connector.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "config"
BIN = Path(sys.executable).parent


def complete(words: str) -> list[str]:
    """What the bash script's function gets back for `words` (the last one being typed)."""
    env = {
        "_TANDEM_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
    }
    result = CliRunner().invoke(app, [], env=env, prog_name="tandem")
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_the_bash_script_names_tandem_and_the_protocol_it_completes_with() -> None:
    script = CliRunner().invoke(app, ["completion", "bash"])
    assert script.exit_code == 0, script.output
    assert "complete -o default -F _tandem_completion tandem" in script.stdout
    assert "_TANDEM_COMPLETE=complete_bash $1" in script.stdout
    assert complete("tandem sy") == ["sync"]
    assert complete("tandem catalogue se") == ["search"]
    assert {"--json", "--verbose", "--quiet", "--config"} <= set(complete("tandem sync --"))


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_a_command_with_the_script_sourced(tmp_path: Path) -> None:
    script = tmp_path / "tandem.bash"
    script.write_text(CliRunner().invoke(app, ["completion", "bash"]).stdout)
    typed = f"source {script}; COMP_WORDS=(tandem po l); COMP_CWORD=2; _tandem_completion tandem"
    done = subprocess.run(
        ["bash", "--norc", "-c", f'{typed}; printf "%s\\n" "${{COMPREPLY[@]}}"'],
        env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["list"], done.stderr


def test_the_other_shells_have_scripts_and_an_unknown_one_is_a_usage_error() -> None:
    for shell in ("zsh", "fish", "powershell"):
        script = CliRunner().invoke(app, ["completion", shell])
        assert script.exit_code == 0, script.output
        assert "_TANDEM_COMPLETE" in script.stdout and f"complete_{shell}" in script.stdout
    assert CliRunner().invoke(app, ["completion", "ksh"]).exit_code == 2


def test_help_lists_the_exit_codes() -> None:
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    codes = re.findall(r"^\s*(\d+): (\w+)", shown.stdout, re.MULTILINE)
    assert codes == [("0", "done"), ("1", "something"), ("2", "usage"), ("130", "interrupted")]
    assert "--install-completion" in shown.stdout


def test_commands_end_with_the_documented_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "config")
    config = str(tmp_path / "config" / "tandem.yaml")
    monkeypatch.setenv("TANDEM_DATABASE_URL", f"sqlite:///{tmp_path / 'tandem.db'}")

    def code(*args: str) -> int:
        return CliRunner().invoke(app, list(args)).exit_code

    assert code("config", "check", "--config", config) == 0
    assert code("po", "show", "PO-09999", "--config", config) == 1  # not found
    assert code("exceptions", "resolve", "9999", "--config", config) == 1
    assert code("synk", "--config", config) == 2  # no such command
    assert code("po", "list", "--status", "snet", "--config", config) == 2  # not a status
    assert code("config", "check", "--config", str(tmp_path / "missing.yaml")) == 2
    assert code("portal", "link", "--config", config) == 2  # neither a PO nor --supplier
