"""The `tandem` command line (Typer). Each command group lives in its own module; the
entry point that runs it is `connector.__main__`."""

from connector.__main__ import main
from connector.cli.app import app

# `main` stays here for `tandem` scripts installed before the entry point moved.
__all__ = ["app", "main"]
