"""Report figures: month data from the sandbox checked against SQL, plus hand-built edge cases."""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from conftest import MONTH, SECRET

from portal_reports.customers import CustomersConfig
from portal_reports.data.month import ALL_CUSTOMERS, MonthData, fetch_month, load_month, raw_sha256
from portal_reports.errors import ConfigError
from portal_reports.i18n import Language, using
from portal_reports.period import ReportMonth
from portal_reports.reports import blocks, figures, format
from portal_reports.reports.registry import registry

CUSTOMER = "acme-dental"
# acme-dental's time_zone attribute is America/New_York: its September, in UTC
PERIOD = ReportMonth.parse(MONTH, "America/New_York")
RANGE = ("2026-09-01T04:00:00Z", "2026-10-01T03:59:59Z")
PREVIOUS = ("2026-08-01T04:00:00Z", "2026-09-01T03:59:59Z")
NO_CONFIG = CustomersConfig(None)  # no customers.toml: the attribute names the zone


@pytest.fixture(scope="module")
def month_data(sandbox):
    """September for acme-dental (New York), fetched once over real HTTP."""
    from portal_reports.portal.client import PortalClient

    with PortalClient(base_url=sandbox.url, secret=SECRET, progress=False) as client:
        return fetch_month(
            MONTH, CUSTOMER, client=client, settings=NO_CONFIG.settings_for(CUSTOMER)
        )


def _sql(sandbox, query: str, *params):
    with sandbox.connect() as conn:
        return conn.execute(query, params).fetchone()


# --------------------------------------------------------------------------- hand-built data


