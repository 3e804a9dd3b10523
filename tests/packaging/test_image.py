"""The container image, checked where no container engine is (`bash .ci/image-check` builds and
runs it where one is): the Dockerfile's stages, base, user, volume, health check and labels,
and that what it copies and installs exists; then what the image does, done on the wheel. The
wheel is installed where the image puts it, the files the image copies are laid out read-only
as it lays them, and the README's `docker run` commands run with the image's environment, its
paths moved onto a temporary folder: the bundled example's POs are emailed into the data volume
with their CJK names intact, nothing else is written, and `tandem run` passes the image's health
check."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import time
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from sqlalchemy.engine import make_url

from tests.packaging import dockerfile
from tests.packaging.support import (
    ROOT,
    Environment,
    build_wheel,
    example_output_problems,
    new_environment,
    run,
)

pytestmark = pytest.mark.slow

DOCKERFILE = dockerfile.read(ROOT / "Dockerfile")
BUILD, RUNTIME = DOCKERFILE.stages[0], DOCKERFILE.stages[-1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
IMAGE_ENV = RUNTIME.pairs("ENV")
(VOLUME,) = json.loads(RUNTIME.last("VOLUME").text)
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def commands(stage: dockerfile.Stage) -> list[list[str]]:
    """The commands of a stage's RUN instructions, each split as the shell splits it."""
    found: list[list[str]] = []
    for instruction in stage.all("RUN"):
        for command in instruction.text.split("&&"):
            found.append(shlex.split(command))
    return found


def option(command: list[str], name: str) -> str:
    assert name in command, f"{name} missing from {shlex.join(command)}"
    return command[command.index(name) + 1]


def copied_from_build() -> str:
    """The one thing the runtime takes from the build stage: the virtual environment."""
    copies = [c.words() for c in RUNTIME.all("COPY") if c.text.startswith("--from")]
    assert copies == [[f"--from={BUILD.name}", copies[0][1], copies[0][1]]], copies
    return copies[0][1]


VENV = copied_from_build()


def test_the_image_is_built_in_two_stages_on_one_base_pinned_by_digest() -> None:
    assert len(DOCKERFILE.stages) == 2
    assert BUILD.base == RUNTIME.base
    pinned = re.fullmatch(r"python:(3\.\d+)-slim-bookworm@sha256:[0-9a-f]{64}", RUNTIME.base)
    assert pinned, f"{RUNTIME.base} is not a slim Python base pinned by digest"
    assert SpecifierSet(PROJECT["requires-python"]).contains(f"{pinned[1]}.0")
    assert IMAGE_ENV["PATH"] == f"{VENV}/bin:$PATH"  # the environment's `tandem` and python


def lock_pins(name: str) -> dict[str, str]:
    """A lock's pins, each checked to carry its hashes."""
    pins: dict[str, str] = {}
    text = (ROOT / name).read_text(encoding="utf-8")
    for block in re.split(r"\n(?=\S)", text):
        if block.startswith("#"):
            continue
        pinned = re.match(r"([\w.-]+)==(\S+)", block)
        assert pinned, f"{name}: {block.splitlines()[0]!r} is not pinned"
        assert "--hash=sha256:" in block, f"{name}: {pinned[0]} has no hash"
        pins[canonicalize_name(pinned[1])] = pinned[2]
    return pins


def test_the_build_installs_the_locks_by_hash_then_the_wheel_alone_into_the_environment() -> None:
    pips = [c for c in commands(BUILD) if Path(c[0]).name == "pip"]
    locks = {option(c, "-r"): c for c in pips if "-r" in c}
    assert set(locks) == {"requirements/build.lock", "requirements/runtime.lock"}
    for lock, command in locks.items():
        assert "--require-hashes" in command and "--no-deps" in command
        assert lock_pins(lock)
    # What builds the wheels (Tandem's, and the one dependency published as source only) is
    # what pyproject.toml asks for, locked.
    build_pins = lock_pins("requirements/build.lock")
    for text in PYPROJECT["build-system"]["requires"]:
        requirement = Requirement(text)
        assert requirement.specifier.contains(build_pins[canonicalize_name(requirement.name)])
    dependencies = option(locks["requirements/runtime.lock"], "-w")
    (tandem,) = [option(c, "-w") for c in pips if c[1] == "wheel" and c[-1] == "."]
    installs = {c[-1]: c for c in pips if "install" in c and "--python" in c}
    assert set(installs) == {f"{dependencies}/*.whl", f"{tandem}/*.whl"}
    for command in installs.values():
        assert option(command, "--python") == f"{VENV}/bin/python"
        assert "--no-index" in command and "--no-deps" in command


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore's `patterns` keep `path` (or a folder above it) out of the build."""

    def regex(pattern: str) -> str:
        parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern.strip("/"))
        table = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
        return "".join(table.get(part, re.escape(part)) for part in parts)

    names = path.split("/")
    prefixes = ["/".join(names[: i + 1]) for i in range(len(names))]
    return any(re.fullmatch(regex(p), prefix) for p in patterns for prefix in prefixes)


