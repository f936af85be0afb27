"""`portal-reports fetch sessions|info` against the real sandbox Portal over HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import MONTH, SECRET

from portal_reports.cli import cli
from portal_reports.data.frames import sessions_frame
from portal_reports.dates import format_utc, month_range
from portal_reports.period import ReportMonth

MONTH_START, MONTH_END = (format_utc(x) for x in month_range(MONTH))
# A customer's --month is its local month (the demo customers' time_zone attributes)
NEW_YORK = tuple(format_utc(x) for x in ReportMonth.parse(MONTH, "America/New_York").range_utc)
TORONTO = tuple(format_utc(x) for x in ReportMonth.parse(MONTH, "America/Toronto").range_utc)
HEADLINE = re.compile(r"^(\d+) sessions (.+) (whole account|customer \S+)( \[.*\])?$")


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def sql_counts(
    sandbox, where: str = "", params: tuple = (), bounds: tuple = (MONTH_START, MONTH_END)
) -> dict[str, int]:
    """Sessions of MONTH (UTC unless ``bounds`` say otherwise) per connector, with SQL."""
    with sandbox.connect() as db:
        rows = db.execute(
            "SELECT integration_idn || '/' || connector_idn, count(*) FROM sessions"
            f" WHERE created_at BETWEEN ? AND ? {where} GROUP BY 1",
            (*bounds, *params),
        ).fetchall()
    return dict(rows)


def parse(output: str) -> tuple[int, str, dict[str, int]]:
    """(count, headline, per-connector counts) from `fetch sessions` output."""
    lines = output.splitlines()
    match = HEADLINE.match(lines[0])
    assert match, lines[0]
    breakdown = {}
    for line in lines[1:]:
        parts = line.split()
        if len(parts) == 3 and parts[2].endswith("%"):
            breakdown[parts[0]] = int(parts[1].replace(",", ""))
    return int(match.group(1)), lines[0], breakdown


def test_fetch_sessions_month_counts_and_breakdown(portal_env):
    result = invoke("fetch", "sessions", "--month", MONTH, "--no-progress")
    assert result.exit_code == 0, result.output
    count, headline, breakdown = parse(result.stdout)
    expected = sql_counts(portal_env)
    assert count == sum(expected.values()) > 0
    assert f"{MONTH} UTC ({MONTH_START}..{MONTH_END}) whole account" in headline
    assert breakdown == expected
    assert list(breakdown.values()) == sorted(breakdown.values(), reverse=True)


def test_fetch_sessions_for_a_customer_and_a_connector(portal_env):
    result = invoke("fetch", "sessions", "--month", MONTH, "--customer", "acme-dental")
    assert result.exit_code == 0, result.output
    count, headline, breakdown = parse(result.stdout)
    expected = sql_counts(portal_env, "AND customer_id = ?", ("acme-dental",), NEW_YORK)
    assert headline.endswith("customer acme-dental")
    assert f"{MONTH} America/New_York ({NEW_YORK[0]}..{NEW_YORK[1]})" in headline
    assert (count, breakdown) == (sum(expected.values()), expected)

    connector = max(expected, key=expected.get)
    result = invoke(
        "fetch", "sessions", "--month", MONTH, "--customer", "acme-dental", "--connector", connector
    )
    count, headline, breakdown = parse(result.stdout)
    assert breakdown == {connector: expected[connector]} and count == expected[connector]
    assert f"[connectors {connector}]" in headline


def test_fetch_month_in_another_time_zone(portal_env):
    """--time-zone reads --month there (here: Kolkata, a half-hour offset)."""
    result = invoke(
        "fetch", "sessions", "--month", MONTH, "--time-zone", "Asia/Kolkata", "--no-progress"
    )
    assert result.exit_code == 0, result.output
    count, headline, breakdown = parse(result.stdout)
    bounds = ("2026-08-31T18:30:00Z", "2026-09-30T18:29:59Z")
    assert f"{MONTH} Asia/Kolkata ({bounds[0]}..{bounds[1]}) whole account" in headline
    assert breakdown == sql_counts(portal_env, bounds=bounds)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--time-zone", "Mars/Olympus"], "--time-zone: unknown time zone 'Mars/Olympus'"),
        (["--from", MONTH_START, "--to", MONTH_END, "--time-zone", "UTC"], "--time-zone goes"),
    ],
)
def test_bad_time_zone_option_is_refused_before_fetching(portal_env, args, message):
    requests_before = len(portal_env.requests)
    result = invoke("fetch", "info", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert len(portal_env.requests) == requests_before


def test_fetch_sessions_from_to_range_and_active_filter(portal_env):
    start, end = f"{MONTH}-03T00:00:00Z", f"{MONTH}-05T23:59:59Z"
    result = invoke("fetch", "sessions", "--from", start, "--to", end, "--inactive")
    assert result.exit_code == 0, result.output
    count, headline, _ = parse(result.stdout)
    with portal_env.connect() as db:
        (expected,) = db.execute(
            "SELECT count(*) FROM sessions WHERE created_at BETWEEN ? AND ?"
            " AND ended_at IS NOT NULL",
            (start, end),
        ).fetchone()
    assert count == expected > 0
    assert f"{start}..{end}" in headline and "ended only" in headline


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2024-13"], "bad month '2024-13'"),
        (["--month", "January"], "bad month 'January'"),
        (["--from", "yesterday", "--to", "2024-01-02"], "bad date-time 'yesterday'"),
        (["--month", MONTH, "--out", "sessions.xlsx"], "unknown extension '.xlsx'"),
        (["--month", MONTH, "--out", "sessions"], "unknown extension '(none)'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(portal_env, tmp_path, args, message):
    requests_before = len(portal_env.requests)
    out = tmp_path / "out.csv"
    args = [a if a not in ("sessions.xlsx", "sessions") else str(tmp_path / a) for a in args]
    if "--out" not in args:
        args += ["--out", str(out)]
    result = invoke("fetch", "sessions", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []
    assert len(portal_env.requests) == requests_before  # checked before any request


def test_a_bare_date_as_to_means_its_whole_day(portal_env):
    last_day = MONTH_END[:10]
    result = invoke("fetch", "sessions", "--from", MONTH_START[:10], "--to", last_day)
    assert result.exit_code == 0, result.output
    count, headline, _ = parse(result.stdout)
    assert f"{MONTH_START}..{MONTH_END}" in headline
    assert count == sum(sql_counts(portal_env).values())


def test_out_under_a_file_is_refused_before_fetching(portal_env, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    requests_before = len(portal_env.requests)
    result = invoke("fetch", "sessions", "--month", MONTH, "--out", str(blocker / "s.csv"))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "is not a folder" in result.stderr
    assert len(portal_env.requests) == requests_before


def test_month_and_range_exclude_each_other(portal_env):
    result = invoke("fetch", "sessions", "--month", MONTH, "--from", MONTH_START)
    assert result.exit_code == 2
    assert "--month and --from/--to exclude each other" in result.stderr
    result = invoke("fetch", "info", "--from", MONTH_START)
    assert result.exit_code == 2 and "--from and --to go together" in result.stderr


def test_unknown_customer_is_exit_4_and_no_file(portal_env, tmp_path):
    out = tmp_path / "s.parquet"
    result = invoke(
        "fetch", "sessions", "--month", MONTH, "--customer", "nobody", "--out", str(out)
    )
    assert result.exit_code == 4
    assert result.stderr.count("\n") == 1 and "Unknown customer 'nobody'" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def month_frame(sandbox):
    """The month's sessions (acme-dental) fetched by the library, to compare files with."""
    from portal_reports.portal.client import PortalClient

    with PortalClient(sandbox.url, SECRET, "acme-dental", progress=False) as client:
        items = client.sessions(*NEW_YORK)
    return items, sessions_frame(items)


