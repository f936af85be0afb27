"""The agency's delivery summary: after ``email``, one message to ``MAIL_SUMMARY_TO`` listing
what was sent, written, skipped, waiting for review and failed, with the reasons.

Sent through the same SMTP connection code and retries as the customers' messages; a dry run
writes it to ``reports/<month>/outbox/delivery-summary.eml``. Previews (``--to``) send none.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from .. import __version__
from ..dates import month_label
from ..errors import ConfigError, MailError
from .delivery import OUTBOX, DeliveryReport
from .message import template_env, write_eml
from .recipients import addr_spec, validate_address
from .settings import SmtpSettings
from .smtp import _Mailer

ENV_SUMMARY_TO = "MAIL_SUMMARY_TO"
SUMMARY_FILE = "delivery-summary.eml"
#: Sections of the summary, in order: status -> heading.
SECTIONS = {
    "failed": "Failed",
    "partial": "Partly delivered",
    "waiting": "Waiting for review",
    "sent": "Sent",
    "written": "Written (dry run)",
    "skipped": "Skipped",
}


def summary_recipients(environ: Mapping[str, str] | None = None) -> list[str]:
    """``MAIL_SUMMARY_TO`` (comma-separated addresses; environment, then ``.env``), checked."""
    if environ is None:
        from ..settings import load_dotenv_file

        load_dotenv_file()
        environ = os.environ
    raw = environ.get(ENV_SUMMARY_TO, "").strip()
    if not raw:
        return []
    from email.utils import getaddresses

    parts = [f"{name} <{addr}>" if name else addr for name, addr in getaddresses([raw])]
    if not parts:
        raise ConfigError(f"{ENV_SUMMARY_TO}: no address in {raw!r}")
    try:
        return [validate_address(p, ENV_SUMMARY_TO) for p in parts]
    except ConfigError as exc:  # name the value as given, not only the part read from it
        raise ConfigError(f"{exc} (in {ENV_SUMMARY_TO}={raw!r})") from None


def _sections(report: DeliveryReport) -> list[dict[str, Any]]:
    out = []
    for status, heading in SECTIONS.items():
        items = []
        for d in report.deliveries:
            if d.status != status:
                continue
            detail = d.line().removeprefix(f"{d.customer}: ").removeprefix(f"{status}: ")
            detail = detail.removeprefix(f"{status} ")
            items.append({"customer": d.customer, "detail": detail})
        if items:
            out.append({"status": status, "heading": heading, "items": items})
    return out


def build_summary(
    report: DeliveryReport,
    to: list[str],
    *,
    sender: str,
    template_dir: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """The summary message (text and HTML from ``templates/email/summary.*.j2``)."""
    import jinja2

    counts = report.counts()
    context = {
        "month": report.month,
        "month_label": month_label(report.month),
        "summary": report.summary(),
        "sections": _sections(report),
        "counts": counts,
        "dry_run": report.dry_run,
        "ok": report.ok,
        "version": __version__,
    }
    env = template_env(template_dir)
    try:
        text = env.get_template("summary.txt.j2").render(context)
        html = env.get_template("summary.html.j2").render(context)
    except jinja2.TemplateSyntaxError as exc:  # the project's template: bad input (exit 2)
        from ..errors import TemplateError
        from ..publish.export import template_error

        raise TemplateError(f"summary template cannot be loaded: {template_error(exc)}") from None
    except jinja2.TemplateError as exc:
        raise MailError(f"summary template error: {exc}") from None
    domain = addr_spec(sender).rpartition("@")[2] or "localhost"
    problems = sum(n for s, n in counts.items() if s in ("failed", "partial"))
    msg = EmailMessage(policy=policy.SMTP)
    flag = f" — {problems} not delivered" if problems else ""
    msg["Subject"] = f"Delivery summary {month_label(report.month)}: {_counts(counts)}{flag}"
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime((now or datetime.now(UTC)).astimezone())
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Portal-Reports"] = f"summary {report.month}"
    msg.set_content(text, subtype="plain", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in counts.items()) or "nothing to do"


def send_summary(
    report: DeliveryReport,
    *,
    reports_dir: str | os.PathLike[str],
    to: list[str] | None = None,
    smtp: SmtpSettings | None = None,
    template_dir: str | os.PathLike[str] | None = None,
    attempts: int = 4,
    backoff: float = 1.0,
    sleep: Callable[[float], Any] = time.sleep,
) -> str | None:
    """Send (or, for a dry run, write) the summary to ``to`` (default ``MAIL_SUMMARY_TO``).

    Returns a one-line description, or None when no summary is configured or ``report`` is a
    preview. Raises :class:`MailError` when it could not be delivered, at once (no connection,
    no retries) when the batch found the server unusable (:attr:`DeliveryReport.stopped`).
    """
    recipients = summary_recipients() if to is None else [validate_address(a, "to") for a in to]
    if not recipients or report.preview_to:
        return None
    settings = smtp or SmtpSettings.from_env(require_sender=not report.dry_run)
    msg = build_summary(report, recipients, sender=settings.sender, template_dir=template_dir)
    if report.dry_run:
        path = write_eml(msg, Path(reports_dir) / report.month / OUTBOX / SUMMARY_FILE)
        return f"summary: written {path} (would go to {', '.join(recipients)})"
    if report.stopped:  # the batch's server: it would only fail again, slowly
        raise MailError(f"the delivery summary was not sent: {report.stopped}")
    mailer = _Mailer(settings, attempts=attempts, backoff=backoff, sleep=sleep)
    try:
        outcome = mailer.deliver(msg, [addr_spec(a) for a in recipients], lambda _accepted: None)
    finally:
        mailer.close()
    if outcome.refused:
        why = "; ".join(f"{a}: {r}" for a, r in outcome.refused.items())
        raise MailError(f"the delivery summary was not delivered: {why}")
    return f"summary: sent to {', '.join(outcome.accepted)}"
