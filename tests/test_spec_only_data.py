"""A Portal that sends only what the spec promises, over real HTTP: sessions without the
``is_lead``/``asr_amount`` arguments the sandbox adds, summary cells left out or null, empty
breakdown lists. The reports use the Portal's own per-date rows where the sessions say
nothing, show "–" for what was not sent (never 0), and say which breakdown is missing."""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner
from hostile import HostileServer, empty_info, fake_portal

from portal_reports.cli import cli
from portal_reports.data.month import fetch_month
from portal_reports.portal.client import PortalClient
from portal_reports.reports import blocks, charts, figures

MONTH = "2026-09"
SECRET = "spec-only-secret-7Hq"


def session(n: int, day: int, arguments: dict | None = None) -> dict:
    return {
        "id": f"s{n}",
        "persona": {"id": "p", "actor_id": "a", "name": "n", "external_id": "e"},
        "integration_idn": "newo_chat",
        "connector_idn": "web",
        "created_at": f"{MONTH}-{day:02d}T10:00:{n:02d}Z",
        "ended_at": None,
        "arguments": arguments or {},
    }


SESSIONS = [session(0, 2), session(1, 2), session(2, 3), session(3, 3)]


def info(**changes) -> dict:
    """Four sessions, two leads (one on each of the 2nd and 3rd), ASR 3.5 + 1.5."""
    answer = {
        **empty_info(),
        "sessions_by_leads": {
            "items": [
                {"date": f"{MONTH}-02", "total_sessions": 2, "total_sessions_leads": 1},
                {"date": f"{MONTH}-03", "total_sessions": 2, "total_sessions_leads": 1},
            ],
            "total_sessions": 4,
            "total_sessions_leads": 2,
        },
        "sessions_by_asr": [
            {"date": f"{MONTH}-02", "asr_amount": 3.5},
            {"date": f"{MONTH}-03", "asr_amount": 1.5},
        ],
        "sessions_by_channel": [{"channel": "chat", "count": 4}],
        "sessions_by_hours": [
            {"hour": "working_hours", "count": 3},
            {"hour": "non_working_hours", "count": 1},
        ],
        "sessions_by_type": {
            "sessions_leads": [{"argument": "booking", "total_sessions": 2}],
            "sessions_non_leads": [{"argument": "faq", "total_sessions": 2}],
        },
        "summary": {
            "sessions": {"working_hours": 3, "non_working_hours": 1, "total": 4},
            "leads": {"working_hours": 1, "non_working_hours": 1, "total": 2},
            "asr": {"working_hours": 1.5, "non_working_hours": 3.5, "total": 5.0},
            "revenue": {"working_hours": 300, "non_working_hours": 100, "total": 400},
        },
    }
    answer.update(changes)
    return answer


@pytest.fixture
def server():
    with HostileServer() as srv:
        yield srv


def month_from(server, sessions, current, previous=None):
    fake_portal(server, MONTH, sessions, current, previous or current)
    with PortalClient(server.url, SECRET, progress=False, backoff_factor=0.01) as client:
        return fetch_month(MONTH, "acme", client=client)


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def legend_labels(fig) -> list[str]:
    legend = fig.axes[0].get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def test_daily_leads_and_asr_come_from_the_portal_rows_when_sessions_say_nothing(server):
    data = month_from(server, SESSIONS, info())
    daily = figures.daily_series(data)
    assert daily.attrs["leads_source"] == "portal" and daily.attrs["asr_source"] == "portal"
    assert daily.loc[f"{MONTH}-02", "leads"] == 1 and daily.loc[f"{MONTH}-03", "leads"] == 1
    assert daily.loc[f"{MONTH}-02", "asr_amount"] == 3.5
    assert daily["leads"].sum() == 2 and daily["asr_amount"].sum() == 5.0
    assert daily.loc[f"{MONTH}-02", "conversion_rate"] == 0.5
    assert "Leads" in legend_labels(charts.sessions_leads_by_day(data))
    conversion = charts.conversion_by_day(data)
    assert "Month: 50.0%" in legend_labels(conversion)  # as the headline card says
    assert max(charts.asr_by_day(data).axes[0].patches, key=lambda p: p.get_height()).get_height()
    check = figures.crosscheck(data)
    assert check.ok, check.message
    assert "leads by day are shown on the Portal's own dates" in check.message
    assert "ASR amount by day is shown on the Portal's own dates" in check.message


