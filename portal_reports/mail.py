"""Email each customer's monthly PDF reports over SMTP, once: build, verify, send, remember.

Flow per customer-month: verify the run directory against its ``manifest.json`` (status ok, no
failed reports, PDF sha256s match), build one message (HTML + text bodies from
``templates/email/``, key chart inline, PDFs attached), send it with bounded retries on
transient failures, then append the accepted recipients to ``reports/<month>/sent.jsonl``.
A re-run skips recipients already sent this customer-month (even if the reports were re-run
since, which the log's sha256s reveal); ``resend`` forces.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from . import __version__
from ._io import atomic_write, sha256_file
from .config import load_dotenv_file
from .dates import month_label, parse_month, previous_month, to_utc
from .errors import ConfigError, MailError, PortalError
from .recipients import DEFAULT_CONFIG, Recipients, addr_spec, load_recipients, validate_address

log = logging.getLogger(__name__)

DEFAULT_REPORTS_DIR = "reports"
SEND_LOG = "sent.jsonl"
OUTBOX = "outbox"
DEFAULT_SENDER = "reports@localhost"
PACK_TITLE = "Monthly reports"
REPORT_TITLES = {"leads": "Leads report", "revenue": "Revenue report", "asr": "ASR report"}
SECURITY_PORTS = {"none": 25, "starttls": 587, "ssl": 465}

OK_STATUSES = frozenset({"sent", "written", "skipped"})


# --- SMTP settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send mail. The password is kept out of ``repr`` and ``str``."""

    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none | starttls | ssl
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    sender: str = DEFAULT_SENDER

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, require_sender: bool = True
    ) -> SmtpSettings:
        """Read ``SMTP_*`` and ``MAIL_FROM`` (environment, then ``.env``); validate them."""
        if environ is None:
            load_dotenv_file()
            environ = os.environ
        env = {k: v.strip() for k, v in environ.items() if k.startswith(("SMTP_", "MAIL_"))}
        security = (env.get("SMTP_SECURITY") or "none").lower()
        if security not in SECURITY_PORTS:
            raise ConfigError(f"SMTP_SECURITY must be none, starttls or ssl, got {security!r}")
        port = _env_number(env, "SMTP_PORT", int, SECURITY_PORTS[security])
        timeout = _env_number(env, "SMTP_TIMEOUT", float, 30.0)
        user = env.get("SMTP_USER") or None
        password = environ.get("SMTP_PASSWORD") or None
        if bool(user) != bool(password):
            raise ConfigError("SMTP_USER and SMTP_PASSWORD must be set together (or neither)")
        sender = env.get("MAIL_FROM") or ""
        if not sender:
            if require_sender:
                raise ConfigError(
                    "MAIL_FROM is not set: it is required to send "
                    "(e.g. MAIL_FROM='Reports <reports@agency.example>')"
                )
            sender = DEFAULT_SENDER
        sender = validate_address(sender, "MAIL_FROM")
        return cls(
            env.get("SMTP_HOST") or "localhost", port, security, user, password, timeout, sender
        )

    def __str__(self) -> str:
        who = f" as {self.user}" if self.user else ""
        return f"smtp://{self.host}:{self.port} ({self.security}){who}"


def _env_number(env: Mapping[str, str], name: str, kind: type, default: Any) -> Any:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


# --- run directories -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFile:
    """One verified output file of a run (path checked against the manifest sha256)."""

    report: str
    path: Path
    sha256: str


@dataclass(frozen=True)
class ReportRun:
    """A verified run directory ``reports/<month>/<customer>/``, ready to be emailed."""

    run_dir: Path
    month: str
    customer: str
    customer_name: str
    generated_at: str | None
    figures: dict[str, Any]
    pdfs: tuple[ReportFile, ...]
    chart: ReportFile | None = None

    @property
    def pdf_hashes(self) -> dict[str, str]:
        """``{file name: sha256}`` of the PDFs: the identity of what a customer receives."""
        return {f.path.name: f.sha256 for f in self.pdfs}


def _verified(run_dir: Path, entry: Mapping[str, Any]) -> ReportFile:
    rel = str(entry.get("path") or "")
    path = (run_dir / rel).resolve()
    if not rel or Path(rel).is_absolute() or run_dir.resolve() not in path.parents:
        raise MailError(f"manifest output path {rel!r} is not inside the run directory")
    if not path.is_file():
        raise MailError(f"{rel} is listed in the manifest but missing")
    expected = str(entry.get("sha256") or "").lower()
    if sha256_file(path) != expected:
        raise MailError(f"{rel} does not match the manifest sha256 (changed after the run?)")
    return ReportFile(str(entry.get("report") or path.stem), path, expected)


