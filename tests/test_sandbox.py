"""The sandbox Portal over real HTTP: data realism, spec conformance, errors, PUT, faults, CLI."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from conftest import END_MONTH, MONTH, SECRET, SEED, popen_interruptible

from portal_reports.dates import current_month, month_range, shift_month
from portal_reports.errors import ConfigError
from portal_reports.sandbox import (
    DEFAULT_SECRET,
    DEMO_CUSTOMERS,
    FAULT_KINDS,
    Sandbox,
    default_sandbox,
    sandbox_settings_from_env,
)

SESSIONS = "/api/v1/bff/sessions"
INFO = "/api/v1/bff/sessions/info"
ATTRIBUTES = "/api/v1/bff/customer/attributes"
ATTRIBUTE = "/api/v1/customer/attributes/"
START, END = (f"{d:%Y-%m-%dT%H:%M:%SZ}" for d in month_range(MONTH))
DT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CUSTOMERS = {c["external_id"]: c for c in DEMO_CUSTOMERS}
GOOD = {"page": "1", "per": "10"}  # the smallest valid /sessions query


def call(sb, path, params=None, customer=None, secret=SECRET, method="GET", headers=None, **kw):
    """One raw HTTP request to the sandbox."""
    headers = {**({"x-portal-secret": secret} if secret is not None else {}), **(headers or {})}
    if customer:
        headers["x-portal-external-customer-id"] = customer
    return requests.request(method, sb.url + path, params=params, headers=headers, timeout=10, **kw)


def all_pages(sb, params, customer=None, per=100):
    """Every item of a listing, paged with raw requests using the per the server reports."""
    items, page = [], 1
    while True:
        body = call(sb, SESSIONS, {**params, "page": page, "per": per}, customer).json()
        items += body["items"]
        served = body["metadata"]["per"]
        if page * served >= body["metadata"]["total"]:
            return items, body["metadata"]["total"]
        page += 1


def assert_error(resp, status, reason=None, mentions=None):
    """A 4XX/5XX with exactly the spec's error body."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"code", "type", "reason", "errors"}
    assert body["code"] == status
    assert (
        body["type"]
        == {
            400: "Bad Request",
            401: "Unauthorized",
            404: "Not Found",
            405: "Method Not Allowed",
            415: "Unsupported Media Type",
            422: "Unprocessable Entity",
            429: "Too Many Requests",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }[status]
    )
    assert body["errors"] and all(set(e) == {"message", "code"} for e in body["errors"])
    if reason is not None:
        assert body["reason"] == reason
    if mentions is not None:
        assert any(mentions in e["message"] for e in body["errors"]), body
    return body


def local(created_at: str, customer: dict) -> datetime:
    utc = datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return utc.astimezone(ZoneInfo(customer["timezone"]))


def in_working_hours(created_at: str, customer: dict) -> bool:
    t = local(created_at, customer)
    return (
        t.weekday() in customer["work_days"]
        and customer["work_start"] <= t.hour < customer["work_end"]
    )


# -- dataset ----------------------------------------------------------------------------------


def dump(sb):
    with sb.connect() as db:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("customers", "personas", "sessions", "attributes")
        }


def test_same_parameters_give_identical_rows_and_months_do_not_depend_on_history():
    kw = dict(end_month=END_MONTH, scale=0.3, secret=SECRET)
    with Sandbox(seed=SEED, months=2, **kw) as a, Sandbox(seed=SEED, months=2, **kw) as b:
        rows_a = dump(a)
        assert rows_a == dump(b)
        assert len(rows_a["sessions"]) > 1000
    with Sandbox(seed=SEED + 1, months=2, **kw) as c:
        assert dump(c)["sessions"] != rows_a["sessions"]
    with Sandbox(seed=SEED, months=1, **kw) as d:
        last_month = [r for r in rows_a["sessions"] if r[6].startswith(END_MONTH)]
        assert dump(d)["sessions"] == last_month


def test_volume_per_customer_month_and_growth(sandbox):
    with sandbox.connect() as db:
        counts = dict(
            ((c, m), n)
            for c, m, n in db.execute(
                "SELECT customer_id, substr(created_at, 1, 7), count(*) FROM sessions GROUP BY 1, 2"
            )
        )
    months = [shift_month(END_MONTH, -k) for k in range(13, -1, -1)]
    for cid in ("acme-dental", "autohaus-mueller", "bistro-ca-va"):
        series = [counts.get((cid, m), 0) for m in months]
        assert all(600 <= n <= 2000 for n in series), (cid, series)
        assert series[-1] > series[0] * 1.2, (cid, series)  # month-over-month growth
    yoga = [counts.get(("nordlicht-yoga", m), 0) for m in months]
    assert yoga[:-3] == [0] * 11 and all(200 <= n < 600 for n in yoga[-3:]), yoga


def test_weekly_and_daily_rhythm_in_local_time(sandbox):
    with sandbox.connect() as db:
        rows = db.execute(
            "SELECT customer_id, created_at, is_working_hours FROM sessions "
            "WHERE created_at BETWEEN ? AND ?",
            (START, END),
        ).fetchall()
    for cid, customer in CUSTOMERS.items():
        mine = [r for r in rows if r[0] == cid]
        flags = [in_working_hours(created, customer) for _, created, _ in mine]
        # The stored flag is exactly the customer's local working hours (zoneinfo).
        assert [bool(r[2]) for r in mine] == flags, cid
        assert sum(flags) / len(flags) > 0.5, cid
        days = Counter(local(created, customer).date() for _, created, _ in mine)
        work = [n for d, n in days.items() if d.weekday() in customer["work_days"]]
        rest = [n for d, n in days.items() if d.weekday() not in customer["work_days"]]
        assert sum(work) / len(work) > 2 * sum(rest) / len(rest), cid
        hours = Counter(local(created, customer).hour for _, created, _ in mine)
        assert hours[customer["work_start"] + 2] > 5 * max(hours[3], 1), (cid, hours)


@pytest.mark.parametrize("month", ["2025-11", "2026-03"])  # months with DST changes
def test_working_hours_flag_across_dst_changes(sandbox, month):
    start, end = (f"{d:%Y-%m-%dT%H:%M:%SZ}" for d in month_range(month))
    with sandbox.connect() as db:
        rows = db.execute(
            "SELECT customer_id, created_at, is_working_hours FROM sessions "
            "WHERE created_at BETWEEN ? AND ? AND customer_id != 'nordlicht-yoga'",
            (start, end),
        ).fetchall()
    assert len(rows) > 2000
    assert all(bool(flag) == in_working_hours(at, CUSTOMERS[cid]) for cid, at, flag in rows)


