"""``portal-reports run``: Run the report notebooks."""

from __future__ import annotations

import sys

import click

from .app import cli, exit_code_for


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
    default=None,
    type=click.Path(file_okay=False),
    help="Output directory (default: the project's reports/, else ./reports).",
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
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where notebooks run: worker processes here, or a dask.distributed cluster.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor dask; default: a LocalCluster).",
)
@click.option(
    "--fetch-concurrency",
    default=4,
    show_default=True,
    type=click.IntRange(min=1, max=64),
    help="Customer-months fetched at the same time.",
)
@click.option("--force", is_flag=True, help="Redo customer-months whose reports are up to date.")
def run_command(
    month,
    customers,
    all_customers,
    reports,
    formats,
    out_dir,
    workers,
    nb_dir,
    list_parameters,
    executor,
    scheduler,
    fetch_concurrency,
    force,
):
    """Execute the report notebooks with papermill and export them to HTML/PDF.

    Writes <out>/<month>/<customer>/<report>.{ipynb,html,pdf} and a manifest.json per
    customer ("all" when no customer is given). Customer-months whose data, notebooks,
    templates and version are unchanged and whose files match their manifest are skipped
    (--force redoes them), so an interrupted batch resumes where it stopped. Exits non-zero
    if any report failed.
    """
    from .._text import split_list
    from ..dates import parse_month, previous_month
    from ..project import current_project
    from ..publish.runner import ALL_CUSTOMERS_DIR, run_reports, validate_formats
    from ..reports.registry import registry as find_registry

    registry = find_registry(nb_dir)
    out_dir = out_dir or current_project().reports_dir
    if list_parameters:
        _echo_parameters(registry)
        return
    month = parse_month(month) if month is not None else previous_month()  # "" is an error
    chosen_reports = registry.choose(reports)
    validate_formats(formats)
    chosen = split_list(customers)
    if all_customers:
        if chosen:
            raise click.UsageError("--all-customers and --customer exclude each other")
        from ..customers import all_customer_ids

        chosen = all_customer_ids()
    # "all" names the whole account (no customer header), as in the output layout
    targets = [None if c == ALL_CUSTOMERS_DIR else c for c in chosen]
    with _progress_bar(len(targets or [None]) * len(chosen_reports)) as bar:
        runs = run_reports(
            month,
            targets or None,
            reports,
            formats,
            out_dir,
            workers=workers,
            registry=registry,
            executor=executor,
            scheduler=scheduler,
            force=force,
            fetch_concurrency=fetch_concurrency,
            on_report=lambda _outcome: bar.update(1),
        )
    click.echo(_summary_table(runs))
    for run in runs:  # a run of some reports (--report) that could not keep the others
        if run.missing_reports:
            who = f" --customer {run.customer}" if run.customer else ""
            click.echo(
                f"Note: {run.customer or ALL_CUSTOMERS_DIR}: {', '.join(run.missing_reports)} "
                "not made from this data (left out of the manifest): email holds the month "
                f"back until they are (portal-reports run --month {month}{who})",
                err=True,
            )
    errors = [run.error for run in runs if run.error]
    errors += [o.message for r in runs for o in r.outcomes if not o.ok]
    if errors:
        for message in errors:
            click.echo(f"Error: {' '.join(message.split())}", err=True)
        fetch_errors = [run.exception for run in runs if run.exception is not None]
        report_failed = any(not o.ok for r in runs for o in r.outcomes)
        sys.exit(1 if report_failed or not fetch_errors else exit_code_for(fetch_errors[0]))


def _progress_bar(total: int):
    """One bar for the batch on a terminal (reports done, ETA); silent otherwise."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="report",
        desc="reports",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        leave=False,
    )


def _summary_table(runs) -> str:
    """The final table: one line per customer-month."""
    from ..publish.runner import ALL_CUSTOMERS_DIR

    rows = [("CUSTOMER", "STATUS", "REPORTS", "SECONDS", "FOLDER")]
    for run in runs:
        if run.error:
            status = "FETCH FAILED"
        elif run.skipped:
            status = "up to date"
        else:
            status = "ok" if run.ok else "FAILED"
        done = sum(1 for o in run.outcomes if o.ok)
        rows.append(
            (
                run.customer or ALL_CUSTOMERS_DIR,
                status,
                f"{done}/{len(run.outcomes)}" if run.outcomes else "0",
                f"{run.seconds:.1f}",
                str(run.directory),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
