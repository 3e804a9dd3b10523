"""What every command takes besides its own options: -v/--verbose and -q/--quiet, given before
the command's name (`tandem -v sync`) or after it (`tandem sync -v`); and the exit codes.

-v logs at DEBUG, -q prints nothing on stdout (no summary, no table, no progress bar) and logs
only errors; messages on stderr and `--json` output stay, and the exit code tells the outcome.
Without either, logging is left as it was (each command's own: `tandem run --log-level`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from tandem.connector.cli.common import console

# Paragraphs (help shows each on its own line); what the commands return, all of them.
EXIT_CODES = "\n\n".join(
    (
        "Exit codes:",
        "0: done (tandem run: stopped by SIGTERM or Ctrl-C).",
        "1: something was rejected, failed or not found: an input row or order, a step of the"
        " job, a PO, supplier or exception, an action Tandem refused, the database"
        " (catalogue search: no offer matches).",
        "2: usage or configuration: an unknown command or option, an option value that cannot"
        " be used, a configuration with problems (tandem config check lists them).",
        "130: interrupted by Ctrl-C.",
    )
)
VERBOSE_HELP = "Log more (DEBUG), on stderr. Before or after the command's name."
QUIET_HELP = "Print only errors; the exit code tells the outcome (--json output stays)."


class _Chosen:
    verbose = False
    quiet = False


def use(*, verbose: bool = False, quiet: bool = False, fresh: bool = False) -> None:
    """Apply -v/-q: `fresh` at the start of a command line, then once more for each given
    after the command's name."""
    if fresh:
        _Chosen.verbose = _Chosen.quiet = False
    _Chosen.verbose |= verbose
    _Chosen.quiet |= quiet
    if _Chosen.verbose and _Chosen.quiet:
        raise typer.BadParameter("-v/--verbose and -q/--quiet do not go together")
    console.quiet = _Chosen.quiet
    if verbose or quiet:
        from tandem.connector.daemon.logs import setup_logging

        setup_logging(log_level("WARNING"))


def log_level(default: str) -> str:
    """The log level -v or -q asks for, else `default`."""
    return "DEBUG" if _Chosen.verbose else "ERROR" if _Chosen.quiet else default


def done() -> None:
    """The command line has run: what it chose is forgotten (for the next one in-process)."""
    _Chosen.verbose = _Chosen.quiet = False
    console.quiet = False


Verbose = Annotated[bool, typer.Option("--verbose", "-v", help=VERBOSE_HELP)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)]
_AFTER = tuple(
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=False, annotation=option)
    for name, option in (("_verbose_after", Verbose), ("_quiet_after", Quiet))
)


def on_every_command(app: typer.Typer) -> None:
    """Let every command of `app` and of its groups take -v and -q after its name too. Typer
    reads a command's options from its callback's signature: each callback is wrapped in one
    that declares them as well, and hands them to `use` before the command runs."""
    for info in app.registered_commands:
        if info.callback is not None:
            info.callback = _taking_output_options(info.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            on_every_command(group.typer_instance)


def _taking_output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(command, "_takes_output_options", False):
        return command
    signature = inspect.signature(command, eval_str=True)

    @functools.wraps(command)
    def wrapped(*args: Any, _verbose_after: bool, _quiet_after: bool, **kwargs: Any) -> Any:
        use(verbose=_verbose_after, quiet=_quiet_after)
        return command(*args, **kwargs)

    params = [*signature.parameters.values(), *_AFTER]
    wrapped.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapped.__annotations__ = {p.name: p.annotation for p in params}
    wrapped._takes_output_options = True  # type: ignore[attr-defined]
    return wrapped