def test_edge_cases_are_present(sandbox):
    with sandbox.connect() as db:
        active = db.execute("SELECT created_at FROM sessions WHERE ended_at IS NULL").fetchall()
        deleted = db.execute(
            "SELECT count(*) FROM sessions s JOIN personas p ON p.id = s.persona_id "
            "WHERE p.is_deleted = 1"
        ).fetchone()[0]
        empty = db.execute(
            "SELECT count(*), sum(is_lead), sum(revenue), count(session_type) FROM sessions "
            "WHERE arguments = '{}'"
        ).fetchone()
        names = {r[0] for r in db.execute("SELECT DISTINCT name FROM personas")}
        connectors = {
            tuple(r)
            for r in db.execute(
                "SELECT DISTINCT integration_idn, connector_idn, channel FROM sessions"
            )
        }
    assert active and sum(a[0] >= f"{END_MONTH}-30" for a in active) > len(active) / 2
    assert deleted > 0
    assert empty[0] > 100 and empty[1] == 0 and empty[2] == 0 and empty[3] == 0
    assert {"Zoë Brontë", "José Núñez", "Søren Ærø"} <= names
    assert {(i, c) for i, c, _ in connectors} >= {
        ("newo_voice", "main_line"),
        ("twilio_voice", "after_hours"),
        ("newo_chat", "website"),
        ("whatsapp", "business"),
        ("telegram", "bot"),
        ("sandbox", "test"),
    }
    assert all(ch == ("voice" if "voice" in i else "chat") for i, _, ch in connectors)


def test_derived_columns_are_what_the_arguments_say(sandbox):
    with sandbox.connect() as db:
        rows = db.execute(
            "SELECT arguments, channel, session_type, is_lead, revenue, opportunity_value, "
            "additional_deal, units, asr_amount FROM sessions"
        ).fetchall()
    keys = set()
    for arguments, channel, *derived in rows:
        args = json.loads(arguments)
        keys |= set(args)
        assert all(isinstance(v, str) for v in args.values())
        expected = [
            args.get("session_type"),
            int(args.get("is_lead") == "true"),
            float(args.get("revenue", 0)),
            float(args.get("opportunity_value", 0)),
            int(args.get("additional_deal") == "true"),
            int(args.get("units", 0)),
            float(args.get("asr_amount", 0)),
        ]
        assert derived == expected, arguments
        assert channel == "voice" or "asr_amount" not in args
    assert {
        "session_type",
        "is_lead",
        "revenue",
        "opportunity_value",
        "additional_deal",
        "units",
        "asr_amount",
        "caller_language",
    } <= keys


def test_current_month_has_nothing_after_now():
    with (
        Sandbox(end_month=current_month(), months=1, scale=0.2, secret=SECRET) as sb,
        sb.connect() as db,
    ):
        newest = db.execute("SELECT max(created_at), max(ended_at) FROM sessions").fetchone()
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert all(v is None or v <= now for v in newest)


# -- /sessions and /sessions/info -------------------------------------------------------------


def test_info_equals_sql_and_the_listed_sessions(sandbox):
    customer = CUSTOMERS["acme-dental"]
    info = call(sandbox, INFO, {"from_datetime": START, "to_datetime": END}, "acme-dental").json()
    items, total = all_pages(sandbox, {"from_datetime": START, "to_datetime": END}, "acme-dental")
    with sandbox.connect() as db:
        sql = db.execute(
            "SELECT count(*), sum(is_lead), round(sum(revenue), 2), round(sum(asr_amount), 2), "
            "sum(units) FROM sessions WHERE customer_id = 'acme-dental' "
            "AND created_at BETWEEN ? AND ?",
            (START, END),
        ).fetchone()
    assert len(items) == total == len({i["id"] for i in items}) == sql[0] > 600
    summary = info["summary"]
    assert info["sessions_by_leads"]["total_sessions"] == summary["sessions"]["total"] == sql[0]
    assert info["sessions_by_leads"]["total_sessions_leads"] == summary["leads"]["total"] == sql[1]
    assert summary["revenue"]["total"] == pytest.approx(sql[2], abs=0.01)
    assert summary["asr"]["total"] == pytest.approx(sql[3], abs=0.01)
    assert summary["units"]["total"] == sql[4]

    args = [i["arguments"] for i in items]
    leads = [a.get("is_lead") == "true" for a in args]
    assert sum(leads) == summary["leads"]["total"]
    assert sum(float(a.get("revenue", 0)) for a in args) == pytest.approx(
        summary["revenue"]["total"], abs=0.01
    )
    by_day = Counter(i["created_at"][:10] for i in items)
    lead_days = Counter(i["created_at"][:10] for i, lead in zip(items, leads, strict=True) if lead)
    assert [
        (d["date"], d["total_sessions"], d["total_sessions_leads"])
        for d in info["sessions_by_leads"]["items"]
    ] == [(d, by_day[d], lead_days[d]) for d in sorted(by_day)]
    channels = Counter("voice" if "voice" in i["integration_idn"] else "chat" for i in items)
    assert {c["channel"]: c["count"] for c in info["sessions_by_channel"]} == channels
    working = sum(in_working_hours(i["created_at"], customer) for i in items)
    assert info["sessions_by_hours"] == [
        {"hour": "working_hours", "count": working},
        {"hour": "non_working_hours", "count": total - working},
    ]
    lead_types = Counter(
        a["session_type"]
        for a, lead in zip(args, leads, strict=True)
        if lead and "session_type" in a
    )
    listed = info["sessions_by_type"]["sessions_leads"]
    assert {t["argument"]: t["total_sessions"] for t in listed} == lead_types
    assert [t["total_sessions"] for t in listed] == sorted(lead_types.values(), reverse=True)
    asr_days = Counter()
    for i in items:
        asr_days[i["created_at"][:10]] += float(i["arguments"].get("asr_amount", 0))
    for row in info["sessions_by_asr"]:
        assert row["asr_amount"] == pytest.approx(asr_days[row["date"]], abs=0.01)


