"""Hostile JSON from a Portal, over real HTTP: nesting, impossible dates, huge, non-finite and
negative numbers, markup and mathtext in names. Nothing may crash; nothing invalid may turn
into a silent zero; the reports say what was left out and never show Portal text as markup."""

from __future__ import annotations

import io
import json

import pytest
from hostile import (
    INFO,
    SESSIONS,
    HostileServer,
    empty_info,
    fake_portal,
    json_answer,
    send,
)

from portal_reports.data.frames import info_frames, sessions_frame
from portal_reports.data.month import fetch_month, load_month
from portal_reports.errors import BadRequestError, InvalidResponseError
from portal_reports.portal.client import PortalClient
from portal_reports.reports import blocks, charts, figures

MONTH = "2026-09"
SECRET = "hostile-secret-9f3Kq"
MATH = r"$\undefinedcommand{x}$"
QUOTE = "quote $5 to $10"
SCRIPT = "<script>alert(1)</script>"


def session(n: int, created_at, **extra) -> dict:
    item = {
        "id": f"s{n}",
        "persona": {"id": "p", "actor_id": "a", "name": "n", "external_id": "e"},
        "integration_idn": "newo_chat",
        "connector_idn": "web",
        "created_at": created_at,
        "ended_at": None,
        "arguments": {"is_lead": "false"},
        "messages_count": 2,
    }
    item.update(extra)
    return item


GOOD = [session(n, f"{MONTH}-02T10:00:{n:02d}Z") for n in range(4)]
BAD_SESSIONS = [
    session(10, "9999-12-31T23:59:59Z"),  # beyond what pandas can hold
    session(11, "2026-10-05T10:00:00Z"),  # outside the requested month
    session(12, "now"),  # pandas would read this as the current time
    session(13, f"{MONTH}-03T10:00:00Z", messages_count=-5),
    session(14, f"{MONTH}-03T11:00:00Z", messages_count=10**400),
    session(15, f"{MONTH}-03T12:00:00Z", ended_at="9999-01-01T00:00:00Z"),
    session(16, f"{MONTH}-03T13:00:00Z", ended_at=f"{MONTH}-01T00:00:00Z"),  # before it began
    session(17, f"{MONTH}-03T14:00:00Z", persona={"is_deleted": "yes"}),
]
HUGE = "1" + "0" * 400


def hostile_info() -> bytes:
    """A /sessions/info answer with NaN, Infinity, a 400-digit number and negative counts
    (written as text: json.dumps cannot produce a 400-digit float literal)."""
    info = {
        "sessions_by_leads": {
            "items": [
                {"date": f"{MONTH}-02", "total_sessions": 4, "total_sessions_leads": 1},
                {"date": f"{MONTH}-03", "total_sessions": -5, "total_sessions_leads": 0},
                {"date": "9999-01-01", "total_sessions": 1, "total_sessions_leads": 0},
                {"date": "2026-10-01", "total_sessions": 1, "total_sessions_leads": 0},
            ],
            "total_sessions": "NAN_HERE",
            "total_sessions_leads": 1,
        },
        "sessions_by_type": {
            "sessions_leads": [{"argument": MATH, "total_sessions": 1}],
            "sessions_non_leads": [
                {"argument": QUOTE, "total_sessions": 2},
                {"argument": SCRIPT, "total_sessions": 1},
                {"argument": "x" * 200_000, "total_sessions": 1},
            ],
        },
        "sessions_by_channel": [
            {"channel": "chat", "count": 3},
            {"channel": {"nested": [1, 2]}, "count": 1},
            {"channel": "$x^2$ voice", "count": 1},
        ],
        "sessions_by_hours": [{"hour": "working_hours", "count": "INF_HERE"}],
        "sessions_by_asr": [{"date": f"{MONTH}-02", "asr_amount": -1.5}],
        "summary": {
            "sessions": {"working_hours": 3, "non_working_hours": 1, "total": "NAN_HERE"},
            "leads": {"working_hours": 1, "non_working_hours": 0, "total": 20},
            "revenue": {"working_hours": 1, "non_working_hours": 0, "total": "HUGE_HERE"},
            "asr": {"working_hours": 1, "non_working_hours": 0, "total": "INF_HERE"},
            "units": {"working_hours": -3, "non_working_hours": 0, "total": 0},
            "weird": [1, 2],
        },
    }
    text = json.dumps(info)
    for marker, literal in (("NAN_HERE", "NaN"), ("INF_HERE", "Infinity"), ("HUGE_HERE", HUGE)):
        text = text.replace(f'"{marker}"', literal)
    return text.encode()