def test_everything_the_image_copies_is_in_the_build_context() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not [p for p in patterns if p.startswith("!")]  # `ignored` knows no exceptions
    for stage in DOCKERFILE.stages:
        for copy in stage.all("COPY"):
            *sources, _ = [word for word in copy.words() if not word.startswith("--")]
            if copy.text.startswith("--from"):
                continue
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                assert not ignored(source, patterns), f"COPY {source}: in .dockerignore"
    # What the quick start leaves in a checkout stays out of the image's example.
    for leftover in ("config/tandem.db", "config/tandem.db-wal", "var/mail/PO-00001.eml"):
        assert ignored(leftover, patterns)


def test_the_image_runs_as_a_user_who_is_not_root_and_owns_only_the_data_volume() -> None:
    user = RUNTIME.last("USER")
    uid, _, gid = user.text.partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0
    # Nothing runs as root after the switch, and the image's own process never does.
    assert RUNTIME.instructions.index(user) > RUNTIME.instructions.index(RUNTIME.all("RUN")[-1])
    made = commands(RUNTIME)
    assert any(c[0] == "useradd" and option(c, "--uid") == uid for c in made)
    (owned,) = [c for c in made if c[:2] == ["install", "-d"]]
    assert owned[-1] == VOLUME and option(owned, "-o") == uid
    assert RUNTIME.last("WORKDIR").text == VOLUME
    assert IMAGE_ENV["TANDEM_DATA"] == VOLUME
    database = make_url(IMAGE_ENV.get("TANDEM_DATABASE_URL", "sqlite://")).database
    assert database and Path(database).parent == Path(VOLUME), "the database is not in the volume"


def test_the_labels_name_tandem_its_version_licence_and_source() -> None:
    args = RUNTIME.pairs("ARG")
    labels = {
        name.removeprefix("org.opencontainers.image."): re.sub(
            r"\$\{(\w+)\}", lambda m: args[m[1]], value
        )
        for name, value in RUNTIME.pairs("LABEL").items()
    }
    assert {"title", "description", "version", "licenses", "source", "revision"} <= set(labels)
    assert labels["title"] == "Tandem"
    assert labels["version"] == PROJECT["version"]
    assert labels["licenses"] == PROJECT["license"]["text"]
    assert labels["description"] == PROJECT["description"]


def test_the_image_installs_the_fonts_the_po_pdfs_are_printed_in() -> None:
    from tandem.adapters.suppliers.email.fonts import fallback_fonts, unicode_font

    if not (CJK_FONT.is_file() and shutil.which("dpkg")) and not os.environ.get("CI"):
        pytest.skip("needs Debian's fonts-noto-cjk to see which packages the fonts come from")
    used = [*(unicode_font() or ()), *(face.path for face in fallback_fonts("JP"))]
    assert CJK_FONT in used
    apt = [c for c in commands(RUNTIME) if c[:2] == ["apt-get", "install"]]
    installed = {word for c in apt for word in c[2:] if not word.startswith("-")}
    for path in used:
        package = run("dpkg", "-S", path.resolve()).split(":")[0]
        assert package in installed, f"{path} comes from {package}, which the image lacks"


