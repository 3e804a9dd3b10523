"""The `tandem` command line (Typer). Each command group lives in its own module; the
entry point that runs it is `connector.__main__`."""

from tandem.connector.cli.app import app

__all__ = ["app"]
