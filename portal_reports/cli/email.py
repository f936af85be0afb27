"""``portal-reports email``: Email the month's reports."""

from __future__ import annotations

import click

from .app import cli, month_runs_options


@cli.command("email")
@click.option("--month", help="Month to send, YYYY-MM. Default: the previous calendar month.")
@month_runs_options
@click.option(
    "--config",
    default=None,
    type=click.Path(dir_okay=False),
    help="Recipients per customer (default: customers.toml here, else the project's).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Write each message to <reports-dir>/<month>/outbox/<customer>.eml; contact no server.",
)
@click.option("--resend", is_flag=True, help="Send even what the send log says was sent.")
@click.option(
    "--to",
    "to",
    metavar="ADDRESS",
    help="Send every message to this address only, as a [PREVIEW] (not recorded as sent).",
)
def email_command(month, customers, reports_dir, config, dry_run, resend, to):
    """Email each customer its month's PDF reports (SMTP settings from SMTP_* and MAIL_FROM).

    One message per customer: headline figures, the account manager's note, the key chart
    inline, the PDFs attached. Sent messages are recorded in <reports-dir>/<month>/sent.jsonl,
    so a re-run sends only what is missing, or what changed. Customers with review = true wait
    for `portal-reports approve`; a month without sessions is skipped unless send_empty = true.
    With MAIL_SUMMARY_TO set, the agency gets one summary of what was sent, skipped and failed.
    Exits non-zero if anything was not delivered.
    """
    from .._text import split_list
    from ..errors import MailError
    from ..mail import send_reports
    from ..mail.summary import send_summary, summary_recipients
    from ..project import current_project

    summary_recipients()  # MAIL_SUMMARY_TO checked before any customer is mailed
    chosen = split_list(customers)
    reports_dir = reports_dir or current_project().reports_dir
    report = send_reports(
        month,
        chosen or None,
        reports_dir=reports_dir,
        config=config,
        dry_run=dry_run,
        resend=resend,
        to=to,
        on_delivery=lambda delivery: click.echo(delivery.line()),
    )
    click.echo(report.summary())
    not_delivered = f"{len(report.failed)} customer(s) not delivered for {report.month}"
    # MAIL_SUMMARY_TO: the agency's own summary
    try:
        line = send_summary(report, reports_dir=reports_dir)
    except MailError as exc:
        if report.ok:
            raise
        raise MailError(f"{not_delivered}; {exc}") from None  # both, in one line
    if line:
        click.echo(line)
    if not report.ok:
        raise MailError(not_delivered)