def test_whole_account_is_the_sum_of_customers(sandbox):
    params = {"from_datetime": START, "to_datetime": END}
    whole = call(sandbox, INFO, params).json()["summary"]
    parts = [call(sandbox, INFO, params, cid).json()["summary"] for cid in CUSTOMERS]
    for metric in ("sessions", "leads", "units", "additional_deal", "opportunity_sessions"):
        assert whole[metric]["total"] == sum(p[metric]["total"] for p in parts), metric
    with sandbox.connect() as db:
        n = db.execute(
            "SELECT count(*) FROM sessions WHERE created_at BETWEEN ? AND ?", (START, END)
        ).fetchone()[0]
    assert whole["sessions"]["total"] == n
    assert call(sandbox, SESSIONS, {**params, "page": 1, "per": 1}).json()["metadata"]["total"] == n


def test_customer_header_filters_sessions(sandbox):
    items, total = all_pages(
        sandbox, {"from_datetime": "2026-09-20T00:00:00Z", "to_datetime": END}, "bistro-ca-va"
    )
    with sandbox.connect() as db:
        personas = {
            r[0] for r in db.execute("SELECT id FROM personas WHERE customer_id = 'bistro-ca-va'")
        }
    assert total > 100 and {i["persona"]["id"] for i in items} <= personas
    assert any(
        r.headers.get("x-portal-external-customer-id") == "bistro-ca-va" for r in sandbox.requests
    )


def test_items_have_the_spec_shape(sandbox):
    body = call(
        sandbox, SESSIONS, {"page": 1, "per": 100, "from_datetime": START, "to_datetime": END}
    ).json()
    assert body["metadata"] == {"page": 1, "per": 100, "total": body["metadata"]["total"]}
    for item in body["items"]:
        assert set(item) == {
            "id",
            "persona",
            "integration_idn",
            "connector_idn",
            "created_at",
            "arguments",
            "user_messages_count",
            "agent_messages_count",
            "messages_count",
            "events_count",
            "latest_message_datetime",
            "latest_event_datetime",
            "ended_at",
        }
        assert set(item["persona"]) == {"id", "actor_id", "name", "external_id", "is_deleted"}
        assert UUID_RE.match(item["id"]) and UUID_RE.match(item["persona"]["id"])
        assert DT_RE.match(item["created_at"]) and START <= item["created_at"] <= END
        for key in ("ended_at", "latest_message_datetime", "latest_event_datetime"):
            assert item[key] is None or DT_RE.match(item[key])
        assert item["messages_count"] == item["user_messages_count"] + item["agent_messages_count"]