def load_run(
    run_dir: str | os.PathLike[str], *, month: str | None = None, customer: str | None = None
) -> ReportRun:
    """Read and verify a run directory; :class:`MailError` says in one line why it can't be sent."""
    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.is_file():
        raise MailError(f"no manifest.json in {run_dir} (reports not generated or run unfinished)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise MailError(f"{manifest_path} is not readable JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise MailError(f"{manifest_path} is not a JSON object")
    if month is not None and manifest.get("month") != month:
        raise MailError(f"manifest is for month {manifest.get('month')!r}, not {month!r}")
    if customer is not None and manifest.get("customer") != customer:
        raise MailError(f"manifest is for customer {manifest.get('customer')!r}, not {customer!r}")
    failed = manifest.get("failed_reports") or []
    if failed:
        names = ", ".join(
            f"{f.get('report')} (cell {f.get('cell')}: {f.get('error')})"
            if isinstance(f, dict)
            else str(f)
            for f in failed
        )
        raise MailError(f"report(s) failed: {names}")
    if manifest.get("status") != "ok":
        raise MailError(f"manifest status is {manifest.get('status')!r}, not 'ok'")
    outputs = [o for o in manifest.get("outputs") or [] if isinstance(o, dict)]
    pdfs = tuple(_verified(run_dir, o) for o in outputs if o.get("format") == "pdf")
    if not pdfs:
        raise MailError("the manifest lists no PDF report")
    charts = [o for o in outputs if o.get("format") == "png" and o.get("report") == "chart"]
    chart = _verified(run_dir, charts[0]) if charts else None
    customer = str(manifest.get("customer") or customer or run_dir.name)
    figures = manifest.get("figures") if isinstance(manifest.get("figures"), dict) else {}
    return ReportRun(
        run_dir=run_dir,
        month=str(manifest.get("month")),
        customer=customer,
        customer_name=str(manifest.get("customer_name") or customer),
        generated_at=manifest.get("generated_at"),
        figures=figures,
        pdfs=pdfs,
        chart=chart,
    )


# --- building messages -----------------------------------------------------------------------


def _template_dir(template_dir: str | os.PathLike[str] | None) -> Path:
    if template_dir is not None:
        return Path(template_dir)
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "templates" / "email", here / "templates" / "email"):
        if candidate.is_dir():
            return candidate
    raise MailError("email templates not found (expected templates/email/)")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def format_figures(figures: Mapping[str, Any]) -> list[dict[str, str]]:
    """Headline figures as ``[{key, label, value}]`` strings ready for the templates,
    formatted as the reports format them (``PORTAL_CURRENCY`` included)."""
    from .metrics import fmt_amount, fmt_int, fmt_money, fmt_pct

    rows: list[dict[str, str]] = []

    def add(key: str, label: str, value: float | None, fmt: Callable[[float], str]) -> None:
        if value is not None:
            rows.append({"key": key, "label": label, "value": fmt(value)})

    sessions = _number(figures.get("sessions_total"))
    leads = _number(figures.get("leads_total"))
    add("sessions", "Sessions", sessions, fmt_int)
    add("leads", "Leads", leads, fmt_int)
    if sessions and leads is not None:
        add("conversion_rate", "Conversion rate", leads / sessions, fmt_pct)
    add("revenue", "Revenue", _number(figures.get("revenue_total")), fmt_money)
    add(
        "opportunity_value",
        "Opportunity value",
        _number(figures.get("opportunity_value_total")),
        fmt_money,
    )
    add("units", "Units", _number(figures.get("units_total")), fmt_int)
    add("asr", "ASR", _number(figures.get("asr_total")), fmt_amount)
    return rows


def _date_label(value: Any) -> str:
    """``2026-11-01T06:00:00Z`` -> ``1 November 2026`` (the text as given if unparseable)."""
    if not value:
        return ""
    try:
        when = to_utc(str(value))
    except (PortalError, ValueError):
        return str(value)
    return f"{when.day} {when:%B %Y}"


