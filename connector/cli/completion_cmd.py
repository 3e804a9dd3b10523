"""`tandem completion bash|zsh|fish|powershell`: the shell's completion script for `tandem`.

`tandem --install-completion` installs it for the shell it runs in; this prints it for any
shell, e.g. `tandem completion bash > ~/.local/share/bash-completion/completions/tandem`.
"""

from __future__ import annotations

from typing import Annotated

import typer

# Typer's own script templates, which `--show-completion` prints for the current shell.
from typer._completion_shared import Shells, get_completion_script

PROG = "tandem"


def completion_command(
    shell: Annotated[Shells, typer.Argument(help="The shell to complete `tandem` in.")],
) -> None:
    """Print the shell's completion script for tandem (commands, options, values)."""
    typer.echo(
        get_completion_script(prog_name=PROG, complete_var="_TANDEM_COMPLETE", shell=shell.value)
    )
