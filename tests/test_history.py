"""A year of history: per-month statistics against the sandbox's database and an independent
server, "no data" before the data begins, and the cache that spares months that cannot change."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import MONTH, SECRET
from stub_portal import CUSTOMER as STUB_CUSTOMER
from stub_portal import SECRET as STUB_SECRET
from stub_portal import StubPortal

from portal_reports.data.history import (
    HISTORY_MONTHS,
    HistoryCache,
    can_change,
    fetch_history,
    history_range,
)
from portal_reports.data.month import MonthData, fetch_month
from portal_reports.dates import shift_month
from portal_reports.portal.client import PortalClient
from portal_reports.reports.trend import history_entries, trend_frame, year_on_year

INFO = "/api/v1/bff/sessions/info"
TODAY = date(2026, 11, 25)  # 2026-10 and 2026-11 can still change; 2026-09 and before cannot


def sql_month(sandbox, customer: str, month: str, time_zone: str = "UTC") -> dict[str, float]:
    """One (local) month's figures computed in SQL on the sandbox's database."""
    from portal_reports.dates import format_utc
    from portal_reports.period import ReportMonth

    start, end = (format_utc(t) for t in ReportMonth.parse(month, time_zone).range_utc)
    with sandbox.connect() as db:
        row = db.execute(
            """SELECT count(*), coalesce(sum(is_lead), 0), round(coalesce(sum(revenue), 0), 2),
                      round(coalesce(sum(asr_amount), 0), 2),
                      round(coalesce(sum(CASE WHEN is_working_hours THEN 0 ELSE revenue END), 0), 2)
               FROM sessions WHERE customer_id = ? AND created_at BETWEEN ? AND ?""",
            (customer, start, end),
        ).fetchone()
    keys = ["sessions_total", "leads_total", "revenue_total", "asr_total", "revenue_after_hours"]
    return dict(zip(keys, row, strict=True))


def info_requests(sandbox, since: int) -> list[str]:
    return [r.path for r in sandbox.requests[since:] if r.path.startswith(INFO)]


def test_history_range_is_the_month_and_the_twelve_before_in_utc():
    months = history_range("2026-09")
    assert len(months) == HISTORY_MONTHS == 13
    assert [m for m, _, _ in months][:2] == ["2025-09", "2025-10"] and months[-1][0] == "2026-09"
    _, start, end = months[5]  # 2026-02: a short month
    assert start.isoformat() == "2026-02-01T00:00:00+00:00"
    assert end.isoformat() == "2026-02-28T23:59:59+00:00"


@pytest.mark.parametrize(
    ("month", "changes"),
    [("2026-09", False), ("2026-10", True), ("2026-11", True), ("2027-01", True)],
)
def test_only_the_current_and_previous_month_can_change(month, changes):
    assert can_change(month, TODAY) is changes


@pytest.mark.parametrize("customer", ["acme-dental", "nordlicht-yoga"])
def test_history_in_the_manifest_equals_the_database_month_by_month(sandbox, customer):
    with PortalClient(base_url=sandbox.url, secret=SECRET, progress=False) as client:
        data = fetch_month(MONTH, customer, client)
    entries = history_entries(data)
    assert [e["month"] for e in entries] == [m for m, _, _ in history_range(MONTH)]
    zone = data.period.time_zone  # history months are the customer's local months
    first_with_data = None
    for entry in entries:
        expected = sql_month(sandbox, customer, entry["month"], zone)
        if expected["sessions_total"] == 0 and first_with_data is None:
            assert all(v is None for k, v in entry.items() if k != "month"), entry
            continue
        first_with_data = first_with_data or entry["month"]
        for key, value in expected.items():
            assert entry[key] == pytest.approx(value, abs=0.01), (entry["month"], key)
        assert entry["conversion_rate"] == pytest.approx(
            expected["leads_total"] / expected["sessions_total"], abs=1e-4
        )
    if customer == "nordlicht-yoga":  # data from two months before the sandbox's end month
        assert first_with_data == "2026-08"
        trend = trend_frame(data, ["sessions", "revenue"])
        assert trend.loc["2026-07"].isna().all() and trend.loc["2026-08"].notna().all()
        (yoy,) = year_on_year(data, ["leads"])
        assert yoy.kpi.direction == "na" and yoy.year_ago_formatted == "no data"
    else:
        assert first_with_data == "2025-09"
        (yoy,) = year_on_year(data, ["leads"])
        ago = sql_month(sandbox, customer, shift_month(MONTH, -12), zone)["leads_total"]
        assert yoy.kpi.previous == ago and yoy.kpi.direction in ("up", "down")
    assert (
        entries[-1]["sessions_total"] == sql_month(sandbox, customer, MONTH, zone)["sessions_total"]
    )
    json.dumps(entries)


def test_the_cache_spares_months_that_cannot_change(sandbox, tmp_path):
    cache = HistoryCache(tmp_path / "cache", today=TODAY)
    with PortalClient(base_url=sandbox.url, secret=SECRET, progress=False) as client:
        client = client.for_customer("bistro-ca-va")
        before = len(sandbox.requests)
        first = fetch_history(client, MONTH, "bistro-ca-va", cache=cache)
        assert len(info_requests(sandbox, before)) == 13
        files = sorted(p.name for p in (tmp_path / "cache" / "bistro-ca-va").iterdir())
        assert files[0] == "2025-09@UTC.json" and len(files) == 13
        before = len(sandbox.requests)
        again = fetch_history(client, MONTH, "bistro-ca-va", cache=cache)
        assert info_requests(sandbox, before) == []  # every month came from the cache
        assert again == first

        # while September is the current month, it and August are fetched again every run
        early = HistoryCache(tmp_path / "cache", today=date(2026, 9, 20))
        before = len(sandbox.requests)
        fetch_history(client, MONTH, "bistro-ca-va", cache=early)
        asked = info_requests(sandbox, before)
        assert len(asked) == 2 and all("2026-0" in p for p in asked)
        assert any("from_datetime=2026-08-01" in p for p in asked)
        assert any("from_datetime=2026-09-01" in p for p in asked)

        # another Portal (another source) or time zone never reads these entries
        assert cache.get("https://other.example", "bistro-ca-va", "2025-10", "UTC") is None
        assert cache.get(client.base_url, "bistro-ca-va", "2025-10", "Europe/Berlin") is None
        assert cache.get(client.base_url, "bistro-ca-va", "2025-10", "UTC") is not None


def test_history_against_an_independent_server():
    """A server written from the spec alone: its per-month statistics, a gap month with no
    sessions after the data began (zero, not "no data"), and nothing before (no data)."""
    months = {"2026-03": 30, "2026-04": 41, "2026-05": 0, "2026-06": 25, "2026-08": 52, MONTH: 47}
    with StubPortal(months) as stub:
        with PortalClient(base_url=stub.url, secret=STUB_SECRET, progress=False) as client:
            data = fetch_month(MONTH, STUB_CUSTOMER, client)
        assert data.customer_name == "Harbour Vet Clinic"
        asked = {start[:7] for start, _ in stub.info_ranges}
        assert asked == {m for m, _, _ in history_range(MONTH)}
        for entry in history_entries(data):
            month = entry["month"]
            stats = stub.month_statistics(month)["summary"]
            if month < "2026-03":
                assert entry["sessions_total"] is None and entry["revenue_total"] is None
                continue
            assert entry["sessions_total"] == stats["sessions"]["total"] == months.get(month, 0)
            assert entry["leads_total"] == stats["leads"]["total"]
            assert entry["revenue_total"] == pytest.approx(stats["revenue"]["total"])
            assert entry["asr_total"] == pytest.approx(stats["asr"]["total"])
            assert entry["sessions_after_hours"] == stats["sessions"]["non_working_hours"]
        reloaded = MonthData.from_raw(json.loads(json.dumps(data.raw)), data.sessions_data)
        assert history_entries(reloaded) == history_entries(data)


@pytest.mark.parametrize("total", [120, "120", " 120 ", 120.0])
def test_months_with_counts_sent_as_text_have_data(total):
    """A Portal sending the count as a numeric string: the months have data, as the frames
    read them; only the months before the first sessions are "no data"."""
    from portal_reports.data.history import _with_no_data

    def info(n):
        return {"summary": {"sessions": {"total": n}}}

    infos = [("2026-07", info(0)), ("2026-08", info(total)), ("2026-09", info("x"))]
    months = _with_no_data(infos, "2026-09")
    assert [m.has_data for m in months] == [False, True, True]
    fallback = [("2026-08", {"sessions_by_leads": {"total_sessions": str(total)}})]
    assert _with_no_data(fallback + infos[2:], "2026-09")[0].has_data