def attachment_name(customer_name: str, report: str, month: str) -> str:
    """A file name a person understands: ``Acme Dental Care - Leads report - October 2026.pdf``."""
    title = REPORT_TITLES.get(report, report.replace("_", " ").capitalize() + " report")
    text = f"{customer_name} - {title} - {month_label(month)}.pdf"
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
    import jinja2

    name = recipients.name or run.customer_name
    domain = addr_spec(sender).rpartition("@")[2] or "localhost"
    chart_cid = make_msgid("chart", domain=domain) if run.chart else None
    attachments = [(f, attachment_name(name, f.report, run.month)) for f in run.pdfs]
    original = [*recipients.to, *recipients.cc]
    context = {
        "customer": run.customer,
        "customer_name": name,
        "month": run.month,
        "month_label": month_label(run.month),
        "pack_title": PACK_TITLE,
        "figures": format_figures(run.figures),
        "reports": [{"report": f.report, "filename": fname} for f, fname in attachments],
        "chart_cid": chart_cid[1:-1] if chart_cid else None,
        "generated_at": run.generated_at,
        "generated_label": _date_label(run.generated_at),
        "reply_to": recipients.reply_to,
        "preview": {"to": preview_to, "original": original} if preview_to else None,
        "version": __version__,
    }
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_template_dir(template_dir))),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    try:
        subject = " ".join(env.get_template("subject.txt.j2").render(context).split())
        text = env.get_template("body.txt.j2").render(context)
        html = env.get_template("body.html.j2").render(context)
    except jinja2.TemplateError as exc:
        raise MailError(f"email template error: {exc}") from None

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
    if run.chart and chart_cid:
        html_part = msg.get_payload()[1]
        html_part.add_related(
            run.chart.path.read_bytes(), "image", "png", cid=chart_cid, disposition="inline"
        )
    for report_file, filename in attachments:
        msg.add_attachment(
            report_file.path.read_bytes(), maintype="application", subtype="pdf", filename=filename
        )
    return msg


def write_eml(msg: EmailMessage, path: str | os.PathLike[str]) -> Path:
    """Write ``msg`` as an ``.eml`` file atomically (exactly the bytes SMTP would carry)."""
    return atomic_write(path, msg.as_bytes())


# --- send log --------------------------------------------------------------------------------


class SendLog:
    """``reports/<month>/sent.jsonl``: one JSON line per accepted delivery, fsynced on append."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def entries(self) -> list[dict[str, Any]]:
        """Every readable entry (a torn last line from a crash is ignored)."""
        if not self.path.is_file():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict):
                    out.append(entry)
        return out

    def sent(self, customer: str, month: str) -> list[dict]:
        """Entries for this customer-month, whatever PDFs they carried."""
        return [
            e for e in self.entries() if e.get("customer") == customer and e.get("month") == month
        ]

    @staticmethod
    def same_pdfs(entry: Mapping[str, Any], pdf_hashes: Mapping[str, str]) -> bool:
        """Whether an entry's attachments had exactly these sha256s."""
        return {a.get("file"): a.get("sha256") for a in entry.get("attachments", [])} == dict(
            pdf_hashes
        )

    def record(self, entry: Mapping[str, Any]) -> None:
        """Append one entry durably."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())


@contextlib.contextmanager
def _batch_lock(month_dir: Path) -> Iterator[None]:
    """Refuse to run two email batches for the same month at once."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    month_dir.mkdir(parents=True, exist_ok=True)
    with (month_dir / ".email.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise MailError(f"another email run for {month_dir.name} is in progress") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- SMTP delivery ---------------------------------------------------------------------------


@dataclass
class _Outcome:
    accepted: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    fatal: str | None = None


class _Fatal(Exception):
    """Nothing more can be sent in this batch (login, TLS, server unreachable)."""


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}".strip()