def _write(tmp_path, name: str):
    out = tmp_path / name
    args = ["fetch", "sessions", "--month", MONTH, "--customer", "acme-dental", "--out", str(out)]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"Wrote {out}"
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind
    return out


def test_out_parquet_round_trips_with_dtypes(portal_env, tmp_path, month_frame):
    _, frame = month_frame
    back = pd.read_parquet(_write(tmp_path, "s.parquet"))
    pd.testing.assert_frame_equal(back, frame, check_categorical=False)
    assert {c: str(t) for c, t in back.dtypes.items()} == {
        c: str(t) for c, t in frame.dtypes.items()
    }


def test_out_csv_round_trips(portal_env, tmp_path, month_frame):
    _, frame = month_frame
    back = pd.read_csv(_write(tmp_path, "s.csv"), dtype=str, keep_default_na=False)
    assert list(back.columns) == list(frame.columns)
    assert back["id"].tolist() == frame["id"].tolist()
    created = pd.to_datetime(back["created_at"], utc=True, format="ISO8601")
    assert created.tolist() == frame["created_at"].tolist()
    assert back["connector"].tolist() == frame["connector"].astype(str).tolist()
    assert back["messages_count"].astype(int).tolist() == frame["messages_count"].tolist()
    expected_args = frame["arg_session_type"].fillna("").tolist()
    assert back["arg_session_type"].tolist() == expected_args


