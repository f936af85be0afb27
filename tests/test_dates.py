"""Month ranges, UTC conversion and settings resolution (dates.py, config.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from portal_reports.dates import (
    current_month,
    format_utc,
    month_days,
    month_label,
    month_range,
    parse_month,
    previous_month,
    shift_month,
    to_utc,
)
from portal_reports.errors import ConfigError
from portal_reports.settings import connect, resolve_settings


@pytest.mark.parametrize(
    ("month", "first", "last"),
    [
        ("2024-01", "2024-01-01T00:00:00Z", "2024-01-31T23:59:59Z"),
        ("2024-02", "2024-02-01T00:00:00Z", "2024-02-29T23:59:59Z"),  # leap year
        ("2023-02", "2023-02-01T00:00:00Z", "2023-02-28T23:59:59Z"),
        ("2100-02", "2100-02-01T00:00:00Z", "2100-02-28T23:59:59Z"),  # century, not leap
        ("2024-12", "2024-12-01T00:00:00Z", "2024-12-31T23:59:59Z"),
        ("2024-04", "2024-04-01T00:00:00Z", "2024-04-30T23:59:59Z"),
    ],
)
def test_month_range_inclusive_utc(month, first, last):
    start, end = month_range(month)
    assert (format_utc(start), format_utc(end)) == (first, last)
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
    assert end + timedelta(seconds=1) == month_range(shift_month(month, 1))[0]


def test_month_range_accepts_a_date():
    assert month_range(date(2024, 2, 17)) == month_range("2024-02")


@pytest.mark.parametrize(
    "bad", ["2024-13", "2024-00", "2024-1", "24-01", "2024/01", "", "abc", "1969-12", "9999-12"]
)
def test_bad_months_are_config_errors(bad):
    with pytest.raises(ConfigError, match="bad month"):
        month_range(bad)


def test_shift_previous_current_and_labels():
    assert shift_month("2024-12", 1) == "2025-01"
    assert shift_month("2024-01", -1) == "2023-12"
    assert shift_month("2024-03", -14) == "2023-01"
    assert previous_month(date(2024, 1, 15)) == "2023-12"
    assert current_month(date(2024, 1, 15)) == "2024-01"
    assert parse_month(" 2024-05 ") == "2024-05"
    assert month_label("2024-01") == "January 2024"
    days = month_days("2024-02")
    assert len(days) == 29 and days[0] == date(2024, 2, 1) and days[-1] == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2024, 1, 31), "2024-01-31T00:00:00Z"),
        (datetime(2024, 1, 31, 23, 59, 59), "2024-01-31T23:59:59Z"),  # naive = UTC
        (
            datetime(2024, 1, 31, 18, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2024-01-31T23:00:00Z",
        ),
        (datetime(2024, 6, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))), "2024-06-01T00:00:00Z"),
        ("2024-01-31T23:59:59Z", "2024-01-31T23:59:59Z"),
        ("2024-01-31T23:59:59z", "2024-01-31T23:59:59Z"),
        ("2024-01-31T23:59:59+01:00", "2024-01-31T22:59:59Z"),
        ("2024-01-31T23:59:59.750Z", "2024-01-31T23:59:59Z"),
        ("2024-01-31", "2024-01-31T00:00:00Z"),
        ("2024-01-31 10:00", "2024-01-31T10:00:00Z"),
    ],
)
def test_format_utc(value, expected):
    assert format_utc(value) == expected


def test_to_utc_is_aware_utc():
    aware = to_utc("2024-03-10T12:00:00-04:00")
    assert aware == datetime(2024, 3, 10, 16, tzinfo=UTC)
    assert aware.utcoffset() == timedelta(0)


@pytest.mark.parametrize("bad", ["yesterday", "2024-02-30", "31/01/2024", 20240131, None])
def test_bad_datetimes_are_config_errors(bad):
    with pytest.raises(ConfigError, match="bad date-time"):
        format_utc(bad)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No PORTAL_* variables and a working directory without .env."""
    for name in ("PORTAL_BASE_URL", "PORTAL_SECRET", "PORTAL_CUSTOMER_ID"):
        # set first so monkeypatch records the original state, even if .env loading sets it later
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_settings_from_arguments_and_env(clean_env, monkeypatch):
    s = resolve_settings("https://portal.example/", "s3cr3t-value", "acme-dental")
    assert (s.base_url, s.secret, s.customer_id, s.sandbox) == (
        "https://portal.example",
        "s3cr3t-value",
        "acme-dental",
        False,
    )
    assert "s3cr3t-value" not in repr(s) and "s3cr3t-value" not in str(s)
    monkeypatch.setenv("PORTAL_BASE_URL", "http://env.example")
    monkeypatch.setenv("PORTAL_SECRET", "env-secret-1234")
    monkeypatch.setenv("PORTAL_CUSTOMER_ID", "bistro-ca-va")
    s = resolve_settings()
    assert (s.base_url, s.secret, s.customer_id) == (
        "http://env.example",
        "env-secret-1234",
        "bistro-ca-va",
    )
    assert resolve_settings(base_url="http://arg.example").base_url == "http://arg.example"


def test_settings_from_dotenv(clean_env, monkeypatch):
    (clean_env / ".env").write_text(
        "PORTAL_BASE_URL=http://dotenv.example\nPORTAL_SECRET=dotenv-secret-99\n"
    )
    s = resolve_settings()
    assert (s.base_url, s.secret, s.sandbox) == ("http://dotenv.example", "dotenv-secret-99", False)
    monkeypatch.setenv("PORTAL_SECRET", "env-wins-over-dotenv")
    assert resolve_settings().secret == "env-wins-over-dotenv"


@pytest.mark.parametrize(
    ("url", "secret", "match"),
    [
        ("http://only-url.example", None, "PORTAL_SECRET is not set"),
        (None, "only-a-secret", "PORTAL_BASE_URL is not set"),
        ("ftp://portal.example", "a-secret-1234", "must start with http"),
    ],
)
def test_config_errors(clean_env, url, secret, match):
    with pytest.raises(ConfigError, match=match) as info:
        resolve_settings(url, secret)
    if secret:
        assert secret not in str(info.value)


def test_nothing_configured_uses_the_embedded_sandbox(clean_env):
    s = resolve_settings()
    assert s.sandbox is True and s.data_source == "sandbox"
    assert s.base_url is None and s.secret is None  # resolving starts nothing
    live = connect(s)
    assert live.sandbox is True
    assert live.base_url.startswith("http://127.0.0.1:")