class _Mailer:
    """One reusable SMTP connection with bounded exponential-backoff retries."""

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        attempts: int,
        backoff: float,
        sleep: Callable[[float], Any],
    ) -> None:
        self.settings = settings
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.sleep = sleep
        self._conn: smtplib.SMTP | None = None

    def _redact(self, text: str) -> str:
        secret = self.settings.password
        return text.replace(secret, "***") if secret else text

    def _connect(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        s = self.settings
        context = ssl.create_default_context()
        if s.security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=context
            )
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if s.user and s.password:
                if s.security == "none" and not _is_loopback(s.host):
                    raise _Fatal(
                        f"refusing to send the SMTP password unencrypted to {s.host}: "
                        "set SMTP_SECURITY=starttls or ssl"
                    )
                try:
                    conn.login(s.user, s.password)
                except smtplib.SMTPAuthenticationError as exc:
                    raise _Fatal(
                        f"SMTP login as {s.user!r} failed: {_reply(exc.smtp_code, exc.smtp_error)}"
                    ) from None
        except BaseException:
            _close(conn)
            raise
        self._conn = conn
        return conn

    def close(self) -> None:
        """Say QUIT (best effort) and forget the connection."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                conn.quit()
            _close(conn)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            _close(conn)

    def deliver(
        self, msg: EmailMessage, rcpts: list[str], on_accepted: Callable[[list[str]], None]
    ) -> _Outcome:
        """Send ``msg`` to ``rcpts``; retry 4XX/connection failures; 5XX is final per recipient."""
        out = _Outcome()
        pending = list(rcpts)
        sender = addr_spec(self.settings.sender)
        last = ""
        connection_trouble = False
        attempt = 0
        for attempt in range(1, self.attempts + 1):
            try:
                conn = self._connect()
                try:
                    bad = conn.send_message(msg, from_addr=sender, to_addrs=pending)
                except smtplib.SMTPRecipientsRefused as exc:
                    bad = exc.recipients
                accepted = [a for a in pending if a not in bad]
                if accepted:
                    out.accepted += accepted
                    on_accepted(accepted)
                pending = []
                for addr, (code, text) in bad.items():
                    if 400 <= code < 500:
                        pending.append(addr)
                        last = _reply(code, text)
                    else:
                        out.refused[addr] = _reply(code, text)
                connection_trouble = False
            except _Fatal as exc:
                out.fatal = self._redact(str(exc))
                break
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                last = self._redact(_describe_os_error(exc, self.settings))
                connection_trouble = True
            except smtplib.SMTPResponseException as exc:
                self._drop()
                last = self._redact(_reply(exc.smtp_code, exc.smtp_error))
                connection_trouble = False
                if not 400 <= exc.smtp_code < 500:
                    out.refused.update(dict.fromkeys(pending, last))
                    pending = []
            except ssl.SSLError as exc:
                self._drop()
                out.fatal = f"TLS with {self.settings.host}:{self.settings.port} failed: {exc}"
                break
            except smtplib.SMTPException as exc:  # e.g. STARTTLS/AUTH not offered by the server
                self._drop()
                out.fatal = self._redact(f"SMTP with {self.settings.host} failed: {exc}")
                break
            except OSError as exc:  # refused, reset, timed out, DNS
                self._drop()
                last = self._redact(_describe_os_error(exc, self.settings))
                connection_trouble = True
            if not pending:
                break
            if attempt < self.attempts:
                delay = min(self.backoff * 2 ** (attempt - 1), 60.0)
                log.warning("retrying in %.1fs (attempt %d): %s", delay, attempt + 1, last)
                self.sleep(delay)
        if pending:
            gave_up = f"gave up after {attempt} attempt(s): {last}"
            out.refused.update(dict.fromkeys(pending, out.fatal or gave_up))
            if connection_trouble and out.fatal is None:
                out.fatal = f"SMTP server unavailable ({last})"
        return out


def _close(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe_os_error(exc: BaseException, s: SmtpSettings) -> str:
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"connection to {s.host}:{s.port} lost: {exc}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection to {s.host}:{s.port} refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"connection to {s.host}:{s.port} timed out after {s.timeout:g}s"
    return f"connection to {s.host}:{s.port} failed: {exc}"


# --- batch -----------------------------------------------------------------------------------


@dataclass
class Delivery:
    """What happened to one customer-month: sent, written (dry-run), skipped, partial, failed."""

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
        elif self.status == "skipped":
            text = f"skipped: {self.reason}"
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
    config: str | os.PathLike[str] = DEFAULT_CONFIG,
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
    month = parse_month(month or previous_month())
    month_dir = Path(reports_dir) / month
    if not month_dir.is_dir():
        raise MailError(
            f"no reports for {month}: {month_dir} does not exist (run the reports first)"
        )
    book = load_recipients(config)
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
    return report


def _deliver_one(
    customer: str,
    month_dir: Path,
    book: Mapping[str, Recipients],
    settings: SmtpSettings,
    mailer: _Mailer,
    send_log: SendLog,
    *,
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
                "sent_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
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


__all__ = [
    "Delivery",
    "DeliveryReport",
    "ReportRun",
    "SendLog",
    "SmtpSettings",
    "attachment_name",
    "build_message",
    "format_figures",
    "load_run",
    "send_reports",
    "write_eml",
]
