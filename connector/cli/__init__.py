"""The `tandem` command line (Typer). Each command group lives in its own module."""

from connector.cli.app import app, main

__all__ = ["app", "main"]