def test_out_json_keeps_the_raw_items(portal_env, tmp_path, month_frame):
    items, frame = month_frame
    back = json.loads(_write(tmp_path, "s.json").read_text(encoding="utf-8"))
    assert back == items
    pd.testing.assert_frame_equal(sessions_frame(back), frame)


def test_out_replaces_an_existing_file(portal_env, tmp_path, month_frame):
    target = tmp_path / "s.csv"
    target.write_text("old\n")
    _write(tmp_path, "s.csv")
    assert target.read_text().startswith("id,created_at,")


def test_fetch_info_prints_a_summary(portal_env, client):
    result = invoke("fetch", "info", "--month", MONTH, "--customer", "bistro-ca-va")
    assert result.exit_code == 0, result.output
    info = client.for_customer("bistro-ca-va").sessions_info(*TORONTO)
    total = info["sessions_by_leads"]["total_sessions"]
    leads = info["sessions_by_leads"]["total_sessions_leads"]
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"Sessions info {MONTH} America/Toronto ({TORONTO[0]}..{TORONTO[1]}) customer bistro-ca-va"
    )
    assert lines[1].split() == ["Sessions", f"{total:,}"]
    assert lines[2].split()[:2] == ["Leads", f"{leads:,}"]
    assert f"({leads / total:.1%} conversion)" in lines[2]
    revenue = info["summary"]["revenue"]["total"]
    assert any(ln.startswith("Revenue") and f"{revenue:,.2f}" in ln for ln in lines)
    for word in ("Working hours", "Non-working", "Channels", "Top lead types", "ASR"):
        assert word in result.stdout


@pytest.mark.parametrize("command", [["fetch"], ["fetch", "sessions"], ["fetch", "info"]])
def test_help(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.stdout


def _run_console(sandbox, *args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PORTAL_BASE_URL": sandbox.url, "PORTAL_SECRET": SECRET}
    env.pop("PORTAL_CUSTOMER_ID", None)
    code = "from portal_reports.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_console_script_matches_sessions_info(sandbox, client, tmp_path):
    proc = _run_console(sandbox, "fetch", "sessions", "--month", MONTH, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    info = client.sessions_info(*month_range(MONTH))
    count, _, breakdown = parse(proc.stdout)
    assert count == info["sessions_by_leads"]["total_sessions"]
    assert sum(breakdown.values()) == count
    assert SECRET not in proc.stdout + proc.stderr

    out = tmp_path / "bad.csv"
    proc = _run_console(
        sandbox, "fetch", "sessions", "--month", "2026-9", "--out", str(out), cwd=tmp_path
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == "Error: bad month '2026-9': expected YYYY-MM, e.g. 2024-01\n"
    assert list(tmp_path.iterdir()) == []
