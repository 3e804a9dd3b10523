"""Tandem as an operator installs it: its wheel, built from this checkout, in an environment of
its own (not the editable install the other tests run on)."""

from __future__ import annotations

import email
import io
import os
import subprocess
import sys
import sysconfig
import unicodedata
import venv
from dataclasses import dataclass
from email import policy
from pathlib import Path
from typing import Any

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """A command's output; its output and errors in the failure when it fails."""
    done = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(source: Path, into: Path) -> Path:
    """The wheel of the project at `source`, built with this environment's setuptools."""
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
        "-w", into, source)  # fmt: skip
    (wheel,) = into.glob("*.whl")
    return wheel


@dataclass
class Environment:
    """A new virtual environment. Tandem's dependencies come from the one running the tests (a
    `.pth` line puts its site-packages last on the path, without running its import hooks, so
    the editable Tandem there stays invisible); what is installed here comes first."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def install(self, *wheels: Path) -> None:
        run(sys.executable, "-m", "pip", "--python", self.python, "install", "-q", "--no-deps",
            "--no-index", *wheels)  # fmt: skip

    def python_run(self, code: str, cwd: Path) -> str:
        return run(self.python, "-c", code, cwd=cwd, env=self.env())

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return env | extra


def new_environment(at: Path) -> Environment:
    venv.create(at, with_pip=False)
    env = Environment(at)
    purelib = Path(
        subprocess.check_output(
            [env.python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            text=True,
        ).strip()
    )
    (purelib / "_tandem_test_dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    return env


def mailed_pdf_text(eml: Path) -> str:
    """The text of the PDFs attached to a PO email (an .eml file)."""
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    pages = [
        page.extract_text()
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
        for page in PdfReader(io.BytesIO(part.get_content())).pages
    ]
    # pypdf puts a NUL before each character of a CFF font (Noto Sans CJK); the rest is right.
    return "\n".join(pages).replace("\x00", "")


def is_cjk(text: str) -> bool:
    scripts = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")
    return any(unicodedata.name(char, "").startswith(scripts) for char in text)


def example_output_problems(mail: Path, pos: list[dict[str, Any]]) -> list[str]:
    """What is wrong with what the bundled example sent, given `tandem po list --json`: every
    sent PO is an .eml in `mail` whose PDF prints its ship-to intact, one in CJK script."""
    sent = {str(po["number"]): po["ship_to"] or {} for po in pos if po["status"] == "sent"}
    mailed = {path.name.split(".")[0]: path for path in mail.glob("*.eml")}
    problems = [] if sent else ["no PO was sent"]
    if set(mailed) != set(sent):
        problems.append(f"the POs sent are {sorted(sent)} but {mail} holds {sorted(mailed)}")
    names = {
        number: ship_to.get("name") or ship_to.get("company") for number, ship_to in sent.items()
    }
    for number, name in names.items():
        if number in mailed and name and name not in mailed_pdf_text(mailed[number]):
            problems.append(f"the PDF of {number} does not print its ship-to {name!r}")
    if not any(name and is_cjk(name) for name in names.values()):
        problems.append(
            f"no PO sent ships to a name in CJK script: {sorted(map(str, names.values()))}"
        )
    return problems
