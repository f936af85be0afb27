"""``portal-reports portfolio``: the agency's overview of a month, from its manifests."""

from __future__ import annotations

import click

from .app import cli


@cli.command("portfolio")
@click.option("--month", help="Month, YYYY-MM. Default: the previous calendar month.")
@click.option(
    "--out",
    "out_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Where the runner wrote <month>/<customer>/ (default: the project's reports/, "
    "else ./reports).",
)
@click.option(
    "--sort",
    type=click.Choice(["change", "revenue", "leads", "sessions", "name"]),
    default="change",
    show_default=True,
    help="Row order: change = the change in leads, biggest drop first.",
)
@click.option(
    "--format",
    "formats",
    default="html,pdf",
    show_default=True,
    help="Formats to write, comma-separated.",
)
def portfolio_command(month, out_dir, sort, formats):
    """Write <out>/<month>/portfolio.html and .pdf: every customer's figures, their change
    against the previous month, targets, data check and report status, the biggest drops
    flagged and a totals row. Built from the month's manifests (nothing is fetched); never
    emailed to a customer.
    """
    import os

    from ..dates import parse_month, previous_month
    from ..plan import config_path
    from ..project import current_project
    from ..publish.portfolio import build_portfolio, write_portfolio
    from ..publish.runner import validate_formats

    month = parse_month(month) if month else previous_month()
    chosen = validate_formats(formats)
    out_dir = out_dir or current_project().reports_dir
    configured: list[str] = []
    config = config_path()
    if os.path.exists(config):
        from ..mail.recipients import load_recipients

        configured = list(load_recipients(config))
    portfolio = build_portfolio(month, out_dir, customers=configured, sort=sort, config=config)
    written = write_portfolio(portfolio, chosen)
    drops = len(portfolio.drops)
    for path in written.values():
        click.echo(f"wrote {path}")
    click.echo(f"{month}: {len(portfolio.rows)} customers, {drops} flagged for a drop")