def test_sessions_with_their_own_arguments_still_count_the_local_days(server):
    """The sandbox's way: the arguments win over the Portal's per-date rows."""
    flagged = [
        session(n, int(s["created_at"][8:10]), {"is_lead": "true"}) for n, s in enumerate(SESSIONS)
    ]
    data = month_from(server, flagged, info())
    daily = figures.daily_series(data)
    assert daily.attrs["leads_source"] == "sessions" and daily.loc[f"{MONTH}-02", "leads"] == 2
    assert daily.attrs["asr_source"] == "portal"


def test_without_any_daily_leads_the_charts_say_so_instead_of_drawing_zeros(server):
    no_rows = {"items": [], "total_sessions": 4, "total_sessions_leads": 2}
    data = month_from(server, SESSIONS, info(sessions_by_leads=no_rows, sessions_by_asr=[]))
    daily = figures.daily_series(data)
    assert not daily.attrs["leads_known"] and daily.attrs["leads_source"] is None
    assert "Leads" not in legend_labels(charts.sessions_leads_by_day(data))
    assert texts(charts.conversion_by_day(data)) == [
        "Leads by day are not available from the Portal"
    ]
    assert texts(charts.asr_by_day(data)) == [
        "ASR amounts by day are not available from the Portal"
    ]


def test_summary_cells_left_out_or_null_are_dashes_never_zeros(server):
    summary = info()["summary"]
    summary["revenue"] = {"working_hours": None, "non_working_hours": 100, "total": 400}
    del summary["asr"]
    data = month_from(server, SESSIONS, info(summary=summary))
    figures_ = figures.manifest_figures(data)
    assert figures_["asr_total"] is None and figures_["units_total"] is None
    assert figures_["revenue_total"] == 400 and figures_["sessions_total"] == 4
    cards = {k.key: k for k in figures.headline(data, ["units", "asr", "revenue", "leads"])}
    for key in ("units", "asr"):
        assert cards[key].formatted == "–" and cards[key].value is None
        assert "not reported by the Portal" in cards[key].delta_text
    assert cards["leads"].value == 2 and cards["revenue"].value == 400
    split = figures.hours_split(data.info, ("revenue", "units"))
    assert math.isnan(split.iloc[0, 1]) and split.iloc[0, 2] == 100
    assert split.iloc[0, 4] == 0.25  # 100 of the 400 sent as the total, not 100 %
    assert math.isnan(split.iloc[1, 3])
    assert "25.0%" in blocks.after_hours_sentence(data)
    fig = charts.hours_split_chart(data, ("revenue",))
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels[0].startswith("–") and labels[1].endswith("25.0%"), labels
    table = figures.opportunity_table(data.info).set_index("Figure")["Value"]
    assert table["Units"] == "–" and table["Opportunity value"] == "–"


def test_empty_breakdowns_are_named_not_shown_as_an_empty_month(server):
    data = month_from(
        server,
        SESSIONS,
        info(
            sessions_by_channel=[],
            sessions_by_hours=[],
            sessions_by_type={"sessions_leads": [], "sessions_non_leads": []},
        ),
    )
    assert texts(charts.channel_chart(data)) == ["The Portal sent no channels"]
    assert texts(charts.session_types_chart(data)) == ["The Portal sent no session types"]
    env = {"PORTAL_BASE_URL": server.url, "PORTAL_SECRET": SECRET, "PORTAL_CUSTOMER_ID": ""}
    result = CliRunner().invoke(cli, ["fetch", "info", "--month", MONTH], env=env)
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert "Working hours 3 (75.0%)" in lines and "Non-working 1 (25.0%)" in lines  # the summary's


