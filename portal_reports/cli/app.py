"""The ``portal-reports`` click group: errors become one-line messages and exit codes here.

Exit codes: 0 ok, 1 a report/mail/other failure, 2 bad usage or input, 3 authentication,
4 not found, 5 the Portal failed (5XX, connection, invalid response).
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from ..errors import (
    AttributeValidationError,
    AuthError,
    BadRequestError,
    ConfigError,
    InvalidResponseError,
    NotFoundError,
    PortalConnectionError,
    PortalError,
    RateLimitError,
    ServerError,
)

EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (ConfigError, 2),
    (AttributeValidationError, 2),
    (BadRequestError, 2),
    (AuthError, 3),
    (NotFoundError, 4),
    (ServerError, 5),
    (RateLimitError, 5),
    (PortalConnectionError, 5),
    (InvalidResponseError, 5),
]


def exit_code_for(exc: BaseException) -> int:
    """The process exit code for a library exception."""
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return 1


def _configure_logging() -> None:
    """Library warnings (e.g. retries) as short lines on stderr; never headers or secrets."""
    import logging

    logger = logging.getLogger("portal_reports")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)


class PortalGroup(click.Group):
    """A click group that turns any :class:`PortalError` into ``Error: <one line>``."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except PortalError as exc:
            message = " ".join(str(exc).split())
            click.echo(f"Error: {message}", err=True)
            sys.exit(exit_code_for(exc))
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see main): workers are already stopped
            click.echo("Error: interrupted; files written so far are complete", err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)  # do not wait for a fetch still running in a background thread


@click.group(cls=PortalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="portal-reports")
def cli() -> None:
    """Monthly Portal reports: fetch data, run notebooks, export HTML/PDF, email them.

    Connection settings come from PORTAL_BASE_URL, PORTAL_SECRET and PORTAL_CUSTOMER_ID (or a
    .env file). With none set, the embedded sandbox Portal is used.
    """
    _configure_logging()


# Commands are added below, one block per area. Subgroups must use cls=PortalGroup too
# (click.group(cls=PortalGroup)) so their errors are reported the same way.
