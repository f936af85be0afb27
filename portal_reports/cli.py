"""Command line interface: a thin layer over the library; errors become one-line messages.

Exit codes: 0 ok, 1 a report/mail/other failure, 2 bad usage or input, 3 authentication,
4 not found, 5 the Portal failed (5XX, connection, invalid response).
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import (
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


class PortalGroup(click.Group):
    """A click group that turns any :class:`PortalError` into ``Error: <one line>``."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except PortalError as exc:
            message = " ".join(str(exc).split())
            click.echo(f"Error: {message}", err=True)
            sys.exit(exit_code_for(exc))


@click.group(cls=PortalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="portal-reports")
def cli() -> None:
    """Monthly Portal reports: fetch data, run notebooks, export HTML/PDF, email them.

    Connection settings come from PORTAL_BASE_URL, PORTAL_SECRET and PORTAL_CUSTOMER_ID (or a
    .env file). With none set, the embedded sandbox Portal is used.
    """


# Commands are added below, one block per area. Subgroups must use cls=PortalGroup too
# (click.group(cls=PortalGroup)) so their errors are reported the same way.

# --- sandbox command ---

# --- fetch commands ---

# --- run command ---


def _echo_parameters(nb_dir: str | None) -> None:
    from pathlib import Path

    from .runner import REPORTS, notebook_parameters

    for report in REPORTS:
        click.echo(f"{report}.ipynb")
        for name, info in notebook_parameters(report, Path(nb_dir) if nb_dir else None).items():
            kind = info.get("inferred_type_name") or "None"
            help_text = info.get("help") or ""
            click.echo(f"  {name}: {kind} (default {info.get('default')}) {help_text}".rstrip())


@cli.command("run")
@click.option("--month", help="Month to report, YYYY-MM. Default: the previous calendar month.")
@click.option(
    "--customer",
    "customers",
    multiple=True,
    help="External customer id (repeatable, or comma-separated). Default: the whole account.",
)
@click.option(
    "--all-customers",
    is_flag=True,
    help="Every customer: the sandbox's demo customers, or those in customers.toml.",
)
@click.option(
    "--report",
    "reports",
    default="leads,revenue,asr",
    show_default=True,
    help="Reports to produce, comma-separated.",
)
@click.option(
    "--format",
    "formats",
    default="html,pdf",
    show_default=True,
    help="Export formats, comma-separated.",
)
@click.option(
    "--out",
    "out_dir",
    default="reports",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Output directory.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Notebooks run in parallel. Default: CPU count."
)
@click.option(
    "--notebooks",
    "nb_dir",
    type=click.Path(file_okay=False, exists=True),
    help="Directory holding the report notebooks (default: the project's notebooks/).",
)
@click.option("--list-parameters", is_flag=True, help="Show each notebook's parameters and exit.")
def run_command(
    month, customers, all_customers, reports, formats, out_dir, workers, nb_dir, list_parameters
):
    """Execute the report notebooks with papermill and export them to HTML/PDF.

    Writes <out>/<month>/<customer>/<report>.{ipynb,html,pdf} and a manifest.json per
    customer ("all" when no customer is given). Exits non-zero if any report failed.
    """
    from .runner import FORMATS, REPORTS, run_reports, validate_choices

    if list_parameters:
        _echo_parameters(nb_dir)
        return
    from .dates import parse_month, previous_month

    month = parse_month(month) if month else previous_month()
    validate_choices("report", reports, REPORTS)
    validate_choices("format", formats, FORMATS)
    chosen = [c.strip() for item in customers for c in item.split(",") if c.strip()]
    if all_customers:
        if chosen:
            raise click.UsageError("--all-customers and --customer exclude each other")
        from .customers import all_customer_ids

        chosen = all_customer_ids()
    runs = run_reports(
        month,
        chosen or None,
        reports,
        formats,
        out_dir,
        workers=workers,
        nb_dir=nb_dir,
        progress=lambda msg: click.echo(msg, err=True),
    )
    failed = [o for r in runs for o in r.outcomes if not o.ok]
    for run in runs:
        state = "ok" if run.ok else "FAILED"
        click.echo(f"{run.directory}: {state} (manifest {run.manifest_path})")
    if failed:
        for outcome in failed:
            click.echo(f"Error: {outcome.message}", err=True)
        sys.exit(1)


# --- email command ---

# --- attributes commands ---


def main() -> None:
    """Console-script entry point."""
    cli()
