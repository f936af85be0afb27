"""Deadlines against a hostile server: trickled bytes, slow answers, long Retry-After, and a
fetch budget for a whole month. Every limit is small, so each test takes about a second."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from conftest import MONTH
from hostile import (
    HostileServer,
    json_answer,
    portal_error,
    slow,
    timed,
    trickle_body,
    trickle_headers,
)

from portal_reports.data.month import fetch_month
from portal_reports.errors import ConfigError, PortalTimeoutError, RateLimitError, ServerError
from portal_reports.portal.client import PortalClient

INFO = "/api/v1/bff/sessions/info"
SESSIONS = "/api/v1/bff/sessions"
ATTRIBUTES = "/api/v1/bff/customer/attributes"
SECRET = "hostile-secret-9f3Kq"

INFO_BODY = {
    "sessions_by_leads": {"items": [], "total_sessions": 0, "total_sessions_leads": 0},
    "sessions_by_type": {"sessions_leads": [], "sessions_non_leads": []},
    "sessions_by_channel": [],
    "sessions_by_hours": [],
    "sessions_by_asr": [],
    "summary": {},
}


class Waits(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def server():
    with HostileServer() as srv:
        yield srv


def client_for(srv: HostileServer, **kwargs) -> PortalClient:
    kwargs.setdefault("backoff_factor", 0.01)
    kwargs.setdefault("progress", False)
    return PortalClient(srv.url, SECRET, **kwargs)


def test_a_body_trickled_byte_by_byte_is_cut_off_at_the_request_deadline(server):
    server.route(INFO, trickle_body(INFO_BODY, every=0.05))  # ~15 s for the whole body
    with client_for(server, timeout=(1, 0.5), request_deadline=1.0) as c:
        error, seconds = timed(lambda: c.month_info(MONTH))
    assert isinstance(error, PortalTimeoutError), error
    assert 0.9 < seconds < 2.0
    message = str(error)
    assert f"GET {INFO} timed out" in message
    assert "the 1 s request deadline (PORTAL_REQUEST_DEADLINE)" in message
    assert "\n" not in message and SECRET not in message


def test_headers_that_never_end_are_cut_off_too(server):
    server.route(INFO, trickle_headers(every=0.05))
    with client_for(server, timeout=(1, 0.5), request_deadline=0.8) as c:
        error, seconds = timed(lambda: c.month_info(MONTH))
    assert isinstance(error, PortalTimeoutError), error
    assert 0.7 < seconds < 1.8
    assert "0.8 s request deadline" in str(error)


def test_a_slow_answer_is_retried_only_while_the_deadline_lasts(server):
    server.route(INFO, slow(INFO_BODY, delay=5))
    with client_for(server, timeout=(1, 0.4), request_deadline=1.0, max_retries=5) as c:
        error, seconds = timed(lambda: c.month_info(MONTH))
    assert isinstance(error, PortalTimeoutError), error
    assert seconds < 1.7  # not 6 attempts x 0.4 s
    assert "attempt(s); last: " in str(error)
    assert 2 <= len(server.requests) <= 3


def test_a_retry_after_longer_than_the_deadline_gives_up_without_sleeping(server):
    server.route(INFO, portal_error(429, "Slow down", {"Retry-After": "120"}))
    waits = Waits()
    with client_for(server, request_deadline=60, sleep=waits) as c:
        error, seconds = timed(lambda: c.month_info(MONTH))
    assert isinstance(error, RateLimitError), error
    assert waits == [] and seconds < 1 and len(server.requests) == 1
    message = str(error)
    assert "HTTP 429" in message and "Retry-After" in message and "120 s" in message
    assert "60 s request deadline (PORTAL_REQUEST_DEADLINE)" in message


def test_repeated_503_with_retry_after_stops_at_the_deadline(server):
    server.route(INFO, portal_error(503, "Maintenance", {"Retry-After": "0.4"}))
    with client_for(server, request_deadline=1.0, max_retries=10) as c:
        error, seconds = timed(lambda: c.month_info(MONTH))
    assert isinstance(error, ServerError), error
    assert seconds < 1.2 and 2 <= len(server.requests) <= 3
    assert "1 s request deadline" in str(error)


def _paged_sessions(total: int, delay: float):
    """A /sessions that answers every page correctly, each after ``delay`` seconds."""

    def handler(req):
        page, per = int(req.query["page"][0]), int(req.query["per"][0])
        first = (page - 1) * per
        items = [
            {"id": f"s{n:05d}", "created_at": f"{MONTH}-02T10:00:00Z"}
            for n in range(first, min(first + per, total))
        ]
        body = {"items": items, "metadata": {"page": page, "per": per, "total": total}}
        slow(body, delay)(req)

    return handler


def test_the_fetch_budget_bounds_a_whole_month_fetch(server):
    server.route(SESSIONS, _paged_sessions(total=1000, delay=0.25))  # 10 pages: 2.5 s
    server.route(INFO, json_answer(INFO_BODY))
    server.route(ATTRIBUTES, json_answer({"groups": [], "attributes": []}))
    with client_for(server, request_deadline=30, fetch_budget=1.0) as c:
        error, seconds = timed(lambda: fetch_month(MONTH, "acme", client=c))
    assert isinstance(error, PortalTimeoutError), error
    assert 0.9 < seconds < 1.6
    message = str(error)
    assert f"GET {SESSIONS} timed out" in message
    assert f"the 1 s fetch budget of the fetch of {MONTH} for acme (PORTAL_FETCH_BUDGET)" in message
    # the same fetch with enough budget succeeds: the limit, not the server, stopped it
    server.route(SESSIONS, _paged_sessions(total=150, delay=0.0))
    with client_for(server, fetch_budget=5) as c:
        assert len(fetch_month(MONTH, "acme", client=c).sessions) == 150


def test_a_budget_that_is_used_up_stops_the_next_call_at_once(server):
    server.route(INFO, json_answer(INFO_BODY))
    with client_for(server) as c, c.budget("test", seconds=0.2):
        c.month_info(MONTH)
        time.sleep(0.25)
        with pytest.raises(PortalTimeoutError, match="nothing of it was left"):
            c.month_info(MONTH)
    assert len(server.requests) == 1


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "abc", "1e999", "100000"])
@pytest.mark.parametrize("name", ["PORTAL_REQUEST_DEADLINE", "PORTAL_FETCH_BUDGET"])
def test_deadline_settings_are_checked(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        PortalClient("http://127.0.0.1:9", SECRET)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1, 0, True, "x"])
def test_deadline_arguments_are_checked(value):
    with pytest.raises(ConfigError, match="request_deadline"):
        PortalClient("http://127.0.0.1:9", SECRET, request_deadline=value)
    with pytest.raises(ConfigError, match="fetch_budget"):
        PortalClient("http://127.0.0.1:9", SECRET, fetch_budget=value)


def test_the_command_line_reports_a_deadline_in_one_line(server, tmp_path):
    server.route(INFO, trickle_body(INFO_BODY, every=0.05))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_"))}
    env.update(PORTAL_BASE_URL=server.url, PORTAL_SECRET=SECRET, PORTAL_REQUEST_DEADLINE="1")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "portal_reports", "fetch", "info", "--month", MONTH],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 15
    assert proc.returncode == 5, proc.stderr
    assert proc.stderr.splitlines() == [
        f"Error: GET {INFO} timed out: no complete answer within the 1 s request deadline "
        "(PORTAL_REQUEST_DEADLINE) (1 attempt(s); last: cut off at the deadline)"
    ]


@pytest.mark.parametrize("bypassed", [False, True])
def test_the_environment_proxy_is_used_unless_no_proxy_names_the_portal(monkeypatch, bypassed):
    """Proxies and NO_PROXY are read once, when the client is made, as requests reads them."""
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with HostileServer() as portal, HostileServer() as proxy:
        portal.route(INFO, json_answer(INFO_BODY))
        proxy.fallback = json_answer(INFO_BODY)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        if bypassed:
            monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with client_for(portal, max_retries=0) as c:
            c.month_info(MONTH)
            c.month_info(MONTH)
        via_proxy = [path for _, path, _, _ in proxy.requests]
        direct = [path for _, path, _, _ in portal.requests]
    if bypassed:
        assert not via_proxy and len(direct) == 2
    else:  # a proxy is asked for the absolute URL
        assert not direct and len(via_proxy) == 2
        assert all(path.startswith(f"{portal.url}{INFO}?") for path in via_proxy)


def test_netrc_credentials_are_sent_and_only_their_password_is_hidden(monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login portal password pw-Netrc-7731\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with HostileServer() as portal:
        portal.route(INFO, portal_error(400, "portal says pw-Netrc-7731 is wrong"))
        with client_for(portal, max_retries=0) as c:
            error, _ = timed(lambda: c.month_info(MONTH))
        headers = portal.requests[0][2]
    assert headers["Authorization"].startswith("Basic ")  # from .netrc, as requests sends it
    assert "pw-Netrc-7731" not in str(error) and "portal says" in str(error)
