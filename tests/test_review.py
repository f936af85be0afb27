# ruff: noqa: F811 - the fixtures imported from test_mail are used as arguments
"""Review before sending, empty months, the note in the email, and the agency's delivery
summary: real run folders and a real SMTP server (aiosmtpd), as in test_mail."""

from __future__ import annotations

import json
from email import message_from_bytes, policy

import pytest
from click.testing import CliRunner
from conftest import MONTH
from test_mail import (  # noqa: F401 - fixtures used by name
    CONFIG,
    Sleeps,
    by_status,
    chart,
    config,
    env,
    pdfs,
    reports,
    send,
    smtpd,
    write_run,
)

from portal_reports.cli import cli
from portal_reports.mail import build_message, load_run
from portal_reports.mail.recipients import load_recipients
from portal_reports.mail.review import APPROVALS, approve
from portal_reports.mail.summary import SUMMARY_FILE, send_summary

AGENCY = "Agency Ops <ops@agency.example>"


def with_config(config, text: str):
    config.write_text(text + CONFIG, encoding="utf-8")
    return config


def edit_manifest(run_dir, **changes):
    path = run_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    for key, value in changes.items():
        if key == "figures":
            manifest["figures"] = {**manifest["figures"], **value}
        else:
            manifest[key] = value
    path.write_text(json.dumps(manifest), encoding="utf-8")


def customers_of(smtpd) -> list[str]:
    return [m.customer for m in smtpd.messages]


def test_review_holds_everything_until_approved(env, smtpd, reports, config):
    with_config(config, "[defaults]\nreview = true\n")
    report = send(reports, config)
    assert set(by_status(report).values()) == {"waiting"} and report.ok
    assert smtpd.messages == []
    line = report.deliveries[0].line()
    assert "waiting for review, not approved yet" in line
    assert f"portal-reports approve --month {MONTH} --customer acme-dental" in line

    results = approve(MONTH, ["acme-dental"], reports_dir=reports, by="tester")
    assert [(r.customer, r.status) for r in results] == [("acme-dental", "approved")]
    entry = json.loads((reports / MONTH / APPROVALS).read_text().splitlines()[0])
    run = load_run(reports / MONTH / "acme-dental")
    assert {a["file"]: a["sha256"] for a in entry["attachments"]} == run.pdf_hashes
    assert entry["approved_by"] == "tester"
    again = approve(MONTH, ["acme-dental"], reports_dir=reports)
    assert again[0].status == "already approved"

    report = send(reports, config)
    assert by_status(report) == {
        "acme-dental": "sent",
        "autohaus-mueller": "waiting",
        "bistro-ca-va": "waiting",
    }
    assert customers_of(smtpd) == ["acme-dental"]


def test_a_rerun_after_approval_needs_approving_again(env, smtpd, reports, config, pdfs, chart):
    with_config(config, "[defaults]\nreview = true\n")
    assert all(r.ok for r in approve(MONTH, reports_dir=reports))
    changed = {name: data + b"\n% re-run\n" for name, data in pdfs.items()}
    write_run(reports, "bistro-ca-va", changed, chart)  # the reports were produced again
    report = send(reports, config)
    assert by_status(report)["bistro-ca-va"] == "waiting"
    assert "changed since they were approved" in report.deliveries[2].reason
    assert sorted(customers_of(smtpd)) == ["acme-dental", "autohaus-mueller"]


def test_review_per_customer_overrides_the_default(env, smtpd, reports, config):
    config.write_text(
        "[defaults]\nreview = true\n"
        + CONFIG.replace(
            "[customers.bistro-ca-va]\n", "[customers.bistro-ca-va]\nreview = false\n"
        ),
        encoding="utf-8",
    )
    report = send(reports, config)
    assert by_status(report)["bistro-ca-va"] == "sent"
    assert by_status(report)["acme-dental"] == "waiting"


@pytest.mark.parametrize(
    "figures",
    [{"sessions_total": 0}, {"sessions_total": None, "sessions_listed": 0}],
    ids=["zero", "summary left out"],  # a Portal may send summary: {} for an empty month
)
def test_a_month_without_sessions_is_sent_only_with_send_empty(
    env, smtpd, reports, config, figures
):
    edit_manifest(reports / MONTH / "bistro-ca-va", figures=figures)
    report = send(reports, config)
    assert by_status(report)["bistro-ca-va"] == "skipped"
    assert "no sessions in September 2026" in report.deliveries[2].reason
    assert sorted(customers_of(smtpd)) == ["acme-dental", "autohaus-mueller"]
    config.write_text(
        CONFIG.replace(
            "[customers.bistro-ca-va]\n", "[customers.bistro-ca-va]\nsend_empty = true\n"
        ),
        encoding="utf-8",
    )
    report = send(reports, config)
    assert by_status(report)["bistro-ca-va"] == "sent"


