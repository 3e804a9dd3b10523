"""Where Tandem's import packages come from (the rest of the metadata is in pyproject.toml).

They live under `tandem` (`tandem.connector`, `tandem.adapters`) so that nothing else in an
environment is shadowed, while their folders stay `connector/` and `adapters/` at the top of the
repository. pyproject.toml cannot put a prefix on the packages it finds, hence this file.
"""

from setuptools import find_namespace_packages, setup

FOLDERS = ("connector", "adapters")


def packages_in(folder: str) -> list[str]:
    found = find_namespace_packages(folder, exclude=["*__pycache__*"])
    return [f"tandem.{folder}"] + [f"tandem.{folder}.{name}" for name in found]


setup(
    package_dir={f"tandem.{folder}": folder for folder in FOLDERS},
    packages=[name for folder in FOLDERS for name in packages_in(folder)],
)
