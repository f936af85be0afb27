"""The strict sandbox (``Sandbox(strict=True)``, ``portal-reports sandbox --strict``).

It reads the spec the least forgiving way a real Portal might, so that a client proven
against it sends nothing such a Portal could refuse: date-times only as
``YYYY-MM-DDTHH:MM:SSZ``, ``connectors`` only as plain identifiers in repeated keys,
booleans only ``true``/``false``, each parameter once, unknown parameters refused, a PUT
body only as ``application/json``, and pages silently smaller than ``per``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from conftest import END_MONTH, MONTH, SECRET, SEED, popen_interruptible

from portal_reports.dates import month_range
from portal_reports.sandbox import Sandbox

SESSIONS = "/api/v1/bff/sessions"
INFO = "/api/v1/bff/sessions/info"
ATTRIBUTES = "/api/v1/bff/customer/attributes"
ATTRIBUTE = "/api/v1/customer/attributes/"
START, END = (f"{d:%Y-%m-%dT%H:%M:%SZ}" for d in month_range(MONTH))
RANGE = {"from_datetime": START, "to_datetime": END}
GOOD = {"page": "1", "per": "10"}


@pytest.fixture(scope="module")
def strict():
    with Sandbox(seed=SEED, end_month=END_MONTH, months=2, secret=SECRET, strict=True) as sb:
        yield sb


def call(sb, path, params=None, method="GET", headers=None, **kw):
    headers = {"x-portal-secret": SECRET, **(headers or {})}
    return requests.request(method, sb.url + path, params=params, headers=headers, timeout=10, **kw)


def refused(resp, reason, mentions):
    """A 400 with the spec's error body, naming what was wrong."""
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert set(body) == {"code", "type", "reason", "errors"} and body["code"] == 400
    assert body["reason"] == reason, body
    assert any(mentions in e["message"] for e in body["errors"]), body


def test_strict_defaults(strict):
    assert strict.strict and strict.page_cap == 60 and "strict" in repr(strict)
    with Sandbox(months=1, scale=0.05, strict=True, page_cap=7) as sb:
        assert sb.page_cap == 7
    assert Sandbox(months=1).strict is False and Sandbox(months=1).page_cap == 100


@pytest.mark.parametrize(
    "value",
    [
        "2026-09-01T00:00:00+00:00",  # an offset, even a zero one
        "2026-09-01T02:00:00+02:00",
        "2026-09-01T00:00:00",  # naive
        "2026-09-01",  # a date
        "2026-09-01T00:00:00z",
        "2026-09-01t00:00:00Z",
        "2026-09-01 00:00:00Z",
        "2026-09-01T00:00:00.000Z",  # a fraction
        "2026-09-01T00:00Z",  # no seconds
        " 2026-09-01T00:00:00Z",
    ],
)
def test_only_utc_date_times_with_z_are_accepted(strict, value):
    for path, params in (
        (INFO, {**RANGE, "from_datetime": value}),
        (SESSIONS, {**GOOD, "to_datetime": value}),
    ):
        resp = call(strict, path, params)
        name = "from_datetime" if path == INFO else "to_datetime"
        refused(resp, "Invalid datetime format", f"'{name}' parameter must be a valid UTC")


def test_z_date_times_of_any_year_are_accepted(strict):
    assert call(strict, INFO, RANGE).status_code == 200
    wide = {"from_datetime": "0001-01-01T00:00:00Z", "to_datetime": "9999-12-31T23:59:59Z"}
    assert call(strict, SESSIONS, {**GOOD, **wide}).status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "unknown"),
    [
        (SESSIONS, {**GOOD, "foo": "1"}, "'foo'"),
        (SESSIONS, {**GOOD, "connectors[]": "main_line"}, "'connectors[]'"),
        (SESSIONS, {**GOOD, "customer": "acme-dental"}, "'customer'"),
        (INFO, {**RANGE, "page": "1"}, "'page'"),
        (ATTRIBUTES, {"q": "voice"}, "'q'"),
    ],
)
def test_unknown_parameters_are_refused(strict, path, params, unknown):
    refused(call(strict, path, params), "Unknown parameter", unknown)


