"""The ``portal-reports`` click group: errors become one-line messages and exit codes here.

Exit codes: 0 ok, 1 a report/mail/other failure, 2 bad usage or input, 3 authentication,
4 not found, 5 the Portal failed (5XX, connection, invalid response).
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

import click
from click.core import ParameterSource

from .. import __version__
from .._text import one_line, scrub
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


ENV_DEBUG = "PORTAL_REPORTS_DEBUG"


def _fail(message: str, code: int) -> None:
    """Print ``Error: <one line>`` on stderr and exit with ``code``."""
    click.echo(f"Error: {one_line(message)}", err=True)
    sys.exit(code)


#: Exit status after stdout was closed by its reader (``portal-reports ... | head -1``): what a
#: shell shows for a command killed by SIGPIPE, 128 + 13. Python ignores SIGPIPE (so that a
#: closed socket is an error, not death); the broken pipe is ended here instead.
EXIT_STDOUT_CLOSED = 141


def _stdout_closed() -> bool:
    """Whether stdout is a pipe (or socket) whose reader has gone: a ``BrokenPipeError`` is
    then about stdout, not a connection of ours."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (e.g. captured)
        return False
    try:
        import select

        poller = select.poll()
    except (ImportError, AttributeError):  # no poll(): assume it was stdout
        return True
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def exit_stdout_closed() -> NoReturn:
    """Stop quietly after the reader of stdout went away, as ``cat`` or ``seq`` do: no message
    (nobody reads it), no traceback, exit :data:`EXIT_STDOUT_CLOSED`. Output still buffered
    goes to /dev/null (else Python's exit flush fails again, noisily, exit 120); files being
    written by other threads are removed (the Python docs' recipe, plus our atomic writes)."""
    from .._io import discard_unfinished_writes

    discard_unfinished_writes()
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(EXIT_STDOUT_CLOSED)  # like Ctrl-C: do not wait for a fetch still running in a thread


def _usage_error(exc: click.ClickException) -> None:
    """A click usage error (unknown option, bad value, missing argument) as one line."""
    ctx = getattr(exc, "ctx", None)
    hint = (
        f" (see '{ctx.command_path} --help')" if isinstance(exc, click.UsageError) and ctx else ""
    )
    message = exc.format_message()
    _fail((message[:-1] if hint and message.endswith(".") else message) + hint, exc.exit_code)


def _secrets() -> list[str]:
    """Secrets that must not reach the terminal even in an unexpected error's message."""
    from ..settings import ENV_BASE_URL, ENV_SECRET, split_url_credentials

    found = [os.environ.get(ENV_SECRET), os.environ.get("SMTP_PASSWORD")]
    with contextlib.suppress(PortalError):
        found += list(split_url_credentials(os.environ.get(ENV_BASE_URL) or "")[1] or ())
    return [s for s in found if s]


#: Options whose value may be empty text (an attribute's value, title or description; an
#: empty search). Any other option given as "" is a usage error, not a silent default: an
#: empty --month must not mean the previous month, nor an empty --customer the whole account.
EMPTY_ALLOWED = frozenset({"value", "title", "description", "query"})
_CHECKED_LATER = frozenset({"start", "end"})  # --from/--to: "bad date-time ''" from the command
_MONTHS = frozenset({"month", "end_month"})  # "bad month '': expected YYYY-MM, ..."


class PortalCommand(click.Command):
    """A command that refuses options given as empty text (except :data:`EMPTY_ALLOWED`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        for param in self.params:
            if not isinstance(param, click.Option) or param.is_flag or param.name is None:
                continue
            if param.name in EMPTY_ALLOWED | _CHECKED_LATER:
                continue
            if ctx.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE:
                continue
            value = ctx.params.get(param.name)
            values = value if isinstance(value, tuple | list) else (value,)
            if any(isinstance(v, str) and not v.strip() for v in values):
                if param.name in _MONTHS:
                    from ..dates import parse_month

                    parse_month(str(value))  # the month's own one-line error (ConfigError)
                raise click.BadParameter("must not be empty", ctx=ctx, param=param)
        return rest


class PortalGroup(click.Group):
    """A click group whose every error is one line on stderr: ``Error: <what went wrong>``.

    :class:`PortalError` exits with its code (:func:`exit_code_for`), click's usage errors
    with 2 (naming ``--help``), anything unexpected with 1 (its traceback only with
    ``PORTAL_REPORTS_DEBUG=1``).
    """

    command_class = PortalCommand

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[override]
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise  # a bare group shows its help
        except click.ClickException as exc:
            _usage_error(exc)
        except BrokenPipeError:  # --help or --version into a closed pipe
            exit_stdout_closed()

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.ClickException as exc:
            _usage_error(exc)
        except PortalError as exc:
            _fail(str(exc), exit_code_for(exc))
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see main): workers are already stopped
            from .._io import discard_unfinished_writes

            discard_unfinished_writes()  # a fetch thread may be halfway through one
            click.echo("Error: interrupted; files written so far are complete", err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)  # do not wait for a fetch still running in a background thread
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError as exc:  # `... | head -1`: the reader of stdout has gone
            if not _stdout_closed():
                _unexpected(exc)  # a broken connection of ours, not stdout
            exit_stdout_closed()
        except OSError as exc:  # a file or folder we cannot use: the user's to fix (exit 2)
            if os.environ.get(ENV_DEBUG) or exc.filename is None:
                _unexpected(exc)
            where = exc.filename if exc.filename2 is None else f"{exc.filename} -> {exc.filename2}"
            _fail(scrub(f"{where}: {exc.strerror or type(exc).__name__}", *_secrets()), 2)
        except Exception as exc:  # a bug or an unforeseen input: still one line, no traceback
            _unexpected(exc)


def _unexpected(exc: Exception) -> None:
    """A bug or an unforeseen input: still one line, no traceback (unless debugging)."""
    if os.environ.get(ENV_DEBUG):
        raise exc
    _fail(
        scrub(f"unexpected {type(exc).__name__}: {exc}", *_secrets())
        + f" (set {ENV_DEBUG}=1 to see the traceback)",
        1,
    )


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


def month_runs_options(command):  # noqa: ANN001, ANN201 - a click decorator
    """``--customer`` and ``--reports-dir``: the options of commands working on a month's run
    folders (``email``, ``approve``)."""
    command = click.option(
        "--reports-dir",
        default=None,
        type=click.Path(file_okay=False),
        help="Where the runner wrote <month>/<customer>/ (default: the project's reports/, "
        "else ./reports).",
    )(command)
    return click.option(
        "--customer",
        "customers",
        multiple=True,
        help="External customer id (repeatable, or comma-separated). "
        "Default: every customer with reports that month.",
    )(command)
