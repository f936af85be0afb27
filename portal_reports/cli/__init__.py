"""Command line interface: a thin layer over the library, one module per command group.

Exit codes: 0 ok, 1 a report/mail/other failure, 2 bad usage or input, 3 authentication,
4 not found, 5 the Portal failed (5XX, connection, invalid response).
"""

from __future__ import annotations

import sys

from . import (  # noqa: F401 - register commands
    attributes,
    email,
    fetch,
    portfolio,
    project,
    review,
    run,
    sandbox,
)
from .app import EXIT_CODES, PortalGroup, cli, exit_code_for, exit_stdout_closed

__all__ = ["EXIT_CODES", "PortalGroup", "cli", "exit_code_for", "main"]


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops as cleanly as Ctrl-C


def main() -> None:
    """Console-script entry point."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    try:
        cli(prog_name="portal-reports")
    finally:
        try:
            sys.stdout.flush()  # here, not in Python's exit, which reports a failure noisily
        except BrokenPipeError:
            exit_stdout_closed()
        except (OSError, ValueError):
            pass
