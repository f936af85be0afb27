"""The sandbox at scale: N deterministic demo customers, the named ones unchanged."""

from __future__ import annotations

import collections

import pytest
import requests
from conftest import END_MONTH, SECRET

from portal_reports.errors import ConfigError
from portal_reports.sandbox import Sandbox, sandbox_settings_from_env
from portal_reports.sandbox.model import DEMO_CUSTOMERS, demo_customers

INFO = "/api/v1/bff/sessions/info"
RANGE = {"from_datetime": "2026-09-01T00:00:00Z", "to_datetime": "2026-09-30T23:59:59Z"}


def totals(sb: Sandbox, customer: str) -> int:
    answer = requests.get(
        sb.url + INFO,
        params=RANGE,
        headers={"x-portal-secret": SECRET, "x-portal-external-customer-id": customer},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["sessions_by_leads"]["total_sessions"]


def test_generated_customers_are_deterministic_and_spread():
    many = demo_customers(60, seed=7)
    assert [c["external_id"] for c in many[: len(DEMO_CUSTOMERS)]] == [
        c["external_id"] for c in DEMO_CUSTOMERS
    ]
    assert many == demo_customers(60, seed=7) and many != demo_customers(60, seed=8)
    generated = many[len(DEMO_CUSTOMERS) :]
    assert len({c["external_id"] for c in generated}) == len(generated)
    zones = collections.Counter(c["timezone"] for c in generated)
    assert len(zones) >= 6 and "Asia/Kolkata" in zones
    volumes = sorted(c["volume"] for c in generated)
    assert volumes[0] < 400 and volumes[-1] > 1500  # small shops and busy ones
    assert len({(c["work_start"], c["work_end"]) for c in generated}) >= 4
    assert demo_customers(3) == [dict(c) for c in DEMO_CUSTOMERS[:3]]


def test_a_sandbox_with_more_customers_keeps_the_named_ones_identical():
    with Sandbox(seed=7, end_month=END_MONTH, months=2, secret=SECRET) as small:
        named = {c["external_id"]: totals(small, c["external_id"]) for c in small.customers}
    with Sandbox(seed=7, end_month=END_MONTH, months=2, secret=SECRET, customers=10) as big:
        assert len(big.customers) == 10
        for customer, count in named.items():
            assert totals(big, customer) == count
        assert totals(big, "demo-004") > 0
        attrs = requests.get(
            big.url + "/api/v1/bff/customer/attributes",
            headers={"x-portal-secret": SECRET, "x-portal-external-customer-id": "demo-004"},
            timeout=30,
        ).json()["attributes"]
        by_idn = {a["idn"]: a["value"] for a in attrs}
        assert by_idn["business_name"] == big.customers[-1]["name"]
        assert by_idn["time_zone"] == big.customers[-1]["timezone"]


def test_customers_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORTAL_SANDBOX_CUSTOMERS", "24")
    assert sandbox_settings_from_env()["customers"] == 24
    monkeypatch.setenv("PORTAL_SANDBOX_CUSTOMERS", "lots")
    with pytest.raises(ConfigError, match="PORTAL_SANDBOX_CUSTOMERS"):
        sandbox_settings_from_env()
