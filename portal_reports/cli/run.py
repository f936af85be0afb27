"""``portal-reports run``: Run the report notebooks."""

from __future__ import annotations

import sys

import click

from .app import cli


def _echo_parameters(registry) -> None:
    from ..publish.runner import notebook_parameters

    for report in registry.values():
        click.echo(f"{report.path.name}  ({report.title})")
        for name, info in notebook_parameters(report).items():
            kind = info.get("inferred_type_name")
            kind = f": {kind}" if kind and kind != "None" else ""  # "None": inferred from None
            help_text = info.get("help") or ""
            line = f"  {name}{kind} (default {info.get('default')})"
            click.echo(f"{line}  {help_text}".rstrip())


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
    default=None,
    help="Reports to produce, comma-separated. Default: every report notebook of the project "
    "(see --list-parameters).",
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
    from .._text import split_list
    from ..dates import parse_month, previous_month
    from ..publish.runner import ALL_CUSTOMERS_DIR, run_reports, validate_formats
    from ..reports.registry import registry as find_registry

    registry = find_registry(nb_dir)
    if list_parameters:
        _echo_parameters(registry)
        return
    month = parse_month(month) if month is not None else previous_month()  # "" is an error
    registry.choose(reports)
    validate_formats(formats)
    chosen = split_list(customers)
    if all_customers:
        if chosen:
            raise click.UsageError("--all-customers and --customer exclude each other")
        from ..customers import all_customer_ids

        chosen = all_customer_ids()
    # "all" names the whole account (no customer header), as in the output layout
    targets = [None if c == ALL_CUSTOMERS_DIR else c for c in chosen]
    runs = run_reports(
        month,
        targets or None,
        reports,
        formats,
        out_dir,
        workers=workers,
        registry=registry,
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
