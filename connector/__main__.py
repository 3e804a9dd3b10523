"""Tandem's entry point (`tandem`, or `python -m tandem.connector`): the command line, ended quietly
when Ctrl-C comes before a command has started.

Loading the command line takes a moment (Typer, Rich; each command imports what it uses
itself), and a Ctrl-C meanwhile would end in a traceback; so this module imports nothing of
Tandem until it is inside the `try`. Once a command runs, Typer turns Ctrl-C into exit code 130
without a word; this module then says the one line, whenever the key was pressed.
"""

from __future__ import annotations

import sys
import warnings

INTERRUPTED = "tandem: stopped by Ctrl-C"
INTERRUPTED_CODE = 130


def main() -> None:
    # asyncssh still names DSA keys, which the cryptography package warns about on import:
    # nothing a user can act on, and a line that is not JSON in the daemon's log.
    warnings.filterwarnings("ignore", message="DSA is deprecated", module="asyncssh")
    try:
        from tandem.connector.cli.app import app

        app()
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        raise SystemExit(130) from None
    except SystemExit as exit:
        if exit.code == INTERRUPTED_CODE:
            print(INTERRUPTED, file=sys.stderr)
        raise


if __name__ == "__main__":
    main()