def test_figures_not_reported_are_null_in_history_and_unknown_against_targets(server):
    import json

    from portal_reports.publish.portfolio import Figures
    from portal_reports.reports import targets, trend

    summary = info()["summary"]
    del summary["leads"]
    data = month_from(server, SESSIONS, info(summary=summary))
    data = data.with_context(targets={"leads": 5})
    entry = trend.history_entries(data)[-1]
    assert entry["month"] == MONTH and entry["leads_total"] is None
    assert entry["sessions_total"] == 4 and entry["conversion_rate"] is None
    manifest_targets = targets.manifest_targets(data)
    assert manifest_targets["leads"] == {
        "target": 5,
        "value": None,
        "progress": None,
        "status": "unknown",
    }
    json.dumps(manifest_targets, allow_nan=False)  # strict JSON: no NaN in manifest.json
    card = figures.headline(data, ["leads"])[0]
    assert card.target.text == "Target 5 · n/a · not reported"
    row = Figures.of({**figures.manifest_figures(data), "sessions_total": None})
    assert row is not None and row.revenue == 400 and row.sessions is None


def test_a_month_not_started_in_the_customers_zone_fails_that_customer_in_one_line(server):
    from datetime import UTC, datetime

    from portal_reports.errors import ConfigError

    fake_portal(server, MONTH, SESSIONS, info())
    now = datetime.now(UTC)
    month = f"{now.year + 1}-{now.month:02d}"
    message = rf"month {month} has not started yet in UTC \("
    with (
        PortalClient(server.url, SECRET, progress=False) as client,
        pytest.raises(ConfigError, match=message),
    ):
        fetch_month(month, "acme", client=client)


def test_a_month_to_date_fetch_is_not_up_to_date_once_the_month_is_over(server):
    """The skip hash leaves out when the data was fetched, but not the days it covered: a
    report saying "Month to date: Sep 1 - 6" is redone with the same data after the month."""
    import dataclasses
    from datetime import UTC, datetime

    data = month_from(server, SESSIONS, info())
    during = dataclasses.replace(data, fetched_at=datetime(2026, 9, 6, 12, tzinfo=UTC))
    later = dataclasses.replace(data, fetched_at=datetime(2026, 10, 2, tzinfo=UTC))
    much_later = dataclasses.replace(data, fetched_at=datetime(2026, 11, 2, tzinfo=UTC))
    assert later.content_sha256() == much_later.content_sha256()
    assert during.content_sha256() != later.content_sha256()
    # and its daily charts end on the day it was fetched: no line of zeros over days to come
    assert len(charts.conversion_by_day(during).axes[0].lines[0].get_xdata()) == 6
    assert len(charts.conversion_by_day(later).axes[0].lines[0].get_xdata()) == 30


def test_active_only_holds_when_the_portal_ignores_is_active(server, caplog):
    """``is_active=true`` asks for the sessions still running; a Portal that ignores it sends
    the ended ones too: they are left out here, with one warning."""
    import logging

    caplog.set_level(logging.WARNING, logger="portal_reports.client")
    ended = [{**s, "ended_at": s["created_at"].replace("T10", "T11")} for s in SESSIONS[:2]]
    fake_portal(server, MONTH, [*ended, *SESSIONS[2:]], info())  # ignores every filter
    with PortalClient(server.url, SECRET, progress=False) as client:
        active = client.month_sessions(MONTH, is_active=True)
        ended_only = client.month_sessions(MONTH, is_active=False)
        everything = client.month_sessions(MONTH)
    assert [s["id"] for s in active] == ["s2", "s3"]
    assert [s["id"] for s in ended_only] == ["s0", "s1"] and len(everything) == 4
    warnings = [r.getMessage() for r in caplog.records if "is_active" in r.getMessage()]
    assert warnings == [
        "GET /api/v1/bff/sessions: the Portal did not apply is_active=true: it sent 2 ended "
        "session(s); they were left out here"
    ]
