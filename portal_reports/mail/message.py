"""One email per customer-month: text and HTML bodies from Jinja templates, chart inline, PDFs attached.

Written in the language the reports were made in (the run's manifest records locale and
currency: the templates use Jinja's gettext extension with the package's catalogs), with the
brand's accent and PNG logo (SVG logos are left out: many mail clients do not show SVG).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from .. import __version__
from .._io import atomic_write
from ..dates import to_utc
from ..errors import MailError, PortalError
from ..i18n import N_, _, current, using
from ..mail.recipients import (
    Recipients,
    addr_spec,
)
from ..period import ReportMonth
from ..reports.registry import title_from_name
from .runs import ReportRun
from .settings import DEFAULT_SENDER

PACK_TITLE = N_("Monthly reports")


# --- building messages -----------------------------------------------------------------------


def _template_dirs(template_dir: str | os.PathLike[str] | None) -> list[str]:
    """Email template folders, first match wins: ``template_dir``, else the project's
    ``templates/email/`` then the package's."""
    if template_dir is not None:
        return [str(template_dir)]
    from ..project import current_project

    dirs = [d / "email" for d in current_project().template_dirs]
    found = [str(d) for d in dirs if d.is_dir()]
    if not found:
        raise MailError("email templates not found (expected templates/email/)")
    return found


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def format_figures(figures: Mapping[str, Any]) -> list[dict[str, str]]:
    """Headline figures as ``[{key, label, value}]`` strings ready for the templates,
    labelled and formatted as the reports are, in the active language (locale, currency)."""
    from ..reports.format import fmt_amount, fmt_int, fmt_money, fmt_pct

    rows: list[dict[str, str]] = []

    def add(key: str, label: str, value: float | None, fmt: Callable[[float], str]) -> None:
        if value is not None:
            rows.append({"key": key, "label": _(label), "value": fmt(value)})

    sessions = _number(figures.get("sessions_total"))
    leads = _number(figures.get("leads_total"))
    add("sessions", N_("Sessions"), sessions, fmt_int)
    add("leads", N_("Leads"), leads, fmt_int)
    if sessions and leads is not None:
        add("conversion_rate", N_("Conversion rate"), leads / sessions, fmt_pct)
    add("revenue", N_("Revenue"), _number(figures.get("revenue_total")), fmt_money)
    add(
        "opportunity_value",
        N_("Opportunity value"),
        _number(figures.get("opportunity_value_total")),
        fmt_money,
    )
    add("units", N_("Units"), _number(figures.get("units_total")), fmt_int)
    add("asr", N_("ASR"), _number(figures.get("asr_total")), fmt_amount)
    return rows


def _date_label(value: Any, period: ReportMonth | None = None) -> str:
    """``2026-11-01T06:00:00Z`` -> ``November 1, 2026`` in the active language, on the
    customer's calendar when ``period`` gives its zone (the text as given if unparseable)."""
    if not value:
        return ""
    try:
        when = to_utc(str(value))
    except (PortalError, ValueError):
        return str(value)
    if period is not None:
        when = when.astimezone(period.tz)
    return current().date(when.date())


def attachment_name(customer_name: str, title: str, month: str | ReportMonth) -> str:
    """A file name a person understands: ``Acme Dental Care - Leads report - October 2026.pdf``
    (``Autohaus Müller & Söhne - Leads-Bericht - Oktober 2026.pdf`` in German).

    ``title`` is the report's title as the manifest records it (in the customer's language).
    """
    text = f"{customer_name} - {title} - {ReportMonth.parse(month).label()}.pdf"
    return "".join("-" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in text)


