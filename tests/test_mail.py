"""Emailing reports: real run dirs (WeasyPrint PDFs, matplotlib chart), real SMTP (aiosmtpd)."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner
from conftest import MONTH

from portal_reports._io import sha256_file
from portal_reports.cli import cli
from portal_reports.errors import ConfigError
from portal_reports.mail import (
    SmtpSettings,
    attachment_name,
    build_message,
    load_run,
    send_reports,
)
from portal_reports.mail.recipients import load_recipients
from portal_reports.reports.registry import title_from_name

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "smtp-pw-Hq7!xZ2p"
SENDER = "Portal Reports <reports@agency.example>"
FIGURES = {
    "sessions_total": 1234,
    "leads_total": 321,
    "revenue_total": 12345.5,
    "asr_total": 456.78,
    "opportunity_value_total": 9000.0,
    "units_total": 77,
    "sessions_listed": 1234,
}
SHOWN = ["1,234", "321", "26.0%", "12,345.50", "456.78", "9,000.00", "77"]
CUSTOMERS = {
    "acme-dental": "Acme Dental Care",
    "autohaus-mueller": "Autohaus Müller & Söhne",
    "bistro-ca-va": "Bistro Ça Va",
}
CONFIG = """
[customers.acme-dental]
name = "Acme Dental Care"
to = ["Dr. Jane Doe <jane@acme-dental.example>"]
cc = ["office@acme-dental.example"]
reply_to = "Account Team <team@agency.example>"

[customers.autohaus-mueller]
name = "Autohaus Müller & Söhne"
to = ["Klaus Müller <klaus@autohaus-mueller.example>", "verkauf@autohaus-mueller.example"]