@dataclass
class Image:
    """What the image holds, laid out under `root`: its environment (the wheel installed the
    way the build stage installs it) and what the runtime stage copies, read-only."""

    root: Path
    env: Environment

    def path(self, in_image: str) -> Path:
        return self.root / in_image.lstrip("/")

    def environment(self) -> dict[str, str]:
        """The image's ENV with its paths moved under `root`, as a container has it."""
        paths = sorted(
            {VENV, VOLUME, *(c.words()[-1] for c in RUNTIME.all("COPY"))}, key=len, reverse=True
        )

        def on_host(value: str) -> str:
            for in_image in paths:
                value = re.sub(rf"{re.escape(in_image)}(?=/|:|$)", str(self.path(in_image)), value)
            return value.replace("$PATH", os.environ["PATH"])

        moved = {name: on_host(value) for name, value in IMAGE_ENV.items()}
        return {"HOME": str(self.path(VOLUME)), "LANG": "C.UTF-8", **moved}

    def program(self, name: str, env: dict[str, str]) -> Path:
        """`name` as the image's PATH finds it: in its environment."""
        found = shutil.which(name, path=env["PATH"])
        assert found and Path(found).parent == self.path(VENV) / "bin", found
        return Path(found)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    root = tmp_path_factory.mktemp("image")
    wheel = build_wheel(ROOT, tmp_path_factory.mktemp("dist"))
    assert RUNTIME.last("ENTRYPOINT").words()[0] in console_scripts(wheel)
    built = Image(root, new_environment(root / VENV.lstrip("/")))
    built.env.install(wheel)
    for copy in RUNTIME.all("COPY"):
        if not copy.text.startswith("--from"):
            source, target = copy.words()
            shutil.copytree(ROOT / source, built.path(target))
            read_only(built.path(target))
    built.path(VOLUME).mkdir()
    return built


def console_scripts(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(name).decode()
    section = text.split("[console_scripts]")[1].split("\n[")[0]
    return {line.split("=")[0].strip() for line in section.splitlines() if "=" in line}


def read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def snapshot(image: Image) -> set[tuple[str, int, int]]:
    """Every file and folder of the image outside its volume, with its size and mtime."""
    volume = image.path(VOLUME)
    return {
        (str(path.relative_to(image.root)), path.lstat().st_size, path.lstat().st_mtime_ns)
        for path in image.root.rglob("*")
        if volume not in (path, *path.parents)
    }


def written(before: set[tuple[str, int, int]], after: set[tuple[str, int, int]]) -> list[str]:
    return sorted({name for name, *_ in before ^ after})


def readme_command(what: str) -> list[str]:
    """The arguments after the image's name in README's `docker run --rm … tandem <what> …`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(rf"^\s*docker run --rm (?:-\S+ \S+ )*tandem ({what}\b.*)$", readme, re.M)
    assert found, f"README shows no `docker run --rm ... tandem {what}`"
    return shlex.split(found[0])


def need_cjk_font() -> None:
    if not CJK_FONT.is_file() and not os.environ.get("CI"):
        pytest.skip("fonts-noto-cjk is not installed")


def test_the_example_run_as_the_image_runs_it_sends_its_pos_into_the_data_volume(
    image: Image,
) -> None:
    need_cjk_font()
    env = image.environment()
    data = image.path(VOLUME)
    tandem = image.program(RUNTIME.last("ENTRYPOINT").words()[0], env)
    before = snapshot(image)

    run(tandem, *readme_command("sync"), cwd=data, env=env)
    pos = json.loads(run(tandem, "po", "list", "--json", cwd=data, env=env))

    assert written(before, snapshot(image)) == []  # outside the volume, nothing changes
    database = make_url(env.get("TANDEM_DATABASE_URL", "sqlite://")).database
    assert database and Path(database).parent == data and Path(database).is_file()
    assert example_output_problems(data / "mail", pos) == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_image_command_serves_healthz_and_passes_the_images_health_check(
    image: Image, tmp_path: Path
) -> None:
    env = image.environment()
    command = RUNTIME.last("CMD").words()
    port, served = option(command, "--port"), str(free_port())
    command[command.index("--port") + 1] = served
    command[command.index("--host") + 1] = "127.0.0.1"  # the image listens on every address
    assert RUNTIME.last("EXPOSE").text == port
    options, _, probe_text = RUNTIME.last("HEALTHCHECK").text.partition("CMD ")
    assert "--start-period" in options
    probe = [word.replace(f":{port}/", f":{served}/") for word in json.loads(probe_text)]
    assert f"http://127.0.0.1:{served}/healthz" in " ".join(probe)
    probe[0] = str(image.program(probe[0], env))  # no curl: the image's own python

    def healthy() -> bool:
        done = subprocess.run(probe, env=env, capture_output=True, timeout=10, check=False)
        return done.returncode == 0

    assert not healthy()  # nothing answers yet
    tandem = image.program(RUNTIME.last("ENTRYPOINT").words()[0], env)
    log = tmp_path / "tandem.log"
    with log.open("wb") as out:
        daemon = subprocess.Popen(
            [tandem, *command], cwd=image.path(VOLUME), env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        while not healthy():
            assert daemon.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.5)
    finally:
        daemon.send_signal(signal.SIGTERM)  # what `docker stop` sends
        code = daemon.wait(timeout=30)
    assert code == 0, log.read_text(encoding="utf-8")
