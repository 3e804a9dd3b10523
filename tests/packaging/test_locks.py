"""The locks CI and the image install from (requirements/*.lock) pin exactly what pyproject.toml
asks for: every requirement pinned at a version it accepts, the image's lock with hashes and
without the demo's or the tests' packages. After changing a requirement, regenerate them with
the commands at the top of each lock."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.packaging.support import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SELF = canonicalize_name(PROJECT["name"])
LOCAL = {canonicalize_name("tandem-shopify-standin")}  # from this repository, not the index


def pins(lock: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / "requirements" / lock).read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split(" ")[0].split("==")
            found[canonicalize_name(name.split("[")[0])] = version
    return found


def requirements(*extras: str) -> list[Requirement]:
    """The project's requirements with `extras`, following its references to itself."""
    wanted, seen, found = list(extras), set(), [Requirement(r) for r in PROJECT["dependencies"]]
    while wanted:
        extra = wanted.pop()
        seen.add(extra)
        for text in PROJECT["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == SELF:
                wanted += [e for e in requirement.extras if e not in seen]
            else:
                found.append(requirement)
    return found


def unmet(lock: str, *extras: str) -> list[str]:
    pinned = pins(lock)
    problems = []
    for requirement in requirements(*extras):
        name = canonicalize_name(requirement.name)
        if name in LOCAL:
            continue
        if name not in pinned:
            problems.append(f"{requirement} is not in {lock}")
        elif not requirement.specifier.contains(pinned[name], prereleases=True):
            problems.append(f"{requirement} does not accept {name}=={pinned[name]} in {lock}")
    return problems


def test_the_development_lock_pins_every_requirement() -> None:
    assert unmet("dev.lock", "dev") == []
    assert "tandem-shopify-standin" not in pins("dev.lock")  # installed from packages/


def test_the_image_lock_pins_the_runtime_with_hashes_and_nothing_of_the_tests() -> None:
    assert unmet("runtime.lock", "postgres") == []
    pinned = set(pins("runtime.lock"))
    assert {"graphql-core", "aiosmtpd", "pytest", "ruff"}.isdisjoint(pinned)
    text = (ROOT / "requirements" / "runtime.lock").read_text(encoding="utf-8")
    assert text.count("--hash=sha256:") >= len(pinned)