PREVIOUS = {
    **empty_info(),
    "summary": {"sessions": {"total": -3}, "leads": {"total": 20}},  # "-666.7%" before
}


@pytest.fixture
def server():
    with HostileServer() as srv:
        yield srv


def client_for(srv: HostileServer) -> PortalClient:
    return PortalClient(srv.url, SECRET, progress=False, backoff_factor=0.01)


# --------------------------------------------------------------------------- transport


@pytest.mark.parametrize("depth", [100_000, 200])
def test_deeply_nested_answers_are_invalid_responses(server, depth):
    nested = b'{"items": [{"id": "a", "arguments": {"x": ' + b"[" * depth + b"]" * depth
    nested += b'}}], "metadata": {"total": 1}}'
    server.route(SESSIONS, json_answer(nested))
    with client_for(server) as c, pytest.raises(InvalidResponseError) as info:
        c.month_sessions(MONTH)
    message = str(info.value)
    assert f"GET {SESSIONS} answered 2XX with JSON nested" in message and "\n" not in message


def test_a_deeply_nested_error_body_is_still_a_clean_http_error(server):
    server.route(INFO, lambda req: send(req, 400, b'{"reason": ' + b"[" * 50_000 + b"]" * 50_000))
    with client_for(server) as c, pytest.raises(BadRequestError, match="HTTP 400"):
        c.month_info(MONTH)


# --------------------------------------------------------------------------- frames


def test_sessions_outside_the_month_or_with_unusable_values_are_reported(server):
    fake_portal(server, MONTH, GOOD + BAD_SESSIONS, empty_info())
    with client_for(server) as c:
        data = fetch_month(MONTH, "acme", client=c)
    frame = data.sessions
    assert sorted(frame["id"]) == ["s0", "s1", "s13", "s14", "s15", "s16", "s17", "s2", "s3"]
    problems = "\n".join(data.problems)
    assert 'created_at: "9999-12-31T23:59:59Z" (and 2 more) is not a date-time within' in problems
    assert "session left out" in problems
    row = frame.set_index("id")
    assert (
        row.loc["s13", "messages_count"] is pd_na() and row.loc["s14", "messages_count"] is pd_na()
    )
    assert "messages_count: -5 (and 1 more) is not a count" in problems
    assert "a 401-digit number" not in problems  # the first example is shown, the rest counted
    assert row.loc["s15", "ended_at"] is pd_nat() and "ended_at" in problems
    assert row.loc["s16", "duration"] is pd_nat() and "earlier than created_at" in problems
    assert row.loc["s17", "persona_is_deleted"] is pd_na() and "persona.is_deleted" in problems


def pd_na():
    import pandas as pd

    return pd.NA


def pd_nat():
    import pandas as pd

    return pd.NaT


def test_statistics_with_nan_huge_negative_and_odd_values_never_become_silent_zeros(server):
    fake_portal(server, MONTH, GOOD, hostile_info(), PREVIOUS)
    with client_for(server) as c:
        data = fetch_month(MONTH, "acme", client=c)
    info = data.info
    problems = "\n".join(data.problems)
    for expected in (
        "summary.sessions.total: NaN is not a count",
        "summary.revenue.total: a 401-digit number is not a finite number",
        "summary.asr.total: Infinity is not an amount >= 0",
        "summary.units.working_hours: -3 is not an amount >= 0",
        "summary.weird: [1, 2] is not an object",
        'sessions_by_leads.items.date: "9999-01-01" (and 1 more) is not a date of the month',
        "sessions_by_leads.items.total_sessions: -5 is not a count",
        "sessions_by_leads.total_sessions: NaN is not a count",
        "sessions_by_hours.count: Infinity is not a count",
        "sessions_by_asr.asr_amount: -1.5 is not an amount",
        "Previous month's statistics: summary.sessions.total: -3 is not a count",
    ):
        assert expected in problems, (expected, problems)
    assert list(info.leads_by_date["date"].dt.strftime("%Y-%m-%d")) == [
        f"{MONTH}-02",
        f"{MONTH}-03",
    ]
    assert info.total_sessions == 4  # the per-day sum of the valid rows, with a warning
    # headline cards: "–" / "n/a", never "0 sessions" or "-666.7%"
    kpis = {k.label: k for k in figures.headline(data, ["sessions", "leads", "conversion_rate"])}
    assert kpis["Sessions"].formatted == "–" and "invalid data" in kpis["Sessions"].delta_text
    assert kpis["Conversion rate"].formatted == "n/a"
    cards = blocks.kpi_html(figures.headline(data, ["sessions", "conversion_rate"]))
    assert "-666.7%" not in cards and ">0<" not in cards
    assert figures.manifest_figures(data)["sessions_total"] is None
    # the data check does not pass, and the warning is visible
    check = figures.crosscheck(data)
    assert not check.ok and "could not be used" in check.message
    assert "passed" not in blocks.crosscheck_html(check).replace("not passed", "")
    notices = blocks.notices_html(data, crosscheck_mismatch=False)
    assert "Data quality warning" in notices and "summary.sessions.total" in notices
    # values all agree but some were invalid: "invalid", still not "passed"
    summary = {"sessions": {"total": 4}, "leads": {"total": 0}, "asr": {"total": -1}}
    fake_portal(server, MONTH, GOOD, {**empty_info(), "summary": summary})
    with client_for(server) as c:
        check = figures.crosscheck(fetch_month(MONTH, "acme", client=c))
    assert check.status == "invalid" and "Data check not passed" in blocks.crosscheck_html(check)


