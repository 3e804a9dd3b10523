"""`tandem --version` says which Tandem is installed; `-h` is `--help` everywhere."""

from __future__ import annotations

from importlib.metadata import version

from typer.testing import CliRunner

from tandem.connector.cli.app import app


def test_version_prints_the_installed_package_version() -> None:
    for flag in ("--version", "-V"):
        result = CliRunner().invoke(app, [flag])
        assert result.exit_code == 0, result.output
        assert result.output == f"tandem {version('tandem-connector')}\n"


def test_h_is_help_for_the_application_and_its_commands() -> None:
    top = CliRunner().invoke(app, ["-h"])
    assert top.exit_code == 0 and "--version" in top.output
    sub = CliRunner().invoke(app, ["catalogue", "-h"])
    assert sub.exit_code == 0 and "Usage: tandem catalogue" in sub.output
