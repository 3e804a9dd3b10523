"""`tandem --help` and `tandem --version` answer without loading what only some commands use
(issue 14): the catalogue importer, the PDF library, the web stack, the platforms' clients, the
supplier channels, the database and the configuration. Checked on the modules a real `tandem`
process has loaded when it has answered; commands that need some of it load only that.

benchmarks/cli_startup.py measures the time; this checks what makes it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "config"

# `tandem ARGS` in a fresh interpreter; then the modules it loaded go, one a line, into the
# file named by TANDEM_TEST_MODULES.
PROBE = """
import os, runpy, sys
sys.argv = ["tandem", *sys.argv[1:]]
try:
    runpy.run_module("tandem.connector", run_name="__main__")
finally:
    with open(os.environ["TANDEM_TEST_MODULES"], "w") as out:
        out.write("\\n".join(sorted(sys.modules)))
"""

CATALOGUES = ("polars", "python_calamine")
PDF = ("fpdf", "fontTools", "uharfbuzz")
WEB = ("starlette", "uvicorn", "jinja2")
CLIENTS = (
    "shopify",
    "httpx",
    "tandem.adapters.shopify.client",
    "tandem.adapters.woocommerce.client",
)
CHANNELS = ("asyncssh", "aiosmtplib", "imapclient")
DATABASE = ("sqlalchemy", "alembic", "tandem.connector.store")
CONFIGURATION = ("pydantic", "yaml", "tandem.connector.configuration")
HEAVY = (*CATALOGUES, *PDF, *WEB, *CLIENTS, *CHANNELS, *DATABASE, *CONFIGURATION)


def run(tmp_path: Path, *args: str) -> tuple[str, set[str]]:
    """What `tandem ARGS` printed, and the modules it had loaded."""
    modules = tmp_path / "modules.txt"
    env = {
        **os.environ,
        "TANDEM_TEST_MODULES": str(modules),
        "TANDEM_DATABASE_URL": f"sqlite:///{tmp_path / 'tandem.db'}",
        "TANDEM_DATA": str(tmp_path),
        "COLUMNS": "200",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, set(modules.read_text().split())


def test_help_lists_every_group_and_loads_none_of_the_heavy_parts(tmp_path: Path) -> None:
    shown, loaded = run(tmp_path, "--help")
    for group in ("config", "po", "sync", "orders", "shopify", "woocommerce", "completion"):
        assert f" {group} " in shown, group
    assert [name for name in HEAVY if name in loaded] == []


def test_version_loads_none_of_the_heavy_parts(tmp_path: Path) -> None:
    shown, loaded = run(tmp_path, "--version")
    assert shown.startswith("tandem ")
    assert [name for name in HEAVY if name in loaded] == []


def test_a_platforms_commands_are_listed_without_its_client(tmp_path: Path) -> None:
    shown, loaded = run(tmp_path, "shopify", "--help")
    assert " connect " in shown and " webhooks " in shown
    assert [name for name in (*CLIENTS, *DATABASE) if name in loaded] == []


def test_commands_load_what_they_use_and_not_the_rest(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "config")
    config = str(tmp_path / "config" / "tandem.yaml")
    unused = (*CATALOGUES, *PDF, "starlette", "uvicorn", *CLIENTS, "asyncssh")

    shown, loaded = run(tmp_path, "config", "check", "--config", config)
    assert "configuration is valid" in shown
    assert "tandem.connector.configuration" in loaded  # the probe sees what a command loads
    # It reads the SQLite database's file from its URL without the database's libraries.
    assert f"database: {tmp_path / 'tandem.db'} (new: made on the first run)" in shown
    assert [name for name in (*unused, *DATABASE) if name in loaded] == []

    shown, loaded = run(tmp_path, "po", "list", "--config", config)
    assert "purchase order(s)" in shown
    assert "sqlalchemy" in loaded and "alembic" in loaded  # the database's first command
    assert [name for name in (*unused, "jinja2") if name in loaded] == []

    # Once the schema is the newest, a command asks the database which migration it is at
    # and no more: Alembic and its scripts stay unloaded.
    shown, loaded = run(tmp_path, "po", "list", "--config", config)
    assert "purchase order(s)" in shown
    assert [name for name in (*unused, "jinja2", "alembic") if name in loaded] == []
