"""Months that have not started anywhere are refused before anything is fetched."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from conftest import SECRET

from portal_reports.dates import shift_month
from portal_reports.errors import ConfigError
from portal_reports.period import check_started


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
