"""Months that have not started anywhere are refused before anything is fetched; a month that
was not over when its data was fetched says so in every report ("Month to date: ...")."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import nbformat
import pytest
from conftest import SECRET

from portal_reports.dates import shift_month
from portal_reports.errors import ConfigError
from portal_reports.i18n import language_for, using
from portal_reports.period import ReportMonth, check_started
from portal_reports.publish.export import render_html, report_header


def test_a_month_starts_at_midnight_in_the_earliest_time_zone():
    begins = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)  # 1 January, 00:00 at UTC+14
    assert check_started("2027-01", begins) == "2027-01"
    assert check_started("2026-11", begins - timedelta(days=40)) == "2026-11"
    with pytest.raises(ConfigError) as refused:
        check_started("2027-01", begins - timedelta(seconds=1))
    assert str(refused.value) == (
        "month 2027-01 has not started anywhere yet (it begins 2026-12-31T10:00:00Z, midnight "
        "at UTC+14); the latest month with data is 2026-12"
    )


def test_run_refuses_a_month_that_has_not_started_before_fetching(sandbox, tmp_path):
    future = shift_month((datetime.now(UTC) + timedelta(hours=14)).strftime("%Y-%m"), 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_"))}
    env.update(PORTAL_BASE_URL=sandbox.url, PORTAL_SECRET=SECRET)
    before = len(sandbox.requests)
    proc = subprocess.run(
        [sys.executable, "-c", "from portal_reports.cli import main; main()", "run",
         "--month", future, "--customer", "acme-dental", "--out", str(tmp_path / "out")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: month {future} has not started")
    assert len(sandbox.requests) == before and not (tmp_path / "out").exists()


def test_the_days_a_month_to_date_covers_are_the_customers_local_days():
    december = ReportMonth.parse("2026-12", "America/New_York")
    assert december.month_to_date("2026-12-06T11:50:00Z") == (date(2026, 12, 1), date(2026, 12, 6))
    # 2 a.m. UTC on the 6th is still the 5th in New York
    assert december.month_to_date("2026-12-06T02:00:00Z") == (date(2026, 12, 1), date(2026, 12, 5))
    assert december.month_to_date("2027-01-01T03:00:00Z")[1] == date(2026, 12, 31)  # last hours
    assert december.month_to_date("2027-01-01T05:00:00Z") is None  # over: a whole month
    assert december.month_to_date_notice("2027-01-02T00:00:00Z") == ""

    with using(language_for("en_US")):
        assert december.month_to_date_notice("2026-12-06T11:50:00Z") == (
            "Month to date: Dec 1\u2009–\u20096, 2026. December is not over: these figures cover 6 of its "
            "31 days, while changes, targets and the last 12 months compare them with whole "
            "months."
        )
    with using(language_for("de_DE")):
        notice = ReportMonth.parse("2026-12", "Europe/Berlin").month_to_date_notice(
            "2026-12-06T11:50:00Z"
        )
    assert notice.startswith("Monat bis heute: 1.–6. Dez. 2026. Der Dezember ist noch nicht")
    assert "6 seiner 31 Tage" in notice


@pytest.mark.slow
def test_a_report_of_a_month_to_date_says_so_under_its_header():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Body text")])
    meta = {
        "title": "Leads report",
        "customer_name": "Autohaus Müller & Söhne",
        "month": "2026-12",
        "time_zone": "Europe/Berlin",
        "locale": "de_DE",
        "provenance": {"fetched_at": "2026-12-06T11:50:00Z"},
    }
    head = report_header(nbformat.from_dict({**nb, "metadata": {"portal_reports": meta}}))
    assert head["month_to_date"].startswith("Monat bis heute: 1.–6. Dez. 2026.")
    html = render_html(nb, name="leads", metadata=meta)
    assert '<div class="callout info month-to-date">Monat bis heute: 1.–6. Dez. 2026.' in html
    assert html.index("month-to-date") > html.index("report-header")
    whole = {**meta, "provenance": {"fetched_at": "2027-01-02T08:00:00Z"}}  # fetched later
    assert "month-to-date" not in render_html(nb, name="leads", metadata=whole)