[customers.bistro-ca-va]
to = ["chloe@bistro-ca-va.example"]
"""


# --- real report files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    """Small real PDFs, one per report (WeasyPrint), built once."""
    import weasyprint

    return {
        r: weasyprint.HTML(string=f"<h1>{r.title()}</h1><p>{MONTH}</p>").write_pdf()
        for r in ("leads", "revenue", "asr")
    }


@pytest.fixture(scope="module")
def chart() -> bytes:
    """A real PNG chart (matplotlib), built once."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 2))
    ax.plot([1, 2, 3], [3, 1, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def write_run(
    reports: Path,
    customer: str,
    pdfs: dict[str, bytes],
    chart: bytes | None,
    *,
    status: str = "ok",
    failed: list | None = None,
) -> Path:
    """A run directory as the runner writes it: PDFs, chart.png, manifest.json with sha256s."""
    run_dir = reports / MONTH / customer
    run_dir.mkdir(parents=True, exist_ok=True)
    outputs = []
    for report, data in pdfs.items():
        (run_dir / f"{report}.pdf").write_bytes(data)
        outputs.append({"report": report, "format": "pdf", "path": f"{report}.pdf"})
    if chart is not None:
        (run_dir / "chart.png").write_bytes(chart)
        outputs.append({"report": "chart", "format": "png", "path": "chart.png"})
    for o in outputs:
        o["sha256"] = sha256_file(run_dir / o["path"])
    manifest = {
        "month": MONTH,
        "customer": customer,
        "customer_name": CUSTOMERS.get(customer, customer),
        "generated_at": "2026-10-02T06:00:00Z",
        "status": status,
        "failed_reports": failed or [],
        "outputs": outputs,
        "figures": FIGURES,
        "provenance": {"package_version": "0.1.0"},
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run_dir


@pytest.fixture
def reports(tmp_path, pdfs, chart) -> Path:
    """reports/<MONTH>/ with three good customer runs."""
    root = tmp_path / "reports"
    for customer in CUSTOMERS:
        write_run(root, customer, pdfs, chart)
    return root


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "customers.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


# --- a real SMTP server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return message_from_bytes(self.data, policy=policy.default)

    @property
    def customer(self) -> str:
        return str(self.message["X-Portal-Reports"]).split()[0]


class Handler:
    """Stores envelopes; can answer 451 to DATA, 550 to chosen recipients, or drop connections."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.sessions = 0
        self.logins: list[bytes] = []
        self.tempfail_data = 0
        self.reject: dict[str, str] = {}
        self.drop_after: int | None = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.drop_after is not None and len(self.messages) >= self.drop_after:
            server.transport.close()
            return "421 4.3.2 closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail_data:
            self.tempfail_data -= 1
            return "451 4.3.0 Try again later"
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append(auth_data.login)
        ok = auth_data.login == b"reports" and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtpd():
    handler = Handler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=handler.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def env(monkeypatch, tmp_path, smtpd):
    """SMTP settings pointing at the test server; no stray .env is read."""
    monkeypatch.chdir(tmp_path)
    for name in ("SMTP_USER", "SMTP_PASSWORD", "SMTP_SECURITY", "SMTP_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtpd.port))
    monkeypatch.setenv("SMTP_TIMEOUT", "5")
    monkeypatch.setenv("MAIL_FROM", SENDER)
    return monkeypatch


class Sleeps(list):
    """An injectable sleep that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def send(reports, config, **kwargs):
    kwargs.setdefault("sleep", Sleeps())
    return send_reports(MONTH, reports_dir=reports, config=config, **kwargs)


def sent_log(reports: Path) -> list[dict]:
    path = reports / MONTH / "sent.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def by_status(report) -> dict[str, str]:
    return {d.customer: d.status for d in report.deliveries}


# --- building ---------------------------------------------------------------------------------


def test_message_has_bodies_figures_inline_chart_and_pdfs(reports, config, pdfs, chart):
    run = load_run(reports / MONTH / "autohaus-mueller", month=MONTH)
    recipients = load_recipients(config)["autohaus-mueller"]
    raw = build_message(run, recipients, sender=SENDER).as_bytes()
    msg = message_from_bytes(raw, policy=policy.default)

    assert msg["Subject"] == "Autohaus Müller & Söhne — Monthly reports for September 2026"
    assert [a.addr_spec for a in msg["To"].addresses] == [
        "klaus@autohaus-mueller.example",
        "verkauf@autohaus-mueller.example",
    ]
    assert msg["To"].addresses[0].display_name == "Klaus Müller"
    assert msg["Message-ID"].endswith("@agency.example>")
    assert msg["Date"].datetime is not None
    assert msg.get_content_type() == "multipart/mixed"

    text = msg.get_body(("plain",)).get_content()
    html_part = msg.get_body(("html",))
    html = html_part.get_content()
    for shown in SHOWN:
        assert shown in text and shown in html, shown
    assert "Autohaus Müller &amp; Söhne" in html and "Autohaus Müller & Söhne" in text

    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    image = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    assert image.get_content() == chart
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html

    attachments = {p.get_filename(): p for p in msg.iter_attachments()}
    assert set(attachments) == {
        f"Autohaus Müller & Söhne - {title} - September 2026.pdf"
        for title in ("Leads report", "Revenue report", "ASR report")
    }
    for report, data in pdfs.items():
        part = attachments[
            attachment_name("Autohaus Müller & Söhne", title_from_name(report), MONTH)
        ]
        assert part.get_content_type() == "application/pdf"
        assert part.get_content() == data


def test_message_without_chart_has_no_image(tmp_path, config, pdfs):
    run = load_run(write_run(tmp_path, "acme-dental", pdfs, None), month=MONTH)
    msg = build_message(run, load_recipients(config)["acme-dental"], sender=SENDER)
    msg = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert not any(p.get_content_maintype() == "image" for p in msg.walk())
    assert "cid:" not in msg.get_body(("html",)).get_content()
    assert msg["Cc"] == "office@acme-dental.example"
    assert msg["Reply-To"].addresses[0].addr_spec == "team@agency.example"


# --- sending ----------------------------------------------------------------------------------


def test_send_then_rerun_sends_nothing_and_resend_sends_again(env, smtpd, reports, config, pdfs):
    report = send(reports, config)
    assert report.ok and set(by_status(report).values()) == {"sent"}
    assert sorted(m.customer for m in smtpd.messages) == sorted(CUSTOMERS)
    acme = next(m for m in smtpd.messages if m.customer == "acme-dental")
    assert acme.mail_from == "reports@agency.example"
    assert sorted(acme.rcpt_tos) == ["jane@acme-dental.example", "office@acme-dental.example"]
    got = {p.get_filename(): p.get_content() for p in acme.message.iter_attachments()}
    assert sorted(got.values()) == sorted(pdfs.values())

    entries = sent_log(reports)
    assert len(entries) == 3
    entry = next(e for e in entries if e["customer"] == "acme-dental")
    assert entry["month"] == MONTH and entry["message_id"] == acme.message["Message-ID"].strip()
    assert sorted(entry["recipients"]) == sorted(acme.rcpt_tos)
    run_dir = reports / MONTH / "acme-dental"
    assert {a["file"]: a["sha256"] for a in entry["attachments"]} == {
        f"{r}.pdf": sha256_file(run_dir / f"{r}.pdf") for r in pdfs
    }

    again = send(reports, config)
    assert again.ok and set(by_status(again).values()) == {"skipped"}
    assert len(smtpd.messages) == 3
    dry = send(reports, config, dry_run=True)  # a dry run shows what a real run would do
    assert set(by_status(dry).values()) == {"skipped"}

    forced = send(reports, config, resend=True, customers=["bistro-ca-va"])
    assert by_status(forced) == {"bistro-ca-va": "sent"}
    assert [m.customer for m in smtpd.messages].count("bistro-ca-va") == 2


def test_changed_reports_are_not_sent_again_without_resend(
    env, smtpd, reports, config, pdfs, chart
):
    send(reports, config)
    changed = dict(pdfs, leads=pdfs["revenue"])  # a re-run produced a different leads.pdf
    write_run(reports, "acme-dental", changed, chart)
    report = send(reports, config)
    assert set(by_status(report).values()) == {"skipped"}
    lines = {d.customer: d.line() for d in report.deliveries}
    assert "reports changed since: --resend" in lines["acme-dental"]
    assert "(same PDFs)" in lines["bistro-ca-va"]
    assert [m.customer for m in smtpd.messages].count("acme-dental") == 1
    again = send(reports, config, customers=["acme-dental"], resend=True)
    assert by_status(again) == {"acme-dental": "sent"}
    assert [m.customer for m in smtpd.messages].count("acme-dental") == 2


def test_451_is_retried_and_delivered_once(env, smtpd, reports, config):
    smtpd.tempfail_data = 1
    sleeps = Sleeps()
    report = send(reports, config, customers=["acme-dental"], sleep=sleeps)
    assert by_status(report) == {"acme-dental": "sent"}
    assert len(smtpd.messages) == 1 and sleeps == [1.0]
    assert len(sent_log(reports)) == 1


def test_550_for_one_recipient_is_reported_not_logged(env, smtpd, reports, config):
    smtpd.reject["verkauf@autohaus-mueller.example"] = "550 5.1.1 No such user"
    report = send(reports, config, customers=["autohaus-mueller"])
    assert not report.ok
    (delivery,) = report.deliveries
    assert delivery.status == "partial"
    assert delivery.recipients == ["klaus@autohaus-mueller.example"]
    assert "550 5.1.1 No such user" in delivery.refused["verkauf@autohaus-mueller.example"]
    assert "not delivered to verkauf@autohaus-mueller.example" in delivery.line()
    assert [m.rcpt_tos for m in smtpd.messages] == [["klaus@autohaus-mueller.example"]]
    (entry,) = sent_log(reports)
    assert entry["recipients"] == ["klaus@autohaus-mueller.example"]

    # a re-run retries only the refused recipient, and still fails while it is refused
    again = send(reports, config, customers=["autohaus-mueller"])
    assert not again.ok and len(smtpd.messages) == 1
    smtpd.reject.clear()
    fixed = send(reports, config, customers=["autohaus-mueller"])
    assert fixed.ok
    assert smtpd.messages[-1].rcpt_tos == ["verkauf@autohaus-mueller.example"]


def test_dropped_connection_mid_batch_resumes_with_the_rest(env, smtpd, reports, config):
    smtpd.drop_after = 1
    sleeps = Sleeps()
    report = send(reports, config, sleep=sleeps)
    assert not report.ok
    statuses = [d.status for d in report.deliveries]
    assert statuses == ["sent", "failed", "failed"]
    assert "lost" in report.deliveries[1].line()
    assert "not attempted" in report.deliveries[2].line()
    assert sleeps == [1.0, 2.0, 4.0]  # bounded exponential backoff: 4 attempts
    first = smtpd.messages[0].customer
    assert [e["customer"] for e in sent_log(reports)] == [first]

    smtpd.drop_after = None
    resumed = send(reports, config)
    assert resumed.ok
    assert by_status(resumed)[first] == "skipped"
    assert sorted(m.customer for m in smtpd.messages) == sorted(CUSTOMERS)


def test_unreachable_server_fails_fast_after_retries(env, reports, config):
    env.setenv("SMTP_PORT", str(free_port()))  # nothing listens there
    sleeps = Sleeps()
    report = send(reports, config, sleep=sleeps)
    assert [d.status for d in report.deliveries] == ["failed"] * 3
    assert "refused" in report.deliveries[0].line()
    assert sleeps == [1.0, 2.0, 4.0]
    assert sent_log(reports) == []


def test_an_unreachable_server_is_not_tried_again_for_the_summary(env, reports, config):
    from portal_reports.errors import MailError
    from portal_reports.mail.summary import send_summary

    env.setenv("SMTP_PORT", str(free_port()))  # nothing listens there
    report = send(reports, config)
    assert report.stopped and "refused" in report.stopped
    sleeps = Sleeps()
    with pytest.raises(MailError, match="summary was not sent: SMTP server unavailable"):
        send_summary(report, reports_dir=reports, to=["ops@agency.example"], sleep=sleeps)
    assert sleeps == []  # not retried: no attempt at all


def test_cli_email_to_an_unreachable_server_is_short(tmp_path, reports, config):
    """One customer's retries, the other customers not attempted, no summary attempt: the
    agency's summary used to be retried against the same dead server (4 more attempts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_", "MAIL_"))}
    env.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(free_port()),  # nothing listens there
        MAIL_FROM=SENDER,
        MAIL_SUMMARY_TO="ops@agency.example",
    )
    args = ["email", "--month", MONTH, "--reports-dir", str(reports), "--config", str(config)]
    proc = subprocess.run(
        [sys.executable, "-m", "portal_reports", *args],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    refused = f"connection to 127.0.0.1:{env['SMTP_PORT']} refused"
    assert [line.split(":")[0] for line in proc.stdout.splitlines()] == [*CUSTOMERS, MONTH]
    assert proc.stdout.count("not attempted") == 2
    assert proc.stderr.splitlines() == [
        f"warning: retrying in 1.0s (attempt 2): {refused}",
        f"warning: retrying in 2.0s (attempt 3): {refused}",
        f"warning: retrying in 4.0s (attempt 4): {refused}",
        f"Error: 3 customer(s) not delivered for {MONTH}; the delivery summary was not sent: "
        f"SMTP server unavailable ({refused})",
    ]


def test_refusals_are_reported_per_customer(env, smtpd, tmp_path, pdfs, chart):
    reports = tmp_path / "reports"
    write_run(reports, "acme-dental", pdfs, chart)
    write_run(
        reports,
        "autohaus-mueller",
        pdfs,
        chart,
        status="failed",
        failed=[{"report": "asr", "cell": 5, "error": "ValueError: boom"}],
    )
    tampered = write_run(reports, "bistro-ca-va", pdfs, chart)
    (tampered / "leads.pdf").write_bytes(pdfs["asr"])
    unfinished = reports / MONTH / "nordlicht-yoga"
    unfinished.mkdir()
    (unfinished / "data.json").write_text("{}")
    write_run(reports, "zebra-gym", pdfs, chart)  # has reports, no recipients
    config = tmp_path / "customers.toml"
    config.write_text(CONFIG + '\n[customers.nordlicht-yoga]\nto = ["a@nordlicht.example"]\n')

    report = send(reports, config)
    lines = {d.customer: d.line() for d in report.deliveries}
    assert by_status(report) == {
        "acme-dental": "sent",
        "autohaus-mueller": "failed",
        "bistro-ca-va": "failed",
        "nordlicht-yoga": "failed",
        "zebra-gym": "failed",
    }
    assert "asr (cell 5: ValueError: boom)" in lines["autohaus-mueller"]
    assert "leads.pdf does not match the manifest sha256" in lines["bistro-ca-va"]
    assert "no manifest.json" in lines["nordlicht-yoga"]
    assert "no recipients configured" in lines["zebra-gym"]
    assert [m.customer for m in smtpd.messages] == ["acme-dental"]
    assert not report.ok


def test_preview_goes_to_one_address_and_is_not_logged(env, smtpd, reports, config):
    report = send(reports, config, to="me@agency.example", customers=["acme-dental"])
    assert report.ok
    (received,) = smtpd.messages
    assert received.rcpt_tos == ["me@agency.example"]
    msg = received.message
    assert msg["Subject"].startswith("[PREVIEW] Acme Dental Care")
    assert "jane@acme-dental.example" in msg["X-Original-To"]
    assert "office@acme-dental.example" in msg.get_body(("plain",)).get_content()
    assert sent_log(reports) == []
    real = send(reports, config, customers=["acme-dental"])
    assert by_status(real) == {"acme-dental": "sent"}


def test_dry_run_writes_eml_and_contacts_no_server(monkeypatch, tmp_path, smtpd, reports, config):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAIL_FROM", raising=False)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtpd.port))
    report = send(reports, config, dry_run=True)
    assert report.ok and set(by_status(report).values()) == {"written"}
    assert smtpd.sessions == 0 and smtpd.messages == []
    outbox = reports / MONTH / "outbox"
    assert sorted(p.name for p in outbox.iterdir()) == [f"{c}.eml" for c in sorted(CUSTOMERS)]
    msg = message_from_bytes((outbox / "bistro-ca-va.eml").read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Bistro Ça Va — Monthly reports for September 2026"
    assert msg["From"] == "reports@localhost"
    assert len(list(msg.iter_attachments())) == 3
    assert not (reports / MONTH / "sent.jsonl").exists()


def test_password_never_appears(env, smtpd, reports, config, caplog):
    env.setenv("SMTP_USER", "reports")
    env.setenv("SMTP_PASSWORD", PASSWORD)
    settings = SmtpSettings.from_env()
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)
    smtpd.tempfail_data = 1  # exercise the retry log line too
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(
        cli, ["email", "--month", MONTH, "--reports-dir", str(reports), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert smtpd.logins and set(smtpd.logins) == {b"reports"}
    assert len(smtpd.messages) == 3
    env.setenv("SMTP_PASSWORD", PASSWORD + "-wrong")
    bad = CliRunner().invoke(
        cli,
        [
            "email",
            "--month",
            MONTH,
            "--resend",
            "--reports-dir",
            str(reports),
            "--config",
            str(config),
        ],
    )
    assert bad.exit_code == 1 and "SMTP login as 'reports' failed: 535" in bad.output
    send(reports, config, dry_run=True, resend=True)
    texts = [result.output, bad.output, caplog.text, (reports / MONTH / "sent.jsonl").read_text()]
    texts += [m.data.decode("ascii", "replace") for m in smtpd.messages]
    texts += [p.read_text() for p in (reports / MONTH / "outbox").iterdir()]
    assert not [t for t in texts if PASSWORD in t]


# --- CLI and configuration --------------------------------------------------------------------


def test_cli_email_dry_run(monkeypatch, tmp_path, reports, config):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAIL_FROM", raising=False)
    monkeypatch.setenv("SMTP_PORT", str(free_port()))
    args = ["email", "--month", MONTH, "--dry-run", "--reports-dir", str(reports)]
    result = CliRunner().invoke(cli, [*args, "--config", str(config), "--customer", "acme-dental"])
    assert result.exit_code == 0, result.output
    assert "acme-dental: written" in result.output
    assert f"{MONTH} (dry run): 1 written" in result.output
    assert (reports / MONTH / "outbox" / "acme-dental.eml").is_file()

    missing = CliRunner().invoke(cli, [*args, "--config", str(config), "--customer", "nobody"])
    assert missing.exit_code == 1
    assert "nobody: failed: refused: no manifest.json" in missing.output
    assert "Error: 1 customer(s) not delivered" in missing.output


def test_cli_email_requires_mail_from_for_a_real_send(monkeypatch, tmp_path, reports, config):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAIL_FROM", raising=False)
    args = ["email", "--month", MONTH, "--reports-dir", str(reports), "--config", str(config)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "MAIL_FROM is not set" in result.output


@pytest.mark.parametrize(
    ("security", "port"), [("none", 25), ("starttls", 587), ("ssl", 465), ("SSL", 465)]
)
def test_smtp_port_defaults_follow_security(security, port):
    env = {"SMTP_SECURITY": security, "MAIL_FROM": "r@agency.example"}
    assert SmtpSettings.from_env(env).port == port


def test_bad_smtp_settings_are_config_errors():
    with pytest.raises(ConfigError, match="SMTP_SECURITY"):
        SmtpSettings.from_env({"SMTP_SECURITY": "tls", "MAIL_FROM": "r@x.example"})
    with pytest.raises(ConfigError, match="together"):
        SmtpSettings.from_env({"SMTP_USER": "u", "MAIL_FROM": "r@x.example"})
    with pytest.raises(ConfigError, match="MAIL_FROM"):
        SmtpSettings.from_env({"MAIL_FROM": "not an address"})


def test_bad_address_names_the_customer(tmp_path):
    path = tmp_path / "customers.toml"
    path.write_text('[customers.acme-dental]\nto = ["jane(at)acme.example"]\n')
    with pytest.raises(ConfigError, match="customer 'acme-dental'.*not a valid email address"):
        load_recipients(path)
    path.write_text('[customers.acme-dental]\nto = ["a@x.example, b@x.example"]\n')
    with pytest.raises(ConfigError, match="acme-dental"):
        load_recipients(path)
    path.write_text('[customers.acme-dental]\ntoo = ["a@x.example"]\n')
    with pytest.raises(ConfigError, match="unknown key"):
        load_recipients(path)


def test_project_customers_toml_has_the_demo_customers():
    book = load_recipients(ROOT / "customers.toml")
    demo = {"acme-dental", "autohaus-mueller", "bistro-ca-va", "nordlicht-yoga"}
    assert demo <= set(book)
    for customer in demo:
        assert book[customer].to, customer
        assert all(
            a.rpartition("@")[2].endswith((".example", "example.com"))
            for a in book[customer].envelope
        )


def test_a_broken_email_template_names_its_file_and_line(monkeypatch, tmp_path, reports, config):
    """A project's email template that Jinja cannot compile: one line with its file and line."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMTP_PORT", str(free_port()))
    broken = tmp_path / "templates" / "email" / "body.txt.j2"
    broken.parent.mkdir(parents=True)
    broken.write_text("Hello,\n\n{{ customer_name }\n", encoding="utf-8")
    args = ["email", "--month", MONTH, "--dry-run", "--reports-dir", str(reports)]
    result = CliRunner().invoke(cli, [*args, "--config", str(config), "--customer", "acme-dental"])
    assert result.exit_code == 2, result.output  # bad input, as a broken report template
    assert result.output.strip() == (
        "Error: email template cannot be loaded: templates/email/body.txt.j2, line 3: "
        "unexpected '}'"
    )
