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


def _in_ignored_callback(frame: object) -> bool:
    """Whether ``frame`` is importlib's module-lock weakref callback, where CPython prints
    "Exception ignored in: ..._get_module_lock.<locals>.cb" and drops a KeyboardInterrupt."""
    code = getattr(frame, "f_code", None)
    return code is not None and code.co_name == "cb" and "importlib" in code.co_filename


def _interrupt(signum: int, frame: object) -> None:
    """Ctrl-C (and SIGTERM) as KeyboardInterrupt, raised where it cannot be lost: landing in
    a callback whose exceptions CPython ignores, it is raised again a moment later."""
    import signal

    if _in_ignored_callback(frame):
        signal.setitimer(signal.ITIMER_REAL, 0.01)  # SIGALRM comes back here, outside it
        return
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    import signal

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGALRM, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM stops as cleanly as Ctrl-C
    try:
        cli(prog_name="portal-reports")
    finally:
        try:
            sys.stdout.flush()  # here, not in Python's exit, which reports a failure noisily
        except BrokenPipeError:
            exit_stdout_closed()
        except (OSError, ValueError):
            pass
