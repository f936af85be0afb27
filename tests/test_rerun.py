"""Re-runs of a month the Portal keeps touching, and runs of some reports (``--report``):
what stays up to date, what keeps its approval, what email refuses. Real CLI, a private
sandbox whose database the tests change as a Portal would, kernels and PDFs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pandas as pd
import pytest
from conftest import MONTH, SECRET

from portal_reports.publish.inputs import session_scope
from portal_reports.reports.figures import SESSION_COLUMNS_USED

CUSTOMER = "acme-dental"
CONFIG = f"""
[defaults]
review = true

[customers.{CUSTOMER}]
to = ["jane@acme-dental.example"]
"""
# acme-dental is in New York: its September is 04:00Z on the 1st to 03:59:59Z on 1 October
IN_MONTH = "customer_id = ? AND created_at BETWEEN '2026-09-01T04:00:00Z' AND '2026-10-01T03:59Z'"


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from portal_reports.cli import main; main()", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture
def project(fresh_sandbox, tmp_path):
    (tmp_path / "customers.toml").write_text(CONFIG, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_", "MAIL_"))}
    env.update(PORTAL_BASE_URL=fresh_sandbox.url, PORTAL_SECRET=SECRET)
    first = cli("run", "--month", MONTH, "--customer", CUSTOMER, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    return {"root": tmp_path, "env": env, "dir": tmp_path / "reports" / MONTH / CUSTOMER}


def portal_touches_open_sessions(sandbox) -> None:
    """What a live Portal does to last month's sessions that are still open: their latest
    message and event move, their message counts grow. No report shows these fields."""
    with sandbox.connect() as db:
        changed = db.execute(
            f"""UPDATE sessions SET latest_message_datetime = '2026-10-05T10:00:00Z',
                       latest_event_datetime = '2026-10-05T10:00:01Z',
                       messages_count = messages_count + 2,
                       user_messages_count = user_messages_count + 1
                WHERE id IN (SELECT id FROM sessions WHERE {IN_MONTH} LIMIT 3)""",
            (CUSTOMER,),
        ).rowcount
    assert changed == 3


def portal_turns_a_session_into_a_lead(sandbox) -> None:
    """A change the reports show: one more lead (the statistics change with it)."""
    with sandbox.connect() as db:
        changed = db.execute(
            f"""UPDATE sessions SET is_lead = 1, arguments = json_set(arguments, '$.is_lead', 1)
                WHERE id = (SELECT id FROM sessions WHERE {IN_MONTH} AND NOT is_lead LIMIT 1)""",
            (CUSTOMER,),
        ).rowcount
    assert changed == 1


def pdf_bytes(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run_dir.glob("*.pdf"))}


def attachments(root: Path) -> list[str]:
    eml = root / "reports" / MONTH / "outbox" / f"{CUSTOMER}.eml"
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    return [part.get_filename() for part in message.iter_attachments()]


@pytest.mark.slow
def test_a_month_the_portal_touches_stays_up_to_date_and_approved(project, fresh_sandbox):
    root, env, run_dir = project["root"], project["env"], project["dir"]
    approved = cli("approve", "--month", MONTH, "--customer", CUSTOMER, env=env, cwd=root)
    assert approved.returncode == 0 and f"{CUSTOMER}: approved" in approved.stdout
    pdfs = pdf_bytes(run_dir)

    portal_touches_open_sessions(fresh_sandbox)
    again = cli("run", "--month", MONTH, "--customer", CUSTOMER, env=env, cwd=root)
    assert again.returncode == 0, again.stderr
    assert re.search(rf"{CUSTOMER}\s+up to date", again.stdout), again.stdout
    assert pdf_bytes(run_dir) == pdfs
    email = cli("email", "--month", MONTH, "--dry-run", env=env, cwd=root)
    assert email.returncode == 0, email.stdout + email.stderr
    assert f"{CUSTOMER}: written" in email.stdout  # the approval holds

    portal_turns_a_session_into_a_lead(fresh_sandbox)
    redone = cli("run", "--month", MONTH, "--customer", CUSTOMER, env=env, cwd=root)
    assert redone.returncode == 0, redone.stderr
    assert re.search(rf"{CUSTOMER}\s+ok\s+3/3", redone.stdout), redone.stdout
    email = cli("email", "--month", MONTH, "--dry-run", env=env, cwd=root)
    assert "the reports changed since they were approved" in email.stdout, email.stdout


@pytest.mark.slow
def test_a_run_of_some_reports_keeps_the_others_only_for_the_same_data(project, fresh_sandbox):
    root, env, run_dir = project["root"], project["env"], project["dir"]
    leads = ("run", "--month", MONTH, "--customer", CUSTOMER, "--report", "leads")
    others = {"revenue.pdf": (run_dir / "revenue.pdf").read_bytes()}

    portal_touches_open_sessions(fresh_sandbox)  # the same data, as the reports show it
    proc = cli(*leads, "--force", env=env, cwd=root)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert [r["name"] for r in manifest["reports"]] == ["leads", "revenue", "asr"]
    assert [o["path"] for o in manifest["outputs"] if o["format"] == "pdf"] == [
        "leads.pdf", "revenue.pdf", "asr.pdf",
    ]  # fmt: skip
    assert manifest["missing_reports"] == []
    assert manifest["execution"]["reports"]["revenue"]["kept"] is True
    assert (run_dir / "revenue.pdf").read_bytes() == others["revenue.pdf"]
    email = cli("email", "--month", MONTH, "--dry-run", "--resend", env=env, cwd=root)
    assert "waiting for review, not approved yet" in email.stdout  # not approved yet
    approved = cli("approve", "--month", MONTH, env=env, cwd=root)
    assert approved.returncode == 0, approved.stdout
    email = cli("email", "--month", MONTH, "--dry-run", env=env, cwd=root)
    assert email.returncode == 0, email.stdout
    assert [name.split(" - ")[1] for name in attachments(root)] == [
        "Leads report", "Revenue report", "ASR report",
    ]  # fmt: skip
    # a full run afterwards finds every report made from this data
    full = cli("run", "--month", MONTH, "--customer", CUSTOMER, env=env, cwd=root)
    assert re.search(rf"{CUSTOMER}\s+up to date", full.stdout), full.stdout

    portal_turns_a_session_into_a_lead(fresh_sandbox)  # revenue and asr are now stale
    proc = cli(*leads, env=env, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        f"Note: {CUSTOMER}: revenue, asr not made from this data (left out of the manifest): "
        f"email holds the month back until they are (portal-reports run --month {MONTH} "
        f"--customer {CUSTOMER})\n"
    )
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert [r["name"] for r in manifest["reports"]] == ["leads"]
    assert manifest["missing_reports"] == ["revenue", "asr"]
    assert not any(
        (run_dir / f"{r}.{f}").exists() for r in ("revenue", "asr") for f in ("pdf", "html")
    )
    again = cli(*leads, "--force", env=env, cwd=root)  # they stay missing until made
    assert again.returncode == 0 and "revenue, asr not made" in again.stderr, again.stderr
    for command in (("email", "--dry-run"), ("approve",)):
        refused = cli(*command, "--month", MONTH, "--customer", CUSTOMER, env=env, cwd=root)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert (
            "report(s) revenue, asr not made for this month's data (the last run made only some "
            f"reports): portal-reports run --month {MONTH} --customer {CUSTOMER} makes them"
        ) in refused.stdout, refused.stdout
    full = cli("run", "--month", MONTH, "--customer", CUSTOMER, env=env, cwd=root)
    assert re.search(rf"{CUSTOMER}\s+ok\s+3/3", full.stdout), full.stdout
    assert json.loads((run_dir / "manifest.json").read_text())["missing_reports"] == []


def notebook(*code: str) -> str:
    cells = [{"cell_type": "code", "source": src, "metadata": {}, "outputs": []} for src in code]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_the_skip_hash_covers_the_session_columns_a_report_can_show(month_data):
    root = Path(__file__).resolve().parent.parent / "notebooks"
    for name in ("leads", "revenue", "asr"):  # the package's reports read them via figures
        text = (root / f"{name}.ipynb").read_text(encoding="utf-8")
        assert session_scope(text) == SESSION_COLUMNS_USED
    assert session_scope(notebook("report.headline('sessions')")) == SESSION_COLUMNS_USED
    # a project's own notebook that reads the sessions itself is hashed with every column
    for code in ("data.sessions['channel'].value_counts()", "data.session_columns('channel')"):
        assert session_scope(notebook("x = 1", code)) is None
    assert session_scope("not a notebook") is None

    sessions = month_data.sessions
    touched = sessions.copy()  # what a Portal moves on open sessions: no report shows it
    touched["latest_message_datetime"] += pd.Timedelta(minutes=1)
    touched["latest_event_datetime"] += pd.Timedelta(minutes=1)
    touched["messages_count"] += 2
    moved = month_data.with_sessions(touched)
    lead = sessions.copy()  # one more lead: every report shows that
    lead.loc[(lead["arg_is_lead"] == "false").idxmax(), "arg_is_lead"] = "true"
    used = SESSION_COLUMNS_USED
    assert moved.content_sha256(used) == month_data.content_sha256(used)
    assert moved.content_sha256(None) != month_data.content_sha256(None)
    assert month_data.with_sessions(lead).content_sha256(used) != month_data.content_sha256(used)
