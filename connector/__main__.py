"""Tandem's entry point (`tandem`, or `python -m tandem.connector`): the command line, ended quietly
when Ctrl-C comes before a command has started.

Loading the command line takes a moment (SQLAlchemy, pydantic, Typer), and a Ctrl-C meanwhile
would end in a traceback; so this module imports nothing of Tandem until it is inside the
`try`. Once a command runs, Typer answers Ctrl-C itself (exit code 130).
"""

from __future__ import annotations

import sys
import warnings

# Also the line `tandem demo` prints when Ctrl-C comes before Tandem itself answers it.
INTERRUPTED = "tandem: stopped by Ctrl-C"


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


if __name__ == "__main__":
    main()
