"""The batch: verify each run, hold back what waits for review or is empty (:mod:`.review`),
skip what the send log says was sent, send, record."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..dates import format_utc, parse_month, previous_month
from ..errors import ConfigError, MailError
from ..mail.recipients import (
    Recipients,
    load_recipients,
    validate_address,
)
from ..plan import Plans, load_plans
from .message import build_message, write_eml
from .review import APPROVALS, ApprovalLog, hold
from .runs import load_run
from .sendlog import SEND_LOG, SendLog, _batch_lock
from .settings import SmtpSettings
from .smtp import _Mailer

log = logging.getLogger("portal_reports.mail")

DEFAULT_REPORTS_DIR = "reports"
OUTBOX = "outbox"
OK_STATUSES = frozenset({"sent", "written", "skipped", "waiting"})


# --- batch -----------------------------------------------------------------------------------


@dataclass
class Delivery:
    """What happened to one customer-month: sent, written (dry-run), skipped, waiting (for
    review), partial, failed."""

    customer: str
    status: str
    reason: str = ""
    recipients: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    message_id: str | None = None
    path: Path | None = None

    @property
    def ok(self) -> bool:
        """Whether nothing is left undelivered for this customer."""
        return self.status in OK_STATUSES

    def line(self) -> str:
        """The one-line summary printed by the CLI."""
        to = ", ".join(self.recipients)
        if self.status == "sent":
            text = f"sent to {to} {self.message_id or ''}".rstrip()
        elif self.status == "written":
            text = f"written {self.path} (would go to {to})"
        elif self.status in ("skipped", "waiting"):
            text = f"{self.status}: {self.reason}"
        else:
            parts = [f"sent to {to}"] if self.recipients else []
            by_reason: dict[str, list[str]] = {}
            for addr, why in self.refused.items():
                by_reason.setdefault(why, []).append(addr)
            parts += [f"not delivered to {', '.join(a)}: {why}" for why, a in by_reason.items()]
            if self.reason:
                parts.append(self.reason)
            text = f"{self.status}: " + "; ".join(parts)
        return f"{self.customer}: {text}"


@dataclass
class DeliveryReport:
    """The outcome of :func:`send_reports`, one :class:`Delivery` per customer."""

    month: str
    deliveries: list[Delivery] = field(default_factory=list)
    dry_run: bool = False
    preview_to: str | None = None
    #: Why the batch stopped, when it did (the SMTP server unreachable, login or TLS failed):
    #: nothing more can be sent through that server now, the agency's summary included.
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        """True when every selected customer got (or already had) its reports."""
        return all(d.ok for d in self.deliveries)

    @property
    def failed(self) -> list[Delivery]:
        """Deliveries with something not delivered."""
        return [d for d in self.deliveries if not d.ok]

    def counts(self) -> dict[str, int]:
        """``{status: number of customers}``."""
        out: dict[str, int] = {}
        for d in self.deliveries:
            out[d.status] = out.get(d.status, 0) + 1
        return out

    def summary(self) -> str:
        """``2026-10: 3 sent, 1 skipped, 1 failed``."""
        counts = (
            ", ".join(f"{n} {status}" for status, n in self.counts().items()) or "nothing to do"
        )
        mode = " (dry run)" if self.dry_run else " (preview)" if self.preview_to else ""
        return f"{self.month}{mode}: {counts}"


def _run_dirs(month_dir: Path) -> list[str]:
    markers = ("manifest.json", "data.json")
    return sorted(
        p.name
        for p in month_dir.iterdir()
        if p.is_dir()
        and p.name != OUTBOX
        and not p.name.startswith(".")
        and (any((p / m).exists() for m in markers) or any(p.glob("*.pdf")))
    )


def send_reports(
    month: str | None = None,
    customers: Iterable[str] | None = None,
    *,
    reports_dir: str | os.PathLike[str] = DEFAULT_REPORTS_DIR,
    config: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    resend: bool = False,
    to: str | None = None,
    smtp: SmtpSettings | None = None,
    template_dir: str | os.PathLike[str] | None = None,
    attempts: int = 4,
    backoff: float = 1.0,
    sleep: Callable[[float], Any] = time.sleep,
    on_delivery: Callable[[Delivery], None] | None = None,
) -> DeliveryReport:
    """Email the month's reports to each customer, skipping what the send log says was sent.

    Default customers: every run directory of the month (customers with reports).
    ``dry_run`` writes ``reports/<month>/outbox/<customer>.eml`` and contacts no server;
    ``to`` sends previews to one address (not recorded in the send log); ``resend`` ignores the
    send log. Per-customer refusals and delivery failures are in the report, not raised; bad
    settings raise :class:`ConfigError`, a missing month directory :class:`MailError`.
    """
    month = parse_month(month if month is not None else previous_month())  # "" is an error
    month_dir = Path(reports_dir) / month
    if not month_dir.is_dir():
        raise MailError(
            f"no reports for {month}: {month_dir} does not exist (run the reports first)"
        )
    book = load_recipients(config)
    plans = load_plans(config)
    preview_to = validate_address(to, "--to") if to else None
    settings = smtp or SmtpSettings.from_env(require_sender=not dry_run)
    if customers:
        selected = list(dict.fromkeys(customers))
        for customer in selected:
            if not customer or "/" in customer or "\\" in customer or customer.startswith("."):
                raise ConfigError(f"bad customer id {customer!r}")
    else:  # every customer with reports this month; one without recipients is reported
        selected = _run_dirs(month_dir)
    report = DeliveryReport(month, dry_run=dry_run, preview_to=preview_to)
    send_log = SendLog(month_dir / SEND_LOG)
    approvals = ApprovalLog(month_dir / APPROVALS)
    mailer = _Mailer(settings, attempts=attempts, backoff=backoff, sleep=sleep)
    fatal: str | None = None
    with _batch_lock(month_dir):
        try:
            for customer in selected:
                if fatal:
                    result = Delivery(customer, "failed", f"not attempted: {fatal}")
                else:
                    result, fatal = _deliver_one(
                        customer,
                        month_dir,
                        book,
                        settings,
                        mailer,
                        send_log,
                        plans=plans,
                        approvals=approvals,
                        dry_run=dry_run,
                        resend=resend,
                        preview_to=preview_to,
                        template_dir=template_dir,
                    )
                report.deliveries.append(result)
                if on_delivery:
                    on_delivery(result)
        finally:
            mailer.close()
    report.stopped = fatal
    return report


def _deliver_one(
    customer: str,
    month_dir: Path,
    book: Mapping[str, Recipients],
    settings: SmtpSettings,
    mailer: _Mailer,
    send_log: SendLog,
    *,
    plans: Plans | None = None,
    approvals: ApprovalLog | None = None,
    dry_run: bool,
    resend: bool,
    preview_to: str | None,
    template_dir: str | os.PathLike[str] | None,
) -> tuple[Delivery, str | None]:
    """Deliver one customer-month; also returns why the batch must stop, if it must."""
    month = month_dir.name
    try:
        run = load_run(month_dir / customer, month=month, customer=customer)
    except MailError as exc:
        return Delivery(customer, "failed", f"refused: {exc}"), None
    recipients = book.get(customer)
    if recipients is None or not recipients.to:
        return Delivery(customer, "failed", "no recipients configured in customers.toml"), None
    if plans is not None and approvals is not None:  # review and empty months (mail.review)
        held = hold(run, plans.for_customer(customer), approvals, review=not preview_to)
        if held is not None:
            return Delivery(customer, held[0], held[1]), None
    envelope = [preview_to] if preview_to else recipients.envelope
    if not preview_to and not resend:
        earlier = send_log.sent(customer, month)
        done = {a.lower() for e in earlier for a in e.get("recipients", [])}
        envelope = [a for a in envelope if a.lower() not in done]
        if not envelope:
            last = earlier[-1]
            reason = f"already sent {last.get('sent_at')} {last.get('message_id')}"
            if SendLog.same_pdfs(last, run.pdf_hashes):
                reason += " (same PDFs)"
            else:
                reason += " (the reports changed since: --resend sends the new version)"
            return Delivery(customer, "skipped", reason, message_id=last.get("message_id")), None
    msg = build_message(
        run, recipients, sender=settings.sender, preview_to=preview_to, template_dir=template_dir
    )
    message_id = str(msg["Message-ID"])
    if dry_run:
        path = write_eml(msg, month_dir / OUTBOX / f"{customer}.eml")
        written = Delivery(
            customer, "written", recipients=envelope, message_id=message_id, path=path
        )
        return written, None

    def record(accepted: list[str]) -> None:
        if preview_to:
            return
        send_log.record(
            {
                "customer": customer,
                "month": month,
                "message_id": message_id,
                "subject": str(msg["Subject"]),
                "recipients": accepted,
                "attachments": [
                    {"report": f.report, "file": f.path.name, "sha256": f.sha256} for f in run.pdfs
                ],
                "sent_at": format_utc(datetime.now(UTC)),
                "resend": resend,
            }
        )

    outcome = mailer.deliver(msg, envelope, record)
    if not outcome.refused:
        log.info("%s %s sent to %s", customer, month, ", ".join(outcome.accepted))
        return Delivery(customer, "sent", recipients=outcome.accepted, message_id=message_id), None
    status = "partial" if outcome.accepted else "failed"
    result = Delivery(
        customer,
        status,
        recipients=outcome.accepted,
        refused=outcome.refused,
        message_id=message_id,
    )
    return result, outcome.fatal
