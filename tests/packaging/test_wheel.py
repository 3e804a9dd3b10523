"""Tandem's wheel shares an environment: everything it installs lives under `tandem`, so a
package of any other name (there is an unrelated `adapters` on the package index) is left alone,
and the demo's test double and the optional drivers are not part of it."""

from __future__ import annotations

import subprocess
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.packaging.support import ROOT, Environment, build_wheel, new_environment, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(ROOT, tmp_path_factory.mktemp("wheel"))


def unrelated_adapters(at: Path) -> Path:
    """A wheel of someone else's package named `adapters`."""
    (at / "adapters").mkdir(parents=True)
    (at / "adapters" / "__init__.py").write_text('WHO = "someone else"\n', encoding="utf-8")
    (at / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "adapters"\nversion = "9.9"\n'
        '[tool.setuptools]\npackages = ["adapters"]\n',
        encoding="utf-8",
    )
    return build_wheel(at, at / "dist")


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Environment:
    env = new_environment(tmp_path_factory.mktemp("env"))
    env.install(unrelated_adapters(tmp_path_factory.mktemp("adapters")))
    env.install(wheel)
    return env


def test_everything_in_the_wheel_is_under_tandem(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"tandem"}
    assert "tandem/__init__.py" not in names  # a namespace others may share
    for data in (
        "tandem/connector/py.typed",
        "tandem/connector/store/migrations/env.py",
        "tandem/connector/store/migrations/script.py.mako",
        "tandem/connector/web/templates/dashboard/orders.html",
        "tandem/connector/store/migrations/versions/0001_initial_schema.py",
        "tandem/connector/web/static/dashboard.css",
        "tandem/adapters/suppliers/email/templates/po.txt.j2",
    ):
        assert data in names
    assert not [name for name in names if "standin" in name]


def test_the_wheel_needs_neither_the_demo_nor_a_postgres_driver(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        metadata_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    requires = metadata.get_all("Requires-Dist") or []
    always = {r.split(";")[0].strip() for r in requires if "extra ==" not in r}
    names = {r.split("[")[0].split(">")[0].split("=")[0].strip().lower() for r in always}
    assert {"graphql-core", "aiosmtpd", "psycopg", "tandem-shopify-standin"}.isdisjoint(names)
    assert {"pydantic", "sqlalchemy", "shopifyapi"} <= names
    assert {"postgres", "demo", "test", "dev"} <= set(metadata.get_all("Provides-Extra") or [])
    postgres = [r for r in requires if 'extra == "postgres"' in r]
    assert postgres and postgres[0].startswith("psycopg")


def test_an_unrelated_adapters_package_and_tandem_live_side_by_side(
    installed: Environment, tmp_path: Path
) -> None:
    shown = installed.python_run(
        "import adapters, tandem.adapters.shopify.platform as s, tandem.connector.platforms as p;"
        "print(adapters.WHO); print(sorted(p.registered())); print(s.__name__)",
        cwd=tmp_path,
    ).splitlines()
    assert shown == [
        "someone else",
        "['file', 'shopify', 'woocommerce']",
        "tandem.adapters.shopify.platform",
    ]


def test_the_installed_command_runs(installed: Environment) -> None:
    assert run(installed.bin / "tandem", "--version", env=installed.env()).strip() == (
        "tandem 0.1.0"
    )
    module = run(installed.python, "-m", "tandem.connector", "--version", env=installed.env())
    assert module.strip() == "tandem 0.1.0"


def test_tandem_demo_says_which_extra_to_install(installed: Environment, tmp_path: Path) -> None:
    done = subprocess.run(
        [installed.bin / "tandem", "demo", "--folder", tmp_path / "demo"],
        env=installed.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert "the demo store (tandem-shopify-standin)" in message
    assert "pip install 'tandem-connector[demo]'" in message
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "demo").exists()
