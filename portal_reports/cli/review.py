"""``portal-reports approve``: approve a month's reports for sending (review = true)."""

from __future__ import annotations

import click

from .app import cli, month_runs_options


@cli.command("approve")
@click.option("--month", help="Month to approve, YYYY-MM. Default: the previous calendar month.")
@month_runs_options
def approve_command(month, customers, reports_dir):
    """Approve customer-months for `portal-reports email` (customers with review = true in
    customers.toml are sent only once approved).

    Records the PDFs' sha256s in <reports-dir>/<month>/approved.jsonl: reports re-run with
    different PDFs need approving again. A run that cannot be sent (failed report, files not
    matching the manifest) is refused. Exits non-zero if anything was refused.
    """
    from .._text import split_list
    from ..errors import MailError
    from ..mail.review import approve
    from ..project import current_project

    results = approve(
        month,
        split_list(customers) or None,
        reports_dir=reports_dir or current_project().reports_dir,
        on_approval=lambda result: click.echo(result.line()),
    )
    refused = [r for r in results if not r.ok]
    if refused:
        raise MailError(f"{len(refused)} customer(s) not approved")