def test_portal_text_is_text_in_charts_and_tables(server):
    fake_portal(server, MONTH, GOOD, hostile_info())
    with client_for(server) as c:
        data = fetch_month(MONTH, "acme", client=c)
    for name, fig in charts.all_figures(data).items():
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")  # draws every text: mathtext would fail or italicise
        assert buffer.tell() > 0, name
    fig = charts.session_types_chart(data)
    fig.savefig(io.BytesIO(), format="svg")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert r"\$\undefinedcommand{x}\$" in labels and r"Quote \$5 to \$10" in labels
    assert all(len(label) <= 40 for label in labels)
    for label in fig.axes[0].get_yticklabels():
        assert not label._preprocess_math(label.get_text())[1]  # not parsed as mathtext
    table = blocks.styled_table(figures.types_table(data.info)).to_html()
    assert "&lt;script&gt;" in table and SCRIPT not in table
    notices = blocks.notices_html(data)
    assert "<script>" not in notices


def test_data_json_round_trip_keeps_the_warnings(server, tmp_path):
    fake_portal(server, MONTH, GOOD + BAD_SESSIONS, hostile_info())
    with client_for(server) as c:
        data = fetch_month(MONTH, "acme", client=c)
    path = data.save(tmp_path / "data.json")
    again = load_month(MONTH, "acme", path)
    assert again.problems == data.problems and len(again.sessions) == len(data.sessions)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda raw: raw.update(info=[1]), "'info' has the wrong type"),
        (lambda raw: raw.update(sessions=[1, 2]), "not a session object"),
        (lambda raw: raw.update(attributes="x"), "'attributes' has the wrong type"),
    ],
)
def test_a_malformed_data_json_is_a_clear_error(tmp_path, edit, message):
    from portal_reports.errors import ConfigError

    raw = {
        "month": MONTH,
        "customer_id": "acme",
        "base_url": "http://x",
        "fetched_at": "2026-10-01T00:00:00Z",
        "sessions": [],
        "info": empty_info(),
        "previous_info": empty_info(),
        "attributes": None,
    }
    edit(raw)
    path = tmp_path / "data.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match=message):
        load_month(MONTH, "acme", path)
    path.write_text('{"month": ' + "[" * 5000 + "]" * 5000 + "}")
    with pytest.raises(ConfigError, match="nested"):
        load_month(MONTH, "acme", path)


def test_frames_of_odd_json_types_do_not_crash():
    odd = [{"id": 1, "created_at": 5, "persona": "x", "arguments": [1], "events_count": True}]
    frame = sessions_frame(odd)
    assert frame.attrs["problems"] and len(frame) == 1
    info = info_frames({"sessions_by_leads": [1], "summary": {"sessions": {"total": True}}})
    assert info.problems and info.total_sessions == 0
    info = info_frames({"summary": {"sessions": {"total": 10}, "leads": {"total": 20}}})
    assert info.problems == [
        "Statistics: summary.leads.total: 20.0 is more than the 10 sessions; "
        "the conversion rate is over 100%"
    ]


# --------------------------------------------------------------------------- more hostile cases


def test_an_answer_larger_than_the_limit_is_refused(server):
    server.route(INFO, json_answer({**empty_info(), "padding": "x" * 5000}))
    with client_for(server) as c:
        c.transport.max_body = 4000
        with pytest.raises(InvalidResponseError, match="a body of more than 4,000 bytes"):
            c.month_info(MONTH)
    assert len(server.requests) == 1  # not retried