def test_unknown_parameters_are_refused_on_one_attribute(strict):
    attribute = call(strict, ATTRIBUTES).json()["attributes"][0]["id"]
    refused(call(strict, ATTRIBUTE + attribute, {"expand": "1"}), "Unknown parameter", "'expand'")
    assert call(strict, ATTRIBUTE + attribute).status_code == 200


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ([("page", "1"), ("page", "2"), ("per", "10")], "'page' parameter must be given once"),
        ([*GOOD.items(), ("is_active", "true"), ("is_active", "true")], "given once"),
        ({**GOOD, "is_active": "1"}, "'is_active'"),
        ({**GOOD, "is_active": "True"}, "'is_active'"),
        ({**GOOD, "per": "+10"}, "'per'"),
        ({**GOOD, "per": " 10"}, "'per'"),
        ({**GOOD, "connectors": "newo_voice/main_line"}, "connector identifier"),
        ({**GOOD, "connectors": "twilio_voice/*"}, "connector identifier"),
        ({**GOOD, "connectors": " main_line"}, "connector identifier"),
    ],
)
def test_what_the_default_mode_forgives_is_refused(strict, params, mentions):
    refused(call(strict, SESSIONS, params), "Invalid parameter", mentions)


def test_the_specs_own_examples_work(strict):
    spec_info = "?from_datetime=2024-01-01T00:00:00Z&to_datetime=2024-01-31T23:59:59Z"
    assert call(strict, INFO + spec_info).status_code == 200
    example = [
        ("page", "1"),
        ("per", "20"),
        ("connectors", "sandbox"),
        ("connectors", "some_connector"),
    ]
    assert call(strict, SESSIONS, example).json()["items"] == []
    with strict.connect() as db:
        (expected,) = db.execute(
            "SELECT count(*) FROM sessions WHERE connector_idn IN ('main_line', 'test')"
        ).fetchone()
    plain = [*GOOD.items(), ("connectors", "main_line"), ("connectors", "test")]
    assert call(strict, SESSIONS, plain).json()["metadata"]["total"] == expected > 0


def test_pages_are_silently_smaller_than_per_and_counted_by_the_per_asked(strict):
    with strict.connect() as db:
        ids = [
            r[0]
            for r in db.execute(
                "SELECT id FROM sessions WHERE created_at BETWEEN ? AND ? "
                "ORDER BY created_at DESC, id DESC",
                (START, END),
            )
        ]
    assert len(ids) > 300
    first = call(strict, SESSIONS, {**RANGE, "page": 1, "per": 100}).json()
    assert [i["id"] for i in first["items"]] == ids[:60]  # 60 served ...
    assert first["metadata"] == {"page": 1, "per": 100, "total": len(ids)}  # ... 100 said
    second = call(strict, SESSIONS, {**RANGE, "page": 2, "per": 100}).json()
    assert [i["id"] for i in second["items"]] == ids[100:160]  # items 61-100 skipped
    huge = call(strict, SESSIONS, {**RANGE, "page": 1, "per": 10**6}).json()
    assert len(huge["items"]) == 60 and huge["metadata"]["per"] == 10**6

    def walk(per):  # a client trusting metadata.per and the per it asked for
        seen, page = [], 1
        while True:
            body = call(strict, SESSIONS, {**RANGE, "page": page, "per": per}).json()
            seen += [i["id"] for i in body["items"]]
            if page * body["metadata"]["per"] >= body["metadata"]["total"]:
                return seen
            page += 1

    assert len(walk(100)) < len(ids)  # the naive client loses sessions without noticing
    assert walk(60) == ids  # asking for what is served gets them all


def test_put_needs_a_json_content_type(strict):
    attributes = call(strict, ATTRIBUTES).json()["attributes"]
    target = next(a for a in attributes if a["value_type"] == "string")
    body = b'{"value": "x"}'
    resp = call(strict, ATTRIBUTE + target["id"], method="PUT", data=body)
    assert resp.status_code == 415 and resp.json()["reason"] == "Unsupported Media Type"
    assert call(strict, ATTRIBUTE + target["id"]).json() == target
    resp = call(strict, ATTRIBUTE + target["id"], method="PUT", json={**target, "value": "x"})
    assert resp.status_code == 200 and resp.json() == {**target, "value": "x"}


def test_cli_sandbox_strict():
    cli = str(Path(sys.executable).with_name("portal-reports"))
    env = {**os.environ, "PORTAL_SANDBOX_END_MONTH": END_MONTH}
    command = [cli, "sandbox", "--strict", "--port", "0", "--months", "1", "--scale", "0.05"]
    proc = popen_interruptible(
        [*command, "--secret", SECRET],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = proc.stdout.readline()
        assert first.endswith("(strict)\n"), first
        url = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)
        headers = {"x-portal-secret": SECRET}
        offset = {"from_datetime": f"{END_MONTH}-01T00:00:00+00:00", "to_datetime": END}
        resp = requests.get(url + INFO, params=offset, headers=headers, timeout=5)
        assert resp.status_code == 400
        page = requests.get(
            url + SESSIONS, params={"page": 1, "per": 100}, headers=headers, timeout=5
        )
        assert len(page.json()["items"]) == 60 and page.json()["metadata"]["per"] == 100
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "Sandbox stopped." in out and SECRET not in first + out + err
