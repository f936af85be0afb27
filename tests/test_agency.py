"""A reports project end to end: targets, a note, a year of history (cached), the portfolio,
review before sending and the agency's summary. Real CLI, sandbox, kernels, PDFs and SMTP."""

# ruff: noqa: F811 - the SMTP fixture imported from test_mail is used as an argument
from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MONTH, SECRET
from pypdf import PdfReader
from test_history import sql_month
from test_mail import smtpd  # noqa: F401 - fixture

from portal_reports.data.history import history_range
from portal_reports.publish.portfolio import (
    DROP_PCT,
    Figures,
    build_portfolio,
    change,
    render_html,
)
from portal_reports.reports.format import fmt_int, fmt_money

CUSTOMERS = ("acme-dental", "nordlicht-yoga")
INFO = "/api/v1/bff/sessions/info"
CONFIG = """
[defaults]
review = true

[customers.acme-dental]
name = "Acme Dental Care"
to = ["Dr. Jane Doe <jane@acme-dental.example>"]
targets = { leads = 100, revenue = 999999999 }

[customers.nordlicht-yoga]
to = ["astrid@nordlicht-yoga.example"]

[customers.bistro-ca-va]
to = ["chloe@bistro-ca-va.example"]
"""
NOTE = "Well done! **{{ leads_total }} leads** ({{ leads_change }}), target {{ leads_target }}.\n"


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from portal_reports.cli import main; main()", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def project(sandbox, tmp_path_factory):
    """A project with targets and a note, its month run once, then again (up to date)."""
    root = tmp_path_factory.mktemp("agency")
    (root / "customers.toml").write_text(CONFIG, encoding="utf-8")
    (root / "notes" / MONTH).mkdir(parents=True)
    (root / "notes" / MONTH / "acme-dental.md").write_text(NOTE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_", "MAIL_"))}
    env.update(PORTAL_BASE_URL=sandbox.url, PORTAL_SECRET=SECRET)
    args = ["run", "--month", MONTH, *(a for c in CUSTOMERS for a in ("--customer", c))]
    first = cli(*args, env=env, cwd=root)
    assert first.returncode == 0, first.stderr
    before = len(sandbox.requests)
    again = cli(*args, env=env, cwd=root)
    assert again.returncode == 0, again.stderr
    second = [r.path for r in sandbox.requests[before:] if r.path.startswith(INFO)]
    manifests = {
        c: json.loads((root / "reports" / MONTH / c / "manifest.json").read_text())
        for c in CUSTOMERS
    }
    return {"root": root, "env": env, "again": again, "second": second, "manifests": manifests}


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.mark.slow
def test_history_in_manifests_equals_the_database_and_is_cached(project, sandbox):
    for customer, manifest in project["manifests"].items():
        history = manifest["history"]
        assert [h["month"] for h in history] == [m for m, _, _ in history_range(MONTH)]
        for entry in history:
            zone = manifest["period"]["time_zone"]  # the customer's local months
            expected = sql_month(sandbox, customer, entry["month"], zone)
            if customer == "nordlicht-yoga" and entry["month"] < "2026-08":
                assert entry["sessions_total"] is None and entry["leads_total"] is None
                continue
            for key, value in expected.items():
                assert entry[key] == pytest.approx(value, abs=0.01), (customer, entry)
    # the second run was up to date and asked only for the month and the one before
    assert re.search(r"acme-dental\s+up to date", project["again"].stdout)
    # (the months are the customers' local months: their UTC starts fall around month ends)
    asked = sorted(re.search(r"from_datetime=([\d-]{10})", p).group(1) for p in project["second"])
    assert len(asked) == 4 and asked[0] >= "2026-07-31", asked


@pytest.mark.slow
def test_targets_and_the_note_are_in_every_report(project):
    run_dir = project["root"] / "reports" / MONTH / "acme-dental"
    manifest = project["manifests"]["acme-dental"]
    leads, revenue = manifest["targets"]["leads"], manifest["targets"]["revenue"]
    assert leads["status"] == "met" and leads["value"] == manifest["figures"]["leads_total"]
    assert revenue["status"] == "behind" and revenue["target"] == 999999999
    shown = fmt_int(manifest["figures"]["leads_total"])
    assert manifest["note"]["markdown"].startswith(f"Well done! **{shown} leads** (")
    for report in ("leads", "revenue", "asr"):
        text = pdf_text(run_dir / f"{report}.pdf")
        assert "A NOTE FROM YOUR ACCOUNT MANAGER" in text.upper()
        assert f"{shown} leads" in text and "target 100" in text
        assert "The last 12 months" in text and "September 2025" in text  # year-on-year table
        html = (run_dir / f"{report}.html").read_text()
        assert f"<strong>{shown} leads</strong>" in html and 'class="account-note"' in html
    leads_pdf = pdf_text(run_dir / "leads.pdf")
    assert re.search(r"Target 100 · \d+% · met", leads_pdf)
    revenue_pdf = pdf_text(run_dir / "revenue.pdf")
    assert "Target 999,999,999.00 · 0% · behind" in revenue_pdf
    other = project["root"] / "reports" / MONTH / "nordlicht-yoga"
    assert "account manager" not in pdf_text(other / "leads.pdf").lower()
    assert "no data" in pdf_text(other / "revenue.pdf")  # the year before its data began


@pytest.mark.slow
def test_portfolio_lists_every_customer_with_its_manifest_figures(project):
    root = project["root"]
    proc = cli("portfolio", "--month", MONTH, env=project["env"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    month_dir = root / "reports" / MONTH
    assert (month_dir / "portfolio.html").is_file() and (month_dir / "portfolio.pdf").is_file()
    portfolio = build_portfolio(MONTH, root / "reports", customers=["bistro-ca-va"])
    rows = {r.customer: r for r in portfolio.rows}
    assert set(rows) == {*CUSTOMERS, "bistro-ca-va"} and rows["bistro-ca-va"].status == "not run"
    text = pdf_text(month_dir / "portfolio.pdf")
    html = (month_dir / "portfolio.html").read_text()
    for customer in CUSTOMERS:
        figures = project["manifests"][customer]["figures"]
        row = rows[customer]
        assert row.figures.sessions == figures["sessions_total"]
        assert row.figures.leads == figures["leads_total"]
        assert row.figures.revenue == figures["revenue_total"]
        assert row.status == "ok" and row.data_check == "ok"
        previous = next(
            h for h in project["manifests"][customer]["history"] if h["month"] == "2026-08"
        )
        assert row.previous.sessions == previous["sessions_total"]
        for shown in (fmt_int(figures["sessions_total"]), fmt_money(figures["revenue_total"])):
            assert shown in text and shown in html
    total = sum(project["manifests"][c]["figures"]["sessions_total"] for c in CUSTOMERS)
    assert portfolio.total.sessions == total and fmt_int(total) in text
    assert "Acme Dental Care" in text and "Nordlicht Yoga" in text and "not run" in text
    assert "1/2 met" in text  # acme's targets


def test_portfolio_flags_drops_and_sorts_biggest_drop_first():
    before = Figures(1000, 400, 50000.0, 100, 5000.0)
    assert change("leads", Figures(1000, 300, 50000.0), before) == pytest.approx(-0.25)
    assert change("conversion", Figures(1000, 300, 1.0), before) == pytest.approx(-0.1)
    assert change("leads", None, before) is None
    assert DROP_PCT == -0.15


@pytest.mark.slow
def test_review_gates_sending_and_the_agency_gets_a_summary(project, smtpd):
    root, env = project["root"], dict(project["env"])
    env.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtpd.port),
        MAIL_FROM="Reports <reports@agency.example>",
        MAIL_SUMMARY_TO="Ops <ops@agency.example>",
    )
    waiting = cli("email", "--month", MONTH, env=env, cwd=root)
    assert waiting.returncode == 0, waiting.stderr
    assert waiting.stdout.count("waiting: waiting for review") == 2
    assert [m.rcpt_tos for m in smtpd.messages] == [["ops@agency.example"]]  # the summary only
    approved = cli("approve", "--month", MONTH, "--customer", "acme-dental", env=env, cwd=root)
    assert approved.returncode == 0 and "acme-dental: approved" in approved.stdout
    sent = cli("email", "--month", MONTH, env=env, cwd=root)
    assert sent.returncode == 0, sent.stderr
    customer_mail = [m for m in smtpd.messages if m.rcpt_tos == ["jane@acme-dental.example"]]
    assert len(customer_mail) == 1
    body = customer_mail[0].message.get_body(("plain",)).get_content()
    shown = fmt_int(project["manifests"]["acme-dental"]["figures"]["leads_total"])
    assert "A note from your account manager" in body and f"**{shown} leads**" in body
    summary = smtpd.messages[-1].message
    assert summary["To"] == "Ops <ops@agency.example>"
    text = summary.get_body(("plain",)).get_content()
    assert "Sent (1)" in text and "Waiting for review (1)" in text and "nordlicht-yoga" in text
    assert "portfolio" not in sent.stdout  # the overview is never a customer


@pytest.mark.slow
def test_a_run_against_an_independent_server(tmp_path):
    """The same checks against a Portal written from the spec alone (tests/stub_portal.py):
    the manifest's history is that server's per-month statistics, the note and the target
    use its figures."""
    from stub_portal import CUSTOMER as STUB_CUSTOMER
    from stub_portal import SECRET as STUB_SECRET
    from stub_portal import StubPortal

    months = {"2026-02": 12, "2026-03": 30, "2026-04": 0, "2026-06": 25, "2026-08": 52, MONTH: 47}
    (tmp_path / "customers.toml").write_text(
        f'[customers.{STUB_CUSTOMER}]\nto = ["vet@harbour.example"]\n'
        "targets = { sessions = 40, leads = 40 }\n",
        encoding="utf-8",
    )
    (tmp_path / "notes" / MONTH).mkdir(parents=True)
    (tmp_path / "notes" / MONTH / f"{STUB_CUSTOMER}.md").write_text(
        "{{ customer_name }}: {{ sessions_total }} sessions, leads {{ leads_target_status }}.",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_", "MAIL_"))}
    with StubPortal(months) as stub:
        env.update(PORTAL_BASE_URL=stub.url, PORTAL_SECRET=STUB_SECRET)
        proc = cli(
            "run", "--month", MONTH, "--customer", STUB_CUSTOMER, "--report", "leads",
            "--format", "html", env=env, cwd=tmp_path,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        run_dir = tmp_path / "reports" / MONTH / STUB_CUSTOMER
        manifest = json.loads((run_dir / "manifest.json").read_text())
        for entry in manifest["history"]:
            stats = stub.month_statistics(entry["month"])["summary"]
            if entry["month"] < "2026-02":
                assert entry["sessions_total"] is None, entry
                continue
            assert entry["sessions_total"] == stats["sessions"]["total"]
            assert entry["leads_total"] == stats["leads"]["total"]
            assert entry["revenue_total"] == pytest.approx(stats["revenue"]["total"])
            assert entry["revenue_after_hours"] == pytest.approx(
                stats["revenue"]["non_working_hours"]
            )
            assert entry["asr_total"] == pytest.approx(stats["asr"]["total"])
    assert manifest["history"][-3]["sessions_total"] == 0  # 2026-07: no sessions, not "no data"
    assert manifest["targets"]["sessions"]["status"] == "met"  # 47 of 40
    assert manifest["targets"]["leads"]["status"] == "behind"  # 16 of 40
    assert manifest["note"]["markdown"] == "Harbour Vet Clinic: 47 sessions, leads behind."
    html = (run_dir / "leads.html").read_text()
    assert "Harbour Vet Clinic: 47 sessions, leads behind." in html
    assert "Target 40 · 40% · behind" in html and "The last 12 months" in html


def test_revenue_in_several_currencies_is_totalled_per_currency(tmp_path):
    """Euros and rupees are not added up: each row in its currency, the totals per currency
    (each with its change), not a bare dash."""
    from portal_reports.publish.portfolio import Figures, Portfolio, Row, _context

    def row(customer: str, currency: str, revenue: float, before: float) -> Row:
        now = Figures(100, 40, revenue, 10, revenue / 4)
        return Row(
            customer, customer, "ok", "3 ok", "ok", now, Figures(100, 40, before), currency=currency
        )

    rows = (
        row("berlin", "EUR", 1000.0, 1000.0),
        row("kolkata", "INR", 50000.0, 40000.0),
        row("munich", "EUR", 500.0, 1000.0),
    )
    portfolio = Portfolio("2026-10", rows, "name", "2026-11-01T06:00:00Z", tmp_path)
    context = _context(portfolio)
    assert [r["revenue"]["value"] for r in context["rows"]] == [
        "€1,000.00",
        "₹50,000.00",
        "€500.00",
    ]
    revenue = context["total"]["revenue"]
    assert [(c["value"], c["change"], c["direction"]) for c in revenue["by_currency"]] == [
        ("€1,500.00", "−25.0%", "drop"),
        ("₹50,000.00", "+25.0%", "up"),
    ]
    assert revenue["value"] == "€1,500.00 · ₹50,000.00" and context["mixed_currencies"]
    html = render_html(portfolio)
    assert html.count("€1,500.00") == 2  # the card and the total row
    assert html.count("₹50,000.00") == 3  # kolkata's row too
    assert "per currency, vs September 2026" in html
    same = _context(Portfolio("2026-10", rows[:1], "name", "2026-11-01T06:00:00Z", tmp_path))
    assert same["total"]["revenue"]["value"] == "€1,000.00"
    assert same["total"]["revenue"]["by_currency"] == []


@pytest.mark.parametrize(
    ("locale", "generated", "sessions"),
    [
        ("en_US", "Generated December 6, 2026", "1,234"),
        ("en_GB", "Generated 6 December 2026", "1,234"),
        ("de_DE", "Erstellt am 6. Dezember 2026", "1.234"),
    ],
)
def test_portfolio_dates_and_numbers_follow_the_agencys_locale(
    tmp_path, locale, generated, sessions
):
    from portal_reports.publish.portfolio import Figures, Portfolio, Row

    now = Figures(1234, 40, 1000.0, 10, 250.0)
    rows = (Row("berlin", "Berlin", "ok", "3 ok", "ok", now, None, currency="EUR"),)
    portfolio = Portfolio("2026-11", rows, "name", "2026-12-06T10:00:00Z", tmp_path, locale=locale)
    html = render_html(portfolio)
    assert generated in html and f">{sessions}<" in html
    assert f'<html lang="{locale.replace("_", "-")}">' in html
    words = ["Portfolio overview", "Needs attention", "1 customer, compared with", "Sorted by"]
    german = ["Portfolio-Übersicht", "Braucht Aufmerksamkeit", "1 Kunde, verglichen mit"]
    for text in german if locale == "de_DE" else words:
        assert text in html, text
    if locale == "de_DE":  # the agency's language throughout, not only its numbers
        assert not [w for w in words if w in html]


def test_portfolio_wears_the_agencys_brand(tmp_path):
    """[defaults.brand] of customers.toml: the agency's accent and logo on the portfolio, as
    on the reports (it used the toolkit's blue and no logo); the date in [defaults] locale."""
    (tmp_path / "brand").mkdir()
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>'
    (tmp_path / "brand" / "agency.svg").write_text(svg)
    (tmp_path / "customers.toml").write_text(
        '[defaults]\nlocale = "en_US"\n'
        '[defaults.brand]\nlogo = "brand/agency.svg"\naccent = "#9B1C31"\n'
        '[customers.berlin]\nto = ["anna@berlin.example"]\n'
    )
    run_dir = tmp_path / "reports" / "2026-10" / "berlin"
    run_dir.mkdir(parents=True)
    figures = {"sessions_total": 100, "leads_total": 40, "revenue_total": 1000.0}
    manifest = {"month": "2026-10", "customer": "berlin", "status": "ok", "figures": figures}
    (run_dir / "manifest.json").write_text(json.dumps({**manifest, "currency": "EUR"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_", "MAIL_"))}
    proc = cli("portfolio", "--month", "2026-10", "--format", "html", env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "reports" / "2026-10" / "portfolio.html").read_text()
    assert ":root { --accent: #9b1c31; }" in html
    logo = base64.b64encode(svg.encode()).decode()
    assert f'<img class="logo" src="data:image/svg+xml;base64,{logo}"' in html
    assert re.search(r"Generated [A-Z][a-z]+ \d{1,2}, \d{4}<", html)  # en_US: December 6, 2026


def test_a_broken_portfolio_template_names_its_file_and_line(tmp_path, monkeypatch):
    from portal_reports.cli import exit_code_for
    from portal_reports.errors import TemplateError
    from portal_reports.publish.portfolio import Portfolio

    (tmp_path / "templates" / "portfolio").mkdir(parents=True)
    broken = tmp_path / "templates" / "portfolio" / "portfolio.html.j2"
    broken.write_text("<h1>{{ month_label }}</h1>\n<p>{{ count }</p>\n")
    monkeypatch.setenv("PORTAL_REPORTS_TEMPLATES", str(tmp_path / "templates"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TemplateError) as caught:
        render_html(Portfolio("2026-10", (), "name", "2026-11-01T06:00:00Z", tmp_path))
    assert str(caught.value).startswith(
        "portfolio template cannot be loaded: templates/portfolio/portfolio.html.j2, line 2: "
    )
    assert exit_code_for(caught.value) == 2


def test_portfolio_tells_a_missing_manifest_from_an_unreadable_one(tmp_path):
    from portal_reports.publish.portfolio import _row

    month_dir = tmp_path / "2026-09"
    (month_dir / "never-finished").mkdir(parents=True)
    (month_dir / "corrupt").mkdir()
    (month_dir / "corrupt" / "manifest.json").write_text("{not json")
    assert _row(tmp_path, "2026-09", "never-finished").status == "no manifest"
    assert _row(tmp_path, "2026-09", "corrupt").status == "unreadable manifest"
