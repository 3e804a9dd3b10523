"""A database that cannot be reached is one line naming it (without its password) and why,
for every command, not a traceback; a database error shows no parameters (issue 11)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from tandem.connector.cli.app import app
from tandem.connector.cli.common import reported
from tandem.connector.store import Database, open_database
from tandem.connector.store.db import DatabaseUnreachable


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens on it once the socket is closed


def config_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "tandem.yaml"
    path.write_text(f"database_url: {url}\nstore:\n  platform: file\n")
    return path


@pytest.mark.parametrize(
    "command", [["sync"], ["plan"], ["po", "list"], ["exceptions", "list"], ["db", "upgrade"]]
)
def test_every_command_says_in_one_line_that_the_database_is_unreachable(
    tmp_path: Path, command: list[str]
) -> None:
    port = closed_port()
    url = f"postgresql+psycopg://tandem:secret@127.0.0.1:{port}/tandem"
    result = CliRunner().invoke(
        app, [*command, "--config", str(config_file(tmp_path, url))], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines() == [
        f"error: cannot reach the database postgresql://tandem@127.0.0.1:{port}/tandem:"
        " connection refused"
    ]
    assert "secret" not in result.output


def test_open_database_raises_a_tandem_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnreachable) as caught:
        open_database(f"postgresql+psycopg://u@127.0.0.1:{closed_port()}/db")
    assert str(caught.value).endswith(": connection refused")


def test_a_failing_statement_is_one_line_without_parameters(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit), reported(), sqlite_db.write() as conn:
        conn.execute(text("INSERT INTO orders (id) VALUES (:x)"), {"x": "ada@example.com"})
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: the database refused a statement: ")
    assert "ada@example.com" not in lines[0]


def test_postgresql_without_its_driver_says_which_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in [m for m in sys.modules if m == "psycopg" or m.startswith("psycopg.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as when the postgres extra is not installed
    url = "postgresql+psycopg://tandem:secret@127.0.0.1:5432/tandem"
    result = CliRunner().invoke(app, ["plan", "--config", str(config_file(tmp_path, url))])
    assert result.exit_code == 1
    assert "PostgreSQL needs its driver" in result.output
    assert "pip install 'tandem-connector[postgres]'" in result.output
    assert "secret" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