def test_the_note_is_in_the_email_body(reports, config):
    note = {
        "path": "notes/2026-09/acme-dental.md",
        "markdown": "Leads grew to **321**: well done!",
        "html": "<p>Leads grew to <strong>321</strong>: well done!</p>",
    }
    run_dir = reports / MONTH / "acme-dental"
    edit_manifest(run_dir, note=note)
    msg = build_message(load_run(run_dir), load_recipients(config)["acme-dental"])
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "A note from your account manager" in text and note["markdown"] in text
    assert note["html"] in html and "account-note" in html
    plain = build_message(
        load_run(reports / MONTH / "bistro-ca-va"), load_recipients(config)["bistro-ca-va"]
    )
    assert "account manager" not in plain.as_string()


def test_the_summary_reaches_the_agency_with_reasons(env, smtpd, reports, config):
    with_config(config, "[defaults]\nreview = false\n")
    edit_manifest(reports / MONTH / "bistro-ca-va", status="failed")
    smtpd.reject["verkauf@autohaus-mueller.example"] = "550 5.1.1 no such user"
    report = send(reports, config)
    smtpd.tempfail_data = 1  # the summary goes through the same retries
    line = send_summary(report, reports_dir=reports, to=[AGENCY], sleep=Sleeps())
    assert line == "summary: sent to ops@agency.example"
    summary = smtpd.messages[-1]
    assert summary.rcpt_tos == ["ops@agency.example"]
    message = summary.message
    assert message["Subject"].startswith("Delivery summary September 2026: 1 sent, 1 partial")
    assert "not delivered" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Failed (1)" in text and "bistro-ca-va: refused: manifest status is 'failed'" in text
    assert "Partly delivered (1)" in text and "550 5.1.1 no such user" in text
    assert "Sent (1)" in text and "acme-dental: to jane@acme-dental.example" in text
    assert "bistro-ca-va" in message.get_body(("html",)).get_content()
    assert not [m for m in smtpd.messages if "summary" not in str(m.message["X-Portal-Reports"])
                and m.rcpt_tos == ["ops@agency.example"]]  # fmt: skip


def test_cli_approve_and_email_with_summary_and_dry_run(env, smtpd, reports, config):
    with_config(config, "[defaults]\nreview = true\n")
    env.setenv("MAIL_SUMMARY_TO", AGENCY)
    runner = CliRunner()
    args = ["--month", MONTH, "--reports-dir", str(reports)]
    dry = runner.invoke(cli, ["email", *args, "--config", str(config), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "acme-dental: waiting: waiting for review" in dry.output
    eml = reports / MONTH / "outbox" / SUMMARY_FILE
    assert f"summary: written {eml}" in dry.output and eml.is_file()
    assert "Waiting for review (3)" in eml.read_text()
    assert smtpd.messages == []

    approved = runner.invoke(cli, ["approve", *args, "--customer", "acme-dental,bistro-ca-va"])
    assert approved.exit_code == 0, approved.output
    assert (
        "acme-dental: approved" in approved.output and "bistro-ca-va: approved" in approved.output
    )
    sent = runner.invoke(cli, ["email", *args, "--config", str(config)])
    assert sent.exit_code == 0, sent.output
    assert "summary: sent to ops@agency.example" in sent.output
    assert sorted(customers_of(smtpd)) == ["acme-dental", "bistro-ca-va", "summary"]
    edit_manifest(reports / MONTH / "autohaus-mueller", status="failed")
    refused = runner.invoke(cli, ["approve", *args, "--customer", "autohaus-mueller"])
    assert refused.exit_code == 1 and "refused" in refused.output


def test_a_bad_summary_address_stops_email_before_any_customer_is_mailed(
    env, smtpd, reports, config
):
    env.setenv("MAIL_SUMMARY_TO", "ops at agency")
    args = ["--month", MONTH, "--reports-dir", str(reports), "--config", str(config)]
    result = CliRunner().invoke(cli, ["email", *args])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: MAIL_SUMMARY_TO") and "ops at agency" in line
    assert smtpd.messages == []  # was: every customer mailed, then the summary failed
    assert not (reports / MONTH / "sent.jsonl").exists()