def _info(days: dict[int, tuple[int, int]], revenue: float = 0.0) -> dict:
    """A /sessions/info body for September with (sessions, leads) per day; 75% in hours."""
    sessions = sum(s for s, _ in days.values())
    leads = sum(le for _, le in days.values())

    def split(total: float) -> dict:
        working = round(total * 0.75, 2)
        return {
            "working_hours": working,
            "non_working_hours": round(total - working, 2),
            "total": total,
        }

    return {
        "sessions_by_leads": {
            "items": [
                {"date": f"2026-09-{d:02d}", "total_sessions": s, "total_sessions_leads": le}
                for d, (s, le) in sorted(days.items())
            ],
            "total_sessions": sessions,
            "total_sessions_leads": leads,
        },
        "sessions_by_type": {
            "sessions_leads": [{"argument": "booking", "total_sessions": leads}] if leads else [],
            "sessions_non_leads": (
                [{"argument": "support", "total_sessions": sessions - leads}]
                if sessions - leads
                else []
            ),
        },
        "sessions_by_channel": (
            [
                {"channel": "chat", "count": sessions - sessions // 4},
                {"channel": "voice", "count": sessions // 4},
            ]
            if sessions
            else []
        ),
        "sessions_by_hours": [],
        "sessions_by_asr": [{"date": f"2026-09-{d:02d}", "asr_amount": 1.25} for d in sorted(days)],
        "summary": {
            "sessions": split(sessions),
            "leads": split(leads),
            "revenue": split(revenue),
            "asr": split(1.25 * len(days)),
            "opportunity_sessions": split(0),
            "opportunity_value": split(0),
            "additional_deal": split(0),
            "units": split(0),
        },
    }


def _session(i: int, is_lead: bool | None) -> dict:
    args = {} if is_lead is None else {"is_lead": "true" if is_lead else "false"}
    return {
        "id": f"s-{i}",
        "persona": {
            "id": "p",
            "actor_id": "a",
            "name": "n",
            "external_id": "e",
            "is_deleted": False,
        },
        "integration_idn": "newo_chat",
        "connector_idn": "c",
        "created_at": "2026-09-02T10:00:00Z",
        "arguments": args,
        "user_messages_count": 1,
        "agent_messages_count": 1,
        "messages_count": 2,
        "events_count": 0,
        "latest_message_datetime": None,
        "latest_event_datetime": None,
        "ended_at": "2026-09-02T10:05:00Z",
    }


def _month(current: dict, previous: dict, sessions: list[dict], attributes=None) -> MonthData:
    return MonthData.from_raw(
        {
            "month": MONTH,
            "customer_id": CUSTOMER,
            "base_url": "http://127.0.0.1:1",
            "fetched_at": "2026-10-01T06:00:00Z",
            "sessions": sessions,
            "info": current,
            "previous_info": previous,
            "attributes": attributes
            if attributes is not None
            else {"groups": [], "attributes": []},
        }
    )


# The headline figures each report notebook declares (report.headline(...)), as test data.
HEADLINES = {
    "leads": ["sessions", "leads", "conversion_rate", "leads_after_hours"],
    "revenue": [
        "revenue",
        "revenue_after_hours",
        "opportunity_sessions",
        "opportunity_value",
        "additional_deals",
        "units",
    ],
    "asr": ["asr", "asr_working_hours", "asr_after_hours", "voice_share"],
}


def _kpis(data: MonthData, report: str) -> dict[str, figures.Kpi]:
    return {k.label: k for k in figures.headline(data, HEADLINES[report])}


# --------------------------------------------------------------------------- sandbox month


def test_manifest_figures_match_sql(sandbox, month_data):
    row = _sql(
        sandbox,
        "SELECT count(*), coalesce(sum(is_lead),0), coalesce(sum(revenue),0),"
        " coalesce(sum(asr_amount),0), coalesce(sum(opportunity_value),0), coalesce(sum(units),0)"
        " FROM sessions WHERE customer_id = ? AND created_at BETWEEN ? AND ?",
        CUSTOMER,
        *RANGE,
    )
    figs = figures.manifest_figures(month_data)
    assert list(figs) == [
        "sessions_total",
        "leads_total",
        "revenue_total",
        "asr_total",
        "opportunity_value_total",
        "units_total",
        "sessions_after_hours",
        "revenue_after_hours",
        "sessions_listed",
    ]
    assert row[0] > 100, "the sandbox month should not be trivially small"
    assert figs["sessions_total"] == row[0] == figs["sessions_listed"]
    assert figs["leads_total"] == row[1]
    assert figs["revenue_total"] == pytest.approx(round(row[2], 2), abs=0.006)
    assert figs["asr_total"] == pytest.approx(round(row[3], 2), abs=0.006)
    assert figs["opportunity_value_total"] == pytest.approx(round(row[4], 2), abs=0.006)
    assert figs["units_total"] == row[5]
    after = _sql(
        sandbox,
        "SELECT count(*), coalesce(sum(revenue),0) FROM sessions"
        " WHERE customer_id = ? AND created_at BETWEEN ? AND ? AND NOT is_working_hours",
        CUSTOMER,
        *RANGE,
    )
    assert figs["sessions_after_hours"] == after[0] > 0
    assert figs["revenue_after_hours"] == pytest.approx(round(after[1], 2), abs=0.006)
    for key in ("sessions_total", "leads_total", "units_total", "sessions_listed"):
        assert type(figs[key]) is int
    json.dumps(figs)  # plain JSON numbers


def test_headline_deltas_against_previous_month(sandbox, month_data):
    q = (
        "SELECT count(*), sum(is_lead), sum(CASE WHEN is_working_hours=0 THEN is_lead END)"
        " FROM sessions WHERE customer_id = ? AND created_at BETWEEN ? AND ?"
    )
    cur = _sql(sandbox, q, CUSTOMER, *RANGE)
    prev = _sql(sandbox, q, CUSTOMER, *PREVIOUS)
    kpis = _kpis(month_data, "leads")
    assert list(kpis) == ["Sessions", "Leads", "Conversion rate", "Leads after hours"]
    sessions = kpis["Sessions"]
    assert sessions.value == cur[0] and sessions.previous == prev[0]
    assert sessions.delta_pct == pytest.approx((cur[0] - prev[0]) / prev[0])
    assert sessions.direction == (
        "up" if cur[0] > prev[0] else "down" if cur[0] < prev[0] else "flat"
    )
    assert sessions.formatted == f"{cur[0]:,}"
    assert sessions.delta_text.endswith("vs August")
    assert kpis["Leads after hours"].value == cur[2]
    rate = kpis["Conversion rate"]
    assert rate.value == pytest.approx(cur[1] / cur[0])
    assert rate.delta_abs == pytest.approx(cur[1] / cur[0] - prev[1] / prev[0])
    assert "pts" in rate.delta_text or "no change" in rate.delta_text


def test_every_catalogued_figure_computes(month_data):
    kpis = figures.headline(month_data, list(figures.FIGURES))
    assert len(kpis) == len(figures.FIGURES)
    assert all(k.formatted and k.delta_text for k in kpis)
    with pytest.raises(ValueError, match="unknown headline figure"):
        figures.headline(month_data, ["sessions", "profit"])


@pytest.mark.parametrize("report", registry().names)
def test_every_report_declares_known_headline_figures(report):
    nb = nbformat.read(str(registry()[report].path), as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    declared = re.findall(r"report\.headline\(([^)]*)\)", code)
    assert len(declared) == 1, f"{report} should declare its headline once"
    keys = re.findall(r'"(\w+)"', declared[0])
    assert keys and set(keys) <= set(figures.FIGURES)


def test_daily_series_covers_every_local_day(sandbox, month_data):
    assert month_data.period == PERIOD
    assert (month_data.raw["period"]["from_datetime"], month_data.raw["period"]["to_datetime"]) == (
        RANGE
    )
    daily = figures.daily_series(month_data)
    assert len(daily) == 30
    assert daily.index[0].day == 1 and daily.index[-1].day == 30
    assert daily["sessions"].sum() == len(month_data.sessions)
    # 15 September in New York (EDT, UTC-4) is 04:00Z on the 15th to 03:59:59Z on the 16th
    day = _sql(
        sandbox,
        "SELECT count(*), sum(is_lead), round(sum(asr_amount), 2) FROM sessions"
        " WHERE customer_id = ? AND created_at BETWEEN ? AND ?",
        CUSTOMER,
        "2026-09-15T04:00:00Z",
        "2026-09-16T03:59:59Z",
    )
    row = daily.loc["2026-09-15"]
    assert (row["sessions"], row["leads"]) == (day[0], day[1] or 0)
    assert row["asr_amount"] == pytest.approx(day[2], abs=0.006)
    # the days add up to the Portal's totals for the same UTC range
    month = _sql(
        sandbox,
        "SELECT count(*), sum(is_lead), sum(asr_amount) FROM sessions"
        " WHERE customer_id = ? AND created_at BETWEEN ? AND ?",
        CUSTOMER,
        *RANGE,
    )
    assert daily["sessions"].sum() == month[0] == figures.summary_value(month_data.info, "sessions")
    assert daily["leads"].sum() == month[1] == figures.summary_value(month_data.info, "leads")
    assert daily["asr_amount"].sum() == pytest.approx(
        figures.summary_value(month_data.info, "asr"), abs=0.01
    )
    check = figures.crosscheck(month_data)
    assert check.days_ok and "the 30 days (New York time) add up" in check.message


def test_days_not_adding_up_fail_the_data_check(month_data):
    """A session outside the month (a server answering more than asked) is no local day's:
    the days then miss the Portal's total, and the data check says so."""
    shifted = month_data.sessions.copy()
    shifted.loc[0, "created_at"] = shifted["created_at"].min() - __import__("pandas").Timedelta(
        days=40
    )
    check = figures.crosscheck(month_data.with_sessions(shifted))
    assert check.sessions_listed == check.sessions_info  # the count alone still agrees
    assert not check.days_ok and check.status == "mismatch"
    assert "not the month's totals" in check.message


def test_split_and_channel_tables(sandbox, month_data):
    split = figures.hours_split(month_data.info).set_index("Metric")
    after = _sql(
        sandbox,
        "SELECT count(*), sum(revenue) FROM sessions WHERE customer_id = ?"
        " AND created_at BETWEEN ? AND ? AND is_working_hours = 0",
        CUSTOMER,
        *RANGE,
    )
    total = len(month_data.sessions)
    assert split.loc["Sessions", "Outside working hours"] == after[0]
    assert split.loc["Sessions", "After-hours share"] == pytest.approx(after[0] / total)
    assert split.loc["Revenue", "Outside working hours"] == pytest.approx(after[1], abs=0.01)
    assert list(split.index) == ["Sessions", "Leads", "Revenue", "ASR amount"]

    channels = figures.channel_table(month_data.info).set_index("Channel")
    voice = _sql(
        sandbox,
        "SELECT count(*) FROM sessions WHERE customer_id = ? AND created_at BETWEEN ? AND ?"
        " AND channel = 'voice'",
        CUSTOMER,
        *RANGE,
    )[0]
    assert channels.loc["Voice", "Sessions"] == voice
    assert channels["Share"].sum() == pytest.approx(1.0)
    assert figures.voice_share(month_data.info) == pytest.approx(voice / total)


def test_types_table_and_money_ratios(sandbox, month_data):
    table = figures.types_table(month_data.info)
    assert set(table["Group"]) == {"Lead", "Not a lead"}
    assert len(table) <= 30
    leads = table[table["Group"] == "Lead"]
    assert leads["Share of group"].sum() == pytest.approx(1.0)
    row = _sql(
        sandbox,
        "SELECT sum(revenue), sum(is_lead), sum(opportunity_value),"
        " sum(CASE WHEN opportunity_value > 0 THEN 1 ELSE 0 END)"
        " FROM sessions WHERE customer_id = ? AND created_at BETWEEN ? AND ?",
        CUSTOMER,
        *RANGE,
    )
    assert figures.revenue_per_lead(month_data.info) == pytest.approx(row[0] / row[1], rel=1e-3)
    assert figures.average_opportunity_value(month_data.info) == pytest.approx(
        row[2] / row[3], rel=1e-3
    )


def test_crosscheck_ok_on_sandbox(month_data):
    check = figures.crosscheck(month_data)
    assert check.status == "ok" and check.ok
    assert check.sessions_listed == check.sessions_info == len(month_data.sessions)
    assert check.leads_counted == check.leads_info
    html = blocks.crosscheck_html(check)
    assert 'class="callout ok"' in html and "match" in html


def test_crosscheck_detects_a_missing_session(month_data):
    short = month_data.with_sessions(month_data.sessions.iloc[1:])
    check = figures.crosscheck(short)
    assert check.status == "mismatch" and not check.ok
    assert check.sessions_listed == check.sessions_info - 1
    assert "do not match" in check.message
    assert 'class="callout warn' in blocks.crosscheck_html(check)


def test_crosscheck_detects_lead_count_mismatch():
    info = _info({2: (3, 2)})
    sessions = [_session(0, True), _session(1, False), _session(2, False)]
    check = figures.crosscheck(_month(info, info, sessions))
    assert (check.sessions_listed, check.leads_counted, check.leads_info) == (3, 1, 2)
    assert check.status == "mismatch"


def test_crosscheck_without_is_lead_argument():
    info = _info({2: (2, 0)})
    check = figures.crosscheck(_month(info, info, [_session(0, None), _session(1, None)]))
    assert check.leads_counted is None and check.status == "ok"
    assert "not available" in check.message


# --------------------------------------------------------------------------- edge cases


def test_empty_month():
    data = _month(_info({}), _info({3: (4, 1)}), [])
    kpis = _kpis(data, "leads")
    assert kpis["Sessions"].formatted == "0"
    assert kpis["Sessions"].direction == "down" and kpis["Sessions"].delta_pct == -1.0
    assert kpis["Conversion rate"].value is None
    assert kpis["Conversion rate"].formatted == "n/a" and kpis["Conversion rate"].direction == "na"
    daily = figures.daily_series(data)
    assert len(daily) == 30 and daily["sessions"].sum() == 0
    assert figures.manifest_figures(data)["sessions_listed"] == 0
    check = figures.crosscheck(data)
    assert check.ok and check.leads_counted == 0 and "not available" not in check.message
    assert blocks.after_hours_sentence(data).startswith("No revenue")
    assert figures.channel_table(data.info).empty
    notices = blocks.notices_html(data)
    assert notices.count('class="callout') == 1 and "No sessions were recorded" in notices


def test_notices_show_a_mismatch_unless_the_report_has_its_own_check(month_data):
    assert blocks.notices_html(month_data) == ""  # a normal month needs no notice
    short = month_data.with_sessions(month_data.sessions.iloc[1:])
    assert 'class="callout warn' in blocks.notices_html(short)
    assert blocks.notices_html(short, crosscheck_mismatch=False) == ""


def test_previous_month_zero_is_new_not_inf():
    data = _month(_info({2: (10, 4)}, revenue=250.0), _info({}), [])
    for report in ("leads", "revenue", "asr"):
        for kpi in figures.headline(data, HEADLINES[report]):
            assert "inf" not in kpi.delta_text.lower()
            assert kpi.delta_pct is None or abs(kpi.delta_pct) < 1e6
    kpis = _kpis(data, "leads")
    assert kpis["Sessions"].direction == "new" and kpis["Sessions"].delta_text.startswith("new")
    assert kpis["Conversion rate"].direction == "na"
    assert "n/a" in kpis["Conversion rate"].delta_text
    both_zero = _kpis(data, "revenue")["Additional deals"]
    assert both_zero.direction == "flat" and "no change" in both_zero.delta_text


def test_numbers_in_manifest_are_int_or_rounded_float():
    info = _info({2: (3, 1)}, revenue=100.125)
    figs = figures.manifest_figures(_month(info, info, []))
    assert figs["revenue_total"] == 100.12 or figs["revenue_total"] == 100.13
    assert type(figs["sessions_total"]) is int and figs["sessions_total"] == 3
    assert type(figs["asr_total"]) is float and figs["asr_total"] == 1.25


def test_formatting_helpers():
    assert format.fmt_int(1234567) == "1,234,567"
    assert format.fmt_money(12345.5) == "12,345.50"
    assert format.fmt_pct(0.1234) == "12.3%"
    assert format.fmt_pct(None) == "n/a"
    assert format.fmt_int(None) == "–"
    assert format.fmt_signed_pct(-0.031) == "\u22123.1%"  # a real minus sign
    with using(Language("en_US", "EUR")):
        assert format.fmt_money(-5) == "\u2212€5.00"
        assert format.fmt_money(1000) == "€1,000.00"


def test_kpi_html_markup_and_escaping():
    data = _month(_info({2: (10, 4)}, revenue=250.0), _info({2: (5, 1)}), [])
    html = blocks.kpi_html(figures.headline(data, HEADLINES["leads"]))
    assert html.startswith('<div class="kpis"><div class="kpi"><div class="kpi-label">Sessions')
    assert '<div class="kpi-value">10</div>' in html
    assert '<div class="kpi-delta up">+100.0% vs August</div>' in html
    six = blocks.kpi_html(figures.headline(data, HEADLINES["revenue"]))
    assert six.count('<div class="kpis">') == 2 and six.count('class="kpi"') == 6
    odd = figures.Kpi("<b>", 1, "1 & 2", None, None, None, "na", "n/a")
    assert "&lt;b&gt;" in blocks.kpi_html([odd]) and "1 &amp; 2" in blocks.kpi_html([odd])


def test_after_hours_sentence():
    data = _month(_info({2: (10, 4)}, revenue=200.0), _info({}), [])
    assert blocks.after_hours_sentence(data) == (
        "Your AI agent earned 50.00 outside working hours, 25.0% of the month's revenue."
    )


def test_styled_tables_render_without_index(month_data):
    html = blocks.styled_table(
        figures.channel_table(month_data.info), ints=("Sessions",), pct=("Share",)
    ).to_html()
    assert "Voice" in html and "%" in html and "row_heading" not in html
    split = blocks.hours_split_styled(month_data.info, ("revenue", "asr")).to_html()
    assert "After-hours share" in split and "row_heading" not in split


# --------------------------------------------------------------------------- dataset


def test_month_data_raw_hash_and_save_load(tmp_path, month_data, monkeypatch):
    assert month_data.customer_name == "Acme Dental Care"
    assert set(month_data.raw) == {
        "data_source",
        "period",
        "previous_period",
        "settings",
        "month",
        "customer_id",
        "base_url",
        "fetched_at",
        "sessions",
        "info",
        "previous_info",
        "attributes",
        "history",
    }
    assert month_data.sha256 == raw_sha256(month_data.raw)
    path = month_data.save(tmp_path / "run" / "data.json")
    assert sorted(p.name for p in path.parent.iterdir()) == ["data.json", "sessions.parquet"]
    assert SECRET not in path.read_text(encoding="utf-8")
    loaded = load_month(MONTH, CUSTOMER, path)
    assert loaded.sha256 == month_data.sha256
    assert loaded.period == PERIOD and loaded.settings == month_data.settings
    assert loaded.settings.time_zone_source == "attribute time_zone"
    assert figures.manifest_figures(loaded) == figures.manifest_figures(month_data)
    with pytest.raises(ConfigError, match="customer"):
        load_month(MONTH, "bistro-ca-va", path)
    with pytest.raises(ConfigError, match="month"):
        load_month("2026-08", CUSTOMER, path)


def test_name_attribute_and_fallbacks(monkeypatch):
    attrs = {
        "groups": ["g"],
        "attributes": [
            {"id": "1", "idn": "business_name", "value": "Acme Dental Care", "group": "g"},
            {"id": "2", "idn": "brand", "value": "ACME", "group": "g"},
        ],
    }
    info = _info({})
    monkeypatch.delenv("PORTAL_NAME_ATTRIBUTE", raising=False)
    assert _month(info, info, [], attrs).customer_name == "Acme Dental Care"
    monkeypatch.setenv("PORTAL_NAME_ATTRIBUTE", "brand")
    assert _month(info, info, [], attrs).customer_name == "ACME"
    monkeypatch.setenv("PORTAL_NAME_ATTRIBUTE", "missing")
    assert _month(info, info, [], attrs).customer_name == CUSTOMER


def test_whole_account_is_all_customers(client):
    data = fetch_month(MONTH, None, client=client, settings=NO_CONFIG.settings_for(None))
    assert data.customer_id is None and data.customer_name == ALL_CUSTOMERS
    assert data.raw["attributes"]["attributes"], "attributes are still fetched and kept"
    # the primary customer's time_zone attribute is not the account's: UTC without [defaults]
    assert data.period.time_zone == "UTC" and data.settings.time_zone_source == "default (UTC)"


def test_attributes_4xx_falls_back(sandbox):
    """A customer whose attributes are refused still gets a report named by its id."""
    from portal_reports.portal.client import PortalClient

    with PortalClient(base_url=sandbox.url, secret=SECRET, progress=False) as client:
        from portal_reports.data.month import _fetch_attributes

        refused = client.for_customer("no-such-customer")
        assert _fetch_attributes(refused) == {"groups": [], "attributes": []}


def test_attributes_rate_limited_past_the_retries_fail_the_month(fresh_sandbox):
    """A 429 that outlasts the retries is an error, not "no attributes": the time zone
    attribute may be what puts the month in the customer's zone (acme-dental is New York)."""
    from portal_reports.errors import RateLimitError
    from portal_reports.portal.client import PortalClient

    fresh_sandbox.faults.add("429", count=10, path="/api/v1/bff/customer/attributes", retry_after=0)
    with (
        PortalClient(
            base_url=fresh_sandbox.url,
            secret=SECRET,
            progress=False,
            max_retries=1,
            sleep=lambda s: None,
        ) as client,
        pytest.raises(RateLimitError),
    ):
        fetch_month(MONTH, CUSTOMER, client=client, settings=NO_CONFIG.settings_for(CUSTOMER))
    assert fresh_sandbox.faults.served == 2  # the call and its one retry, then no session fetch