@pytest.mark.parametrize("path", [INFO, "/api/v1/bff/customer/attributes"])
def test_answers_that_are_not_objects_are_invalid(server, path):
    server.route(path, json_answer([1, 2, 3]))
    with client_for(server) as c, pytest.raises(InvalidResponseError, match="no JSON object"):
        c.month_info(MONTH) if path == INFO else c.customer_attributes()


def test_repeated_dates_many_channels_and_terminal_escapes(server):
    info = empty_info()
    info["sessions_by_leads"]["items"] = [
        {"date": f"{MONTH}-02", "total_sessions": 2, "total_sessions_leads": 1},
        {"date": f"{MONTH}-02", "total_sessions": 5, "total_sessions_leads": 1},
    ]
    info["sessions_by_channel"] = [{"channel": f"ch{n}", "count": n + 1} for n in range(300)]
    info["sessions_by_type"]["sessions_leads"] = [
        {"argument": "\x1b]0;owned\x07\x1b[2J", "total_sessions": 1}
    ]
    info["summary"] = {"sessions": {"total": 2}}
    name = {"idn": "business_name", "value": "Acme\r\nBcc: x@evil.example " + "y" * 500}
    fake_portal(server, MONTH, GOOD[:2], info, attributes={"groups": [], "attributes": [name]})
    with client_for(server) as c:
        data = fetch_month(MONTH, "acme", client=c)
    assert "a date already listed" in "\n".join(data.problems)
    assert figures.daily_series(data).loc[f"{MONTH}-02", "sessions"] == 2
    fig = charts.channel_chart(data)
    assert len(fig.axes[0].patches) == charts.MAX_CHANNELS and fig.get_size_inches()[1] < 6
    assert "\n" not in data.customer_name and len(data.customer_name) <= 100
    from click.testing import CliRunner

    from portal_reports.cli import cli

    env = {"PORTAL_BASE_URL": server.url, "PORTAL_SECRET": SECRET, "PORTAL_CUSTOMER_ID": ""}
    result = CliRunner().invoke(cli, ["fetch", "info", "--month", MONTH], env=env)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\\x1b]0;owned\\x07" in result.output


@pytest.mark.parametrize("how", ["null", "absent"])
def test_breakdowns_left_out_or_null_read_as_empty(server, how):
    """A Portal may leave a breakdown out, or send null, where it has nothing (no voice
    sessions: no ASR rows). The month is still read and drawn; only a missing or malformed
    summary is refused."""
    summary = {"sessions": {"total": len(GOOD), "working_hours": len(GOOD), "non_working_hours": 0}}
    info = {**empty_info(), "summary": summary}
    for key in ("sessions_by_asr", "sessions_by_hours", "sessions_by_type", "sessions_by_leads"):
        if how == "null":
            info[key] = None
        else:
            del info[key]
    fake_portal(server, MONTH, GOOD, info, info)
    with client_for(server) as c:
        data = fetch_month(MONTH, "acme", client=c)
    assert data.info.asr_by_date.empty and data.info.types.empty
    for fig in charts.all_figures(data).values():
        fig.savefig(io.BytesIO(), format="png")
    kpis = {k.label: k for k in figures.headline(data, ["sessions"])}
    assert kpis["Sessions"].value == len(GOOD)
    for bad in ({**info, "summary": None}, {**info, "sessions_by_channel": "none"}):
        fake_portal(server, MONTH, GOOD, bad, bad)
        with client_for(server) as c, pytest.raises(InvalidResponseError):
            fetch_month(MONTH, "acme", client=c)


@pytest.mark.parametrize(
    ("sessions", "attributes", "unknown"),
    [
        ([], None, True),  # a Portal answering an unknown id with empty lists
        (GOOD, None, False),
        ([], {"groups": ["g"], "attributes": [{"id": "1", "idn": "business_name"}]}, False),
    ],
)
def test_a_customer_id_the_portal_knows_nothing_of_is_pointed_out(
    server, sessions, attributes, unknown
):
    """The spec's customer header only filters: an independent Portal may answer a mistyped
    id with 200 and nothing, where the sandbox says 404. The run then notes it."""
    from portal_reports.publish.runner import _unknown_to_the_portal

    summary = {"sessions": {"total": len(sessions)}}
    fake_portal(server, MONTH, sessions, {**empty_info(), "summary": summary}, None, attributes)
    with client_for(server) as c:
        data = fetch_month(MONTH, "acme-dentl", client=c)
    assert _unknown_to_the_portal(data) is unknown