def test_order_paging_and_a_page_past_the_end(sandbox):
    params = {"from_datetime": START, "to_datetime": END}
    pages = [call(sandbox, SESSIONS, {**params, "page": p, "per": 50}).json() for p in (1, 2, 3)]
    items = [i for p in pages for i in p["items"]]
    keys = [(i["created_at"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == 150
    total = pages[0]["metadata"]["total"]
    past = call(sandbox, SESSIONS, {**params, "page": total // 50 + 2, "per": 50}).json()
    assert past["items"] == [] and past["metadata"]["total"] == total


def test_filters_connectors_and_is_active(sandbox):
    base = {"page": 1, "per": 1}
    with sandbox.connect() as db:
        voice = db.execute(
            "SELECT count(*) FROM sessions WHERE (integration_idn = 'newo_voice' AND "
            "connector_idn = 'main_line') OR integration_idn = 'whatsapp'"
        ).fetchone()[0]
        plain = db.execute(
            "SELECT count(*) FROM sessions WHERE connector_idn IN ('main_line', 'bot')"
        ).fetchone()[0]
        active = db.execute("SELECT count(*) FROM sessions WHERE ended_at IS NULL").fetchone()[0]
        everything = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
    assert 0 < active < everything and 0 < voice < everything and 0 < plain < everything
    repeated = [("connectors", "newo_voice/main_line"), ("connectors", "whatsapp/*")]
    brackets = [("connectors[]", "newo_voice/main_line"), ("connectors[]", "whatsapp/*")]
    for connectors in (repeated, brackets):
        body = call(sandbox, SESSIONS, [*base.items(), *connectors]).json()
        assert body["metadata"]["total"] == voice
    # the spec's form: plain connector identifiers match connector_idn
    identifiers = [("connectors", "main_line"), ("connectors", "bot")]
    assert call(sandbox, SESSIONS, [*base.items(), *identifiers]).json()["metadata"]["total"] == (
        plain
    )
    # "Filter active sessions only": true keeps running sessions, false is no filter
    for value, expected in (
        ("true", active),
        ("1", active),
        ("false", everything),
        ("0", everything),
    ):
        total = call(sandbox, SESSIONS, {**base, "is_active": value}).json()["metadata"]["total"]
        assert total == expected, value
    items, _ = all_pages(sandbox, {"is_active": "true"})
    assert items and all(i["ended_at"] is None for i in items)


def test_offsets_and_z_select_the_same_instants(sandbox):
    z = {"from_datetime": START, "to_datetime": END}
    berlin = {
        "from_datetime": "2026-09-01T02:00:00+02:00",
        "to_datetime": "2026-10-01T01:59:59+02:00",
    }
    assert call(sandbox, INFO, z).json() == call(sandbox, INFO, berlin).json()


def test_both_ends_of_the_range_are_inclusive(sandbox):
    with sandbox.connect() as db:
        (at,) = db.execute(
            "SELECT created_at FROM sessions WHERE created_at LIKE ? LIMIT 1", (f"{MONTH}-15%",)
        ).fetchone()
        n = db.execute("SELECT count(*) FROM sessions WHERE created_at = ?", (at,)).fetchone()[0]
    exact = {"from_datetime": at, "to_datetime": at}
    assert call(sandbox, SESSIONS, {**exact, **GOOD}).json()["metadata"]["total"] == n >= 1
    assert call(sandbox, INFO, exact).json()["summary"]["sessions"]["total"] == n


def test_empty_range_gives_zero_statistics(sandbox):
    info = call(
        sandbox,
        INFO,
        {"from_datetime": "2020-01-01T00:00:00Z", "to_datetime": "2020-01-31T23:59:59Z"},
    ).json()
    assert info["sessions_by_leads"] == {
        "items": [],
        "total_sessions": 0,
        "total_sessions_leads": 0,
    }
    assert info["summary"]["revenue"] == {"non_working_hours": 0, "working_hours": 0, "total": 0}
    assert [h["count"] for h in info["sessions_by_hours"]] == [0, 0]


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "reason", "mentions"),
    [
        (SESSIONS, {"per": "10"}, "Missing required parameter", "'page'"),
        (SESSIONS, {"page": "1"}, "Missing required parameter", "'per'"),
        (SESSIONS, {**GOOD, "page": "0"}, "Invalid parameter", "'page'"),
        (SESSIONS, {**GOOD, "page": "1.5"}, "Invalid parameter", "'page'"),
        (SESSIONS, {**GOOD, "per": "0"}, "Invalid parameter", "'per'"),
        (SESSIONS, {**GOOD, "per": "-5"}, "Invalid parameter", "'per'"),
        (SESSIONS, {**GOOD, "per": "ten"}, "Invalid parameter", "'per'"),
        (SESSIONS, {**GOOD, "per": "1_0"}, "Invalid parameter", "'per'"),
        (SESSIONS, {**GOOD, "per": "\u0661\u0660"}, "Invalid parameter", "'per'"),  # Arabic 10
        (SESSIONS, {**GOOD, "page": "9223372036854775808"}, "Invalid parameter", "'page'"),
        (SESSIONS, {**GOOD, "per": "1" + "0" * 30}, "Invalid parameter", "'per'"),
        (
            SESSIONS,
            {**GOOD, "from_datetime": "yesterday"},
            "Invalid datetime format",
            "'from_datetime'",
        ),
        (
            SESSIONS,
            {**GOOD, "to_datetime": "2026-13-01T00:00:00Z"},
            "Invalid datetime format",
            "'to_datetime'",
        ),
        (
            SESSIONS,
            {**GOOD, "from_datetime": END, "to_datetime": START},
            "Invalid datetime range",
            "'from_datetime'",
        ),
        (SESSIONS, {**GOOD, "is_active": "yes"}, "Invalid parameter", "'is_active'"),
        (SESSIONS, {**GOOD, "connectors": "newo voice"}, "Invalid parameter", "'connectors'"),
        (SESSIONS, {**GOOD, "connectors": "{x}"}, "Invalid parameter", "'{x}'"),
        (SESSIONS, {**GOOD, "connectors[]": "a/b/c"}, "Invalid parameter", "'connectors'"),
        (INFO, {"to_datetime": END}, "Missing required parameter", "'from_datetime'"),
        (INFO, {"from_datetime": START}, "Missing required parameter", "'to_datetime'"),
        (
            INFO,
            {"from_datetime": START, "to_datetime": "31.09.2026"},
            "Invalid datetime format",
            "'to_datetime'",
        ),
        (INFO, {"from_datetime": END, "to_datetime": START}, "Invalid datetime range", None),
    ],
)
def test_bad_parameters_are_400_with_the_spec_body(sandbox, path, params, reason, mentions):
    assert_error(call(sandbox, path, params), 400, reason, mentions)


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET.upper(), SECRET + " "])
def test_missing_or_wrong_secret_is_401(sandbox, secret):
    for path in (SESSIONS, INFO, ATTRIBUTES, "/no/such/path"):
        resp = call(sandbox, path, GOOD, secret=secret)
        body = assert_error(resp, 401, "Invalid or missing x-portal-secret")
        assert SECRET not in resp.text and body["errors"][0]["code"] == "unauthorized"


def test_not_found_paths_customers_and_attributes(sandbox):
    assert_error(call(sandbox, "/api/v1/bff/nothing"), 404, "Not Found")
    assert_error(call(sandbox, SESSIONS + "/"), 404)
    assert_error(call(sandbox, SESSIONS, GOOD, customer="xyz"), 404, "Unknown customer 'xyz'")
    assert_error(call(sandbox, ATTRIBUTES, customer="xyz"), 404, "Unknown customer 'xyz'")
    assert_error(call(sandbox, ATTRIBUTE + "123e4567-e89b-42d3-a456-426614174000"), 404)
    assert_error(call(sandbox, ATTRIBUTE + "not-a-uuid"), 400, "Invalid attribute id")
    other = call(sandbox, ATTRIBUTES, customer="bistro-ca-va").json()["attributes"][0]["id"]
    assert call(sandbox, ATTRIBUTE + other, customer="bistro-ca-va").status_code == 200
    assert_error(call(sandbox, ATTRIBUTE + other), 404)  # no header = acme-dental
    assert_error(call(sandbox, SESSIONS, GOOD, method="POST"), 405)


# -- attributes -------------------------------------------------------------------------------


def test_attributes_per_customer(sandbox):
    for cid, customer in CUSTOMERS.items():
        payload = call(sandbox, ATTRIBUTES, customer=cid).json()
        attrs = {a["idn"]: a for a in payload["attributes"]}
        assert 12 <= len(attrs) <= 16
        assert payload["groups"] == sorted({a["group"] for a in attrs.values()})
        assert {"business", "schedule", "agent", "integrations"} <= set(payload["groups"])
        assert attrs["business_name"]["value"] == customer["name"]
        assert attrs["time_zone"]["value"] == customer["timezone"]
        assert attrs["time_zone"]["value"] in attrs["time_zone"]["possible_values"]
        assert attrs["api_webhook_secret_ref"]["is_hidden"] is True
        json.loads(attrs["price_list"]["value"])
        for a in attrs.values():
            assert str(uuid.UUID(a["id"])) == a["id"]
            assert isinstance(a["value"], str)
            assert a["value_type"] in {"string", "number", "boolean", "json", "enum"}
            assert a["value_type"] != "enum" or a["value"] in a["possible_values"]
    default = call(sandbox, ATTRIBUTES).json()
    assert default == call(sandbox, ATTRIBUTES, customer="acme-dental").json()
    assert (
        call(sandbox, ATTRIBUTES, customer="autohaus-mueller").json()["attributes"][0]["value"]
        != default["attributes"][0]["value"]
    )


def test_attribute_query_matches_idn_title_or_group(sandbox):
    def idns(q):
        return {a["idn"] for a in call(sandbox, ATTRIBUTES, {"query": q}).json()["attributes"]}

    assert idns("SCHEDULE") == {"working_hours", "time_zone", "booking_enabled", "holiday_closures"}
    assert idns("voice") == {"agent_voice"}  # idn
    assert idns("Webhook secret") == {"api_webhook_secret_ref"}  # title
    payload = call(sandbox, ATTRIBUTES, {"query": "zzz-nothing"}).json()
    assert payload == {"groups": [], "attributes": []}


def test_put_replaces_and_omitted_fields_are_wiped(fresh_sandbox):
    sb = fresh_sandbox
    attrs = {a["idn"]: a for a in call(sb, ATTRIBUTES).json()["attributes"]}
    greeting = attrs["greeting"]
    resp = call(sb, ATTRIBUTE + greeting["id"], method="PUT", json={"value": "Grüezi! 👋"})
    assert resp.status_code == 200
    wiped = {
        **greeting,
        "value": "Grüezi! 👋",
        "title": "",
        "description": "",
        "group": "",
        "is_hidden": False,
        "possible_values": [],
        "value_type": "string",
    }
    assert resp.json() == wiped
    assert call(sb, ATTRIBUTE + greeting["id"]).json() == wiped

    voice = attrs["agent_voice"]
    full = {
        k: voice[k]
        for k in ("title", "description", "group", "is_hidden", "possible_values", "value_type")
    }
    resp = call(sb, ATTRIBUTE + voice["id"], method="PUT", json={**full, "value": "sage"})
    assert resp.json() == {**voice, "value": "sage"}
    with sb.connect() as db:
        assert db.execute(
            "SELECT value FROM attributes WHERE id = ?", (voice["id"],)
        ).fetchone() == ("sage",)


def test_put_validation(fresh_sandbox):
    sb = fresh_sandbox
    attrs = {a["idn"]: a for a in call(sb, ATTRIBUTES).json()["attributes"]}
    target = attrs["agent_voice"]
    url = ATTRIBUTE + target["id"]
    cases = [
        ({"title": "no value"}, "'value'"),
        ({"value": 5}, "'value'"),
        ({"value": "x", "title": 3}, "'title'"),
        ({"value": "x", "is_hidden": "yes"}, "'is_hidden'"),
        ({"value": "x", "possible_values": [1]}, "'possible_values'"),
        ({"value": "x", "possible_values": "a,b"}, "'possible_values'"),
        ({"value": "x", "value_type": "date"}, "'value_type'"),
        ({"value": "abc", "value_type": "number"}, "'value'"),
        ({"value": "nan", "value_type": "number"}, "'value'"),
        ({"value": "yes", "value_type": "boolean"}, "'value'"),
        ({"value": "{", "value_type": "json"}, "'value'"),
        ({"value": "c", "value_type": "enum", "possible_values": ["a", "b"]}, "'value'"),
        ({"value": "a", "value_type": "enum"}, "'value'"),
        (["value", "x"], "JSON object"),
    ]
    for body, mentions in cases:
        assert_error(call(sb, url, method="PUT", json=body), 422, "Invalid attribute", mentions)
    for raw in (b"value=x", b"", b"\xff\xfe"):
        assert_error(call(sb, url, method="PUT", data=raw), 400, "Invalid JSON body")
    assert call(sb, url).json() == target  # nothing was changed by the failures
    for body in (
        {"value": "1.5e3", "value_type": "number"},
        {"value": "false", "value_type": "boolean"},
        {"value": '{"a": [1]}', "value_type": "json"},
        {"value": "b", "value_type": "enum", "possible_values": ["a", "b"]},
    ):
        assert call(sb, url, method="PUT", json=body).status_code == 200, body
    other = call(sb, ATTRIBUTES, customer="bistro-ca-va").json()["attributes"][0]["id"]
    assert_error(call(sb, ATTRIBUTE + other, method="PUT", json={"value": "x"}), 404)


# -- HTTP methods, crashes found by schemathesis, the spec's open points -----------------------

GET_RESOURCES = [
    (SESSIONS, GOOD),
    (INFO, {"from_datetime": START, "to_datetime": END}),
    (ATTRIBUTES, None),
]


def test_head_answers_like_get_without_a_body(sandbox):
    attribute = call(sandbox, ATTRIBUTES).json()["attributes"][0]["id"]
    for path, params in [*GET_RESOURCES, (ATTRIBUTE + attribute, None)]:
        got = call(sandbox, path, params)
        head = call(sandbox, path, params, method="HEAD")
        assert got.status_code == head.status_code == 200
        assert head.content == b""
        assert head.headers["Content-Length"] == str(len(got.content))
        assert head.headers["Content-Type"] == got.headers["Content-Type"]
    assert call(sandbox, "/api/v1/bff/nothing", method="HEAD").status_code == 404
    assert call(sandbox, SESSIONS, GOOD, method="HEAD", secret=None).status_code == 401


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "POST", "DELETE", "PATCH", "PUT", "FOO"])
def test_other_methods_are_405_with_allow_after_authentication(sandbox, method):
    # http.server used to answer 501 Not Implemented, before authentication
    attribute = call(sandbox, ATTRIBUTES).json()["attributes"][0]["id"]
    resources = [(p, q, "GET, HEAD") for p, q in GET_RESOURCES]
    if method != "PUT":
        resources.append((ATTRIBUTE + attribute, None, "GET, HEAD, PUT"))
    for path, params, allowed in resources:
        resp = call(sandbox, path, params, method=method, data=b'{"value": "x"}')
        body = assert_error(resp, 405, "Method Not Allowed")
        assert (
            resp.headers["Allow"] == allowed and body["errors"][0]["code"] == "method_not_allowed"
        )
        assert_error(call(sandbox, path, params, method=method, secret="wrong"), 401)
    assert_error(call(sandbox, "/api/v1/bff/nothing", method=method), 404)