def build_message(
    run: ReportRun,
    recipients: Recipients,
    *,
    sender: str = DEFAULT_SENDER,
    preview_to: str | None = None,
    template_dir: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """One multipart message for a customer-month: text + HTML (chart inline) + PDF attachments.

    With ``preview_to`` the message goes to that address only; the subject is prefixed
    ``[PREVIEW]`` and the original recipients are named in ``X-Original-To`` and the body.
    """
    with using(run.language):
        subject, text, html, chart_cid, logo_cid, attachments, domain = _render(
            run, recipients, sender, preview_to, template_dir
        )
    original = [*recipients.to, *recipients.cc]

    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = f"[PREVIEW] {subject}" if preview_to else subject
    msg["From"] = sender
    if preview_to:
        msg["To"] = preview_to
        msg["X-Original-To"] = ", ".join(original)
    else:
        msg["To"] = ", ".join(recipients.to)
        if recipients.cc:
            msg["Cc"] = ", ".join(recipients.cc)
    if recipients.reply_to:
        msg["Reply-To"] = recipients.reply_to
    msg["Date"] = format_datetime((now or datetime.now(UTC)).astimezone())
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Portal-Reports"] = f"{run.customer} {run.month}"
    msg.set_content(text, subtype="plain", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    html_part = msg.get_payload()[1]
    if run.chart and chart_cid:
        html_part.add_related(
            run.chart.path.read_bytes(), "image", "png", cid=chart_cid, disposition="inline"
        )
    if run.logo and logo_cid:
        html_part.add_related(
            run.logo.path.read_bytes(), "image", "png", cid=logo_cid, disposition="inline"
        )
    for report_file, filename in attachments:
        msg.add_attachment(
            report_file.path.read_bytes(), maintype="application", subtype="pdf", filename=filename
        )
    return msg


def template_env(template_dir: str | os.PathLike[str] | None = None) -> Any:
    """The Jinja environment of the email templates (project first, then the package's),
    strict about undefined names, HTML autoescaped, gettext in the active language."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dirs(template_dir)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(current().translations, newstyle=True)  # type: ignore[attr-defined]
    return env


def _render(
    run: ReportRun,
    recipients: Recipients,
    sender: str,
    preview_to: str | None,
    template_dir: str | os.PathLike[str] | None,
) -> tuple[str, str, str, str | None, str | None, list[tuple[Any, str]], str]:
    """Subject, text and HTML in the active language, with the content ids they refer to."""
    import jinja2

    name = recipients.name or run.customer_name
    domain = addr_spec(sender).rpartition("@")[2] or "localhost"
    chart_cid = make_msgid("chart", domain=domain) if run.chart else None
    png_logo = run.logo is not None and run.logo.path.suffix.lower() == ".png"
    logo_cid = make_msgid("logo", domain=domain) if png_logo else None
    period = run.period
    attachments = [
        (f, attachment_name(name, f.title or _(title_from_name(f.report)), period))
        for f in run.pdfs
    ]
    original = [*recipients.to, *recipients.cc]
    context = {
        "customer": run.customer,
        "customer_name": name,
        "month": run.month,
        "month_label": period.label(),
        "period_label": period.heading(),
        "time_zone": period.time_zone,
        "pack_title": _(PACK_TITLE),
        "figures": format_figures(run.figures),
        "reports": [
            {"report": f.report, "title": f.title, "filename": fname} for f, fname in attachments
        ],
        "sandbox": run.data_source == "sandbox",
        "chart_cid": chart_cid[1:-1] if chart_cid else None,
        "logo_cid": logo_cid[1:-1] if logo_cid else None,
        "accent": run.manifest.accent,
        "generated_at": run.generated_at,
        "generated_label": _date_label(run.generated_at, period),
        "reply_to": recipients.reply_to,
        "preview": {"to": preview_to, "original": original} if preview_to else None,
        "note": run.manifest.note,  # the account manager's note: markdown, html (or None)
        "version": __version__,
        "lang": current().html_lang,
    }
    env = template_env(template_dir)
    try:
        subject = " ".join(env.get_template("subject.txt.j2").render(context).split())
        text = env.get_template("body.txt.j2").render(context)
        html = env.get_template("body.html.j2").render(context)
    except jinja2.TemplateSyntaxError as exc:  # the project's template: bad input (exit 2)
        from ..errors import TemplateError
        from ..publish.export import template_error

        raise TemplateError(f"email template cannot be loaded: {template_error(exc)}") from None
    except jinja2.TemplateError as exc:
        raise MailError(f"email template error: {exc}") from None
    return subject, text, html, chart_cid, logo_cid, attachments, domain


def write_eml(msg: EmailMessage, path: str | os.PathLike[str]) -> Path:
    """Write ``msg`` as an ``.eml`` file atomically (exactly the bytes SMTP would carry)."""
    return atomic_write(path, msg.as_bytes())