def test_an_unknown_method_with_a_body_keeps_the_connection_usable(sandbox):
    with requests.Session() as session:
        headers = {"x-portal-secret": SECRET}
        resp = session.request("BREW", sandbox.url + SESSIONS, data=b"x" * 1000, headers=headers)
        assert resp.status_code == 405
        assert session.get(sandbox.url + SESSIONS, params=GOOD, headers=headers).ok


def test_a_page_whose_offset_passes_int64_is_empty_not_a_crash(sandbox):
    # (page - 1) * per used to overflow SQLite's OFFSET: OverflowError, 500
    total = call(sandbox, SESSIONS, GOOD).json()["metadata"]["total"]
    for page, per in (
        ("922337203685477582", "10"),
        ("9223372036854775807", "9223372036854775807"),
        (str(-(-total // 10) + 1), "10"),  # the first page past the end
        ("0" * 5000 + str(-(-total // 10) + 1), "10"),  # int() refuses over 4300 digits
    ):
        resp = call(sandbox, SESSIONS, {"page": page, "per": per})
        assert resp.status_code == 200, resp.text
        assert resp.json()["items"] == [] and resp.json()["metadata"]["total"] == total
        assert resp.json()["metadata"]["page"] == int(page.lstrip("0"))


def test_per_over_100_is_capped_and_metadata_says_so(sandbox):
    first = call(sandbox, SESSIONS, {"page": 1, "per": 100}).json()
    for per in ("101", "1000", "9223372036854775807"):
        body = call(sandbox, SESSIONS, {"page": 1, "per": per}).json()
        assert body["metadata"]["per"] == 100 and body["items"] == first["items"]
    # pages are counted by the size served: page 2 starts with item 101
    second = call(sandbox, SESSIONS, {"page": 2, "per": 1000}).json()
    assert second["items"] == call(sandbox, SESSIONS, {"page": 2, "per": 100}).json()["items"]
    assert second["items"][0]["id"] not in {i["id"] for i in first["items"]}


def put_raw(sb, attribute_id, raw: bytes):
    headers = {"Content-Type": "application/json"}
    return call(sb, ATTRIBUTE + attribute_id, method="PUT", data=raw, headers=headers)


@pytest.mark.parametrize(
    ("raw", "mentions"),
    [
        # a lone surrogate: valid JSON syntax, but SQLite cannot store it (UnicodeEncodeError)
        (b'{"value": "\\ud800"}', "lone surrogates"),
        (b'{"value": "x", "title": "a\\udfffb"}', "lone surrogates"),
        (b'{"\\ud800": "x", "value": "x"}', "lone surrogates"),
        # nested 100,000 levels deep: RecursionError in the JSON parser
        (b'{"value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_put_bodies_that_crashed_the_sandbox_are_400(fresh_sandbox, raw, mentions):
    sb = fresh_sandbox
    target = call(sb, ATTRIBUTES).json()["attributes"][0]
    resp = put_raw(sb, target["id"], raw)
    assert_error(resp, 400, "Invalid JSON body", mentions)
    assert call(sb, ATTRIBUTE + target["id"]).json() == target
    # a surrogate *pair* is a real character and is stored as such
    resp = put_raw(sb, target["id"], b'{"value": "\\ud83d\\udc4b"}')
    assert resp.status_code == 200 and resp.json()["value"] == "\N{WAVING HAND SIGN}"


def test_put_body_must_be_sent_as_json(fresh_sandbox):
    sb = fresh_sandbox
    target = call(sb, ATTRIBUTES).json()["attributes"][0]
    url = ATTRIBUTE + target["id"]
    body = json.dumps({"value": "x"}).encode()
    for kind in ("text/plain", "multipart/form-data; boundary=x", "application/xml"):
        resp = call(sb, url, method="PUT", data=body, headers={"Content-Type": kind})
        assert_error(resp, 415, "Unsupported Media Type")
    for kind in ("application/json; charset=utf-8", "application/merge-patch+json"):
        resp = call(sb, url, method="PUT", data=body, headers={"Content-Type": kind})
        assert resp.status_code == 200, kind
    assert call(sb, url, method="PUT", data=body).status_code == 200  # none named: taken as JSON


def test_the_specs_own_examples_work(fresh_sandbox):
    sb = fresh_sandbox
    listing = call(
        sb,
        SESSIONS,
        [("page", 1), ("per", 20), ("connectors", "sandbox"), ("connectors", "some_connector")],
    )
    assert listing.status_code == 200 and listing.json()["metadata"]["per"] == 20
    info = call(
        sb,
        INFO + "?from_datetime=2024-01-01T00:00:00Z&to_datetime=2024-01-31T23:59:59Z",
        customer="acme-dental",
    )
    assert info.status_code == 200 and info.json()["summary"]["sessions"]["total"] == 0
    target = call(sb, ATTRIBUTES).json()["attributes"][0]
    example = {
        "value": "value",
        "title": "Title",
        "description": "description",
        "group": "group",
        "is_hidden": False,
        "possible_values": [],
        "value_type": "string",
    }
    resp = call(sb, ATTRIBUTE + target["id"], method="PUT", json=example)
    assert resp.status_code == 200 and resp.json() == {**target, **example}


def test_rfc3339_date_times_of_any_year_are_accepted(sandbox):
    everything = call(sandbox, SESSIONS, GOOD).json()["metadata"]["total"]
    for start, end in (
        ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
        ("0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999-23:59"),  # past datetime.max
        ("0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59Z"),  # before datetime.min
        ("1969-12-31T23:59:59Z", "2100-01-01t00:00:00z"),
    ):
        params = {"from_datetime": start, "to_datetime": end}
        resp = call(sandbox, SESSIONS, {**GOOD, **params})
        assert resp.status_code == 200, (start, end, resp.text)
        assert resp.json()["metadata"]["total"] == everything
        info = call(sandbox, INFO, params).json()
        assert info["sessions_by_leads"]["total_sessions"] == everything
    # the order is checked on the exact instants, even where both lie outside years 1-9999
    late = {"from_datetime": "9999-12-31T23:59:59-23:00", "to_datetime": "9999-12-31T23:59:59Z"}
    assert_error(call(sandbox, INFO, late), 400, "Invalid datetime range")
    for bad in ("2026-02-29T00:00:00Z", "2026-09-01T24:00:00Z", "2026-09-01T00:00:60Z"):
        assert_error(
            call(sandbox, INFO, {"from_datetime": bad, "to_datetime": END}),
            400,
            "Invalid datetime format",
        )


def test_default_mode_also_takes_offsets_naive_and_date_only(sandbox):
    z = call(sandbox, INFO, {"from_datetime": START, "to_datetime": END}).json()
    for start, end in (
        (START.replace("Z", "+00:00"), END.replace("Z", "-00:00")),
        (START[:10], END.removesuffix("Z")),  # a date (midnight UTC), a naive time (UTC)
        (START.replace("T", " "), END.replace("T", " ")),
    ):
        assert call(sandbox, INFO, {"from_datetime": start, "to_datetime": end}).json() == z


def test_percent_encoded_attribute_id_is_decoded(sandbox):
    import http.client  # requests would normalise the escapes away

    attr = call(sandbox, ATTRIBUTES).json()["attributes"][0]
    encoded = "".join(f"%{ord(c):02X}" for c in attr["id"])
    conn = http.client.HTTPConnection(sandbox.url.removeprefix("http://"), timeout=10)
    try:
        conn.request("GET", ATTRIBUTE + encoded, headers={"x-portal-secret": SECRET})
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read()) == attr
    finally:
        conn.close()


# -- paging cap -------------------------------------------------------------------------------


def test_page_cap_serves_fewer_items_and_says_so():
    with Sandbox(
        seed=SEED, end_month=END_MONTH, months=1, scale=0.05, secret=SECRET, page_cap=7
    ) as sb:
        body = call(sb, SESSIONS, {"page": 1, "per": 50}).json()
        assert len(body["items"]) == 7 and body["metadata"]["per"] == 7
        assert call(sb, SESSIONS, {"page": 1, "per": 5}).json()["metadata"]["per"] == 5
        items, total = all_pages(sb, {}, per=50)
        assert len({i["id"] for i in items}) == total == len(items) > 50


# -- faults -----------------------------------------------------------------------------------


def test_status_faults_count_and_path_prefix(fresh_sandbox):
    sb = fresh_sandbox
    sb.faults.add("429", count=2, path=SESSIONS, retry_after=3)
    for _ in range(2):
        resp = call(sb, SESSIONS, GOOD)
        assert_error(resp, 429, "Rate limit exceeded")
        assert resp.headers["Retry-After"] == "3"
    assert call(sb, SESSIONS, GOOD).status_code == 200
    for kind in ("500", "502", "503", "504"):
        sb.faults.add(kind, path=INFO)
        assert call(sb, ATTRIBUTES).status_code == 200  # other paths are untouched
        assert_error(call(sb, INFO, {"from_datetime": START, "to_datetime": END}), int(kind))
    assert sb.faults.served == 6 and sb.faults.pending == []
    sb.faults.add("500", count=5)
    assert sb.faults.clear() == 1
    assert call(sb, SESSIONS, GOOD).status_code == 200
    with pytest.raises(ValueError, match="kind"):
        sb.faults.add("418")


def test_drop_truncate_slow_and_garbage(fresh_sandbox):
    sb = fresh_sandbox
    sb.faults.add("drop")
    with pytest.raises(requests.ConnectionError):
        call(sb, SESSIONS, GOOD)
    sb.faults.add("truncate")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        call(sb, SESSIONS, GOOD)
    sb.faults.add("slow", delay=0.4)
    started = time.monotonic()
    assert call(sb, SESSIONS, GOOD).status_code == 200
    assert time.monotonic() - started >= 0.4
    sb.faults.add("garbage")
    resp = call(sb, SESSIONS, GOOD)
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        resp.json()
    assert sb.faults.served == 4
    assert call(sb, SESSIONS, GOOD).json()["metadata"]["total"] > 0


def raw_get(sb, path):
    """One GET on a raw socket; return everything the server sent until it closed."""
    host, port = sb.url.removeprefix("http://").split(":")
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nx-portal-secret: {SECRET}\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_faults_on_a_raw_socket(fresh_sandbox):
    sb = fresh_sandbox
    path = SESSIONS + "?page=1&per=5"
    sb.faults.add("drop")
    assert raw_get(sb, path) == b""
    sb.faults.add("truncate")
    data = raw_get(sb, path)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    assert head.startswith(b"HTTP/1.1 200") and 0 < len(body) < length


def test_keep_alive_serves_several_requests_on_one_connection(fresh_sandbox):
    host, port = fresh_sandbox.url.removeprefix("http://").split(":")
    request = (
        f"GET {SESSIONS}?page=1&per=2 HTTP/1.1\r\nHost: x\r\nx-portal-secret: {SECRET}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        stream = sock.makefile("rb")
        for _ in range(3):
            sock.sendall(request.encode())
            assert stream.readline().startswith(b"HTTP/1.1 200")
            length = None
            while (line := stream.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert len(json.loads(stream.read(length))["items"]) == 2


def test_insert_shifts_items_between_pages(fresh_sandbox):
    sb = fresh_sandbox
    params = {"from_datetime": START, "to_datetime": END, "per": 10}
    first = call(sb, SESSIONS, {**params, "page": 1}, "acme-dental").json()
    info_before = call(sb, INFO, {"from_datetime": START, "to_datetime": END}, "acme-dental").json()
    sb.faults.add("insert", count=3, path=SESSIONS)
    second = call(sb, SESSIONS, {**params, "page": 2}, "acme-dental").json()
    assert second["metadata"]["total"] == first["metadata"]["total"] + 3
    assert [i["id"] for i in second["items"][:3]] == [i["id"] for i in first["items"][-3:]]
    fresh = call(sb, SESSIONS, {**params, "page": 1}, "acme-dental").json()["items"][:3]
    assert all(i["created_at"] == END and i["ended_at"] for i in fresh)
    info = call(sb, INFO, {"from_datetime": START, "to_datetime": END}, "acme-dental").json()
    assert info["summary"]["sessions"]["total"] == info_before["summary"]["sessions"]["total"] + 3
    leads = sum(i["arguments"].get("is_lead") == "true" for i in fresh)
    assert info["summary"]["leads"]["total"] == info_before["summary"]["leads"]["total"] + leads
    with sb.connect() as db:
        flags = db.execute(
            "SELECT DISTINCT is_working_hours FROM sessions WHERE created_at = ? AND customer_id "
            "= 'acme-dental'",
            (END,),
        ).fetchall()
    assert flags == [(int(in_working_hours(END, CUSTOMERS["acme-dental"])),)]
    sb.faults.add("insert", count=2, path=SESSIONS)
    active = call(
        sb,
        SESSIONS,
        {"page": 1, "per": 5, "is_active": "true", "connectors": "telegram/*"},
        "bistro-ca-va",
    ).json()["items"]
    assert [(i["integration_idn"], i["ended_at"]) for i in active[:2]] == [("telegram", None)] * 2


def test_fault_control_endpoint(fresh_sandbox):
    sb = fresh_sandbox
    spec = {"kind": "503", "count": 2, "path": "/api/v1/bff/customer", "retry_after": 0}
    resp = call(sb, "/_sandbox/faults", method="POST", json=spec)
    assert resp.status_code == 201 and resp.json()["pending"][0]["kind"] == "503"
    assert_error(call(sb, ATTRIBUTES), 503)
    assert call(sb, SESSIONS, GOOD).status_code == 200
    assert call(sb, "/_sandbox/faults").json() == {
        "pending": [{**spec, "count": 1, "delay": 2.0}],
        "served": 1,
    }
    assert call(sb, "/_sandbox/faults", method="DELETE").json() == {"cleared": 1, "served": 1}
    assert call(sb, ATTRIBUTES).status_code == 200
    assert_error(call(sb, "/_sandbox/faults", method="POST", json=spec, secret="x"), 401)
    assert_error(
        call(sb, "/_sandbox/faults", method="POST", json={"kind": "teapot"}),
        422,
        "Invalid fault",
        "kind",
    )
    assert_error(call(sb, "/_sandbox/faults", method="POST", json={"kind": "500", "x": 1}), 422)
    assert sb.faults.pending == []
    assert set(FAULT_KINDS) == {
        "429",
        "500",
        "502",
        "503",
        "504",
        "drop",
        "truncate",
        "slow",
        "garbage",
        "insert",
    }


# -- secret hygiene, request log, lifecycle, CLI ----------------------------------------------


def test_secret_is_redacted_from_request_log_repr_and_log():
    lines = io.StringIO()
    with Sandbox(
        seed=SEED, end_month=END_MONTH, months=1, scale=0.05, secret=SECRET, log=lines
    ) as sb:
        call(sb, SESSIONS, {**GOOD, "leak": SECRET}, customer="acme-dental")
        call(sb, SESSIONS, GOOD, secret="wrong-" + SECRET)
        method, path, headers = sb.requests[0]
        assert (method, headers["x-portal-secret"]) == ("GET", "[redacted]")
        assert headers["X-Portal-External-Customer-Id"] == "acme-dental"
        assert path.startswith(SESSIONS + "?") and "[redacted]" in path
        text = repr(sb) + repr(sb.requests) + lines.getvalue()
    assert SECRET not in text
    assert "GET /api/v1/bff/sessions?" in lines.getvalue() and " 200 " in lines.getvalue()


def test_sandbox_lifecycle_and_db_reuse(tmp_path):
    db = tmp_path / "portal.db"
    kw = dict(seed=SEED, end_month=END_MONTH, months=1, scale=0.05, secret=SECRET, db=db)
    with Sandbox(**kw) as sb:
        attr = call(sb, ATTRIBUTES, {"query": "greeting"}).json()["attributes"][0]
        resp = call(sb, ATTRIBUTE + attr["id"], method="PUT", json={**attr, "value": "kept"})
        assert resp.status_code == 200
        url = sb.url
    assert db.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + SESSIONS, timeout=2)
    with Sandbox(**kw) as sb:  # same parameters: the edited database is reused
        assert call(sb, ATTRIBUTE + attr["id"]).json()["value"] == "kept"
    with Sandbox(**{**kw, "seed": SEED + 1}) as sb:  # other parameters: regenerated
        assert call(sb, ATTRIBUTES).json()["attributes"][0]["id"] != attr["id"]
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE precious(x)").connection.close()
    with pytest.raises(ConfigError, match="not a sandbox database"):
        Sandbox(**{**kw, "db": other}).start()
    with pytest.raises(ConfigError):
        Sandbox(end_month="2026-13")
    with pytest.raises(ConfigError):
        Sandbox(scale=0)


def test_default_sandbox_is_one_per_process(monkeypatch):
    results = []
    threads = [threading.Thread(target=lambda: results.append(default_sandbox())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(r) for r in results}) == 1
    sb = results[0]
    assert sb.secret == DEFAULT_SECRET and sb.url.startswith("http://127.0.0.1:")
    assert call(sb, SESSIONS, GOOD, secret=DEFAULT_SECRET).status_code == 200
    monkeypatch.setenv("PORTAL_SANDBOX_SEED", "11")
    monkeypatch.setenv("PORTAL_SANDBOX_END_MONTH", "2025-03")
    assert sandbox_settings_from_env() == {"seed": 11, "end_month": "2025-03"}
    monkeypatch.setenv("PORTAL_SANDBOX_SEED", "eleven")
    with pytest.raises(ConfigError, match="PORTAL_SANDBOX_SEED"):
        sandbox_settings_from_env()


def cli_path() -> str:
    return str(Path(sys.executable).with_name("portal-reports"))


def test_cli_sandbox_serves_until_interrupted():
    env = {**os.environ, "PORTAL_SANDBOX_END_MONTH": END_MONTH}
    proc = popen_interruptible(
        [
            cli_path(),
            "sandbox",
            "--port",
            "0",
            "--months",
            "1",
            "--scale",
            "0.05",
            "--secret",
            SECRET,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)
        resp = requests.get(
            url + INFO,
            headers={"x-portal-secret": SECRET},
            timeout=5,
            params={
                "from_datetime": f"{END_MONTH}-01T00:00:00Z",
                "to_datetime": f"{END_MONTH}-31T23:59:59Z",
            },
        )
        assert resp.json()["summary"]["sessions"]["total"] > 100
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    text = first + out + err
    assert "Sandbox stopped." in out and SECRET not in text and "Traceback" not in text


def test_cli_sandbox_help_and_busy_port(fresh_sandbox):
    from click.testing import CliRunner

    from portal_reports.cli import cli

    result = CliRunner().invoke(cli, ["sandbox", "--help"])
    assert result.exit_code == 0 and "--end-month" in result.output and "--scale" in result.output
    port = fresh_sandbox.url.rsplit(":", 1)[1]
    proc = subprocess.run(
        [
            cli_path(),
            "sandbox",
            "--port",
            port,
            "--months",
            "1",
            "--scale",
            "0.05",
            "--end-month",
            END_MONTH,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("Error: cannot listen on"), proc.stderr
