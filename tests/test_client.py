"""PortalClient over real HTTP against the sandbox: paging, filters, errors, retries, secrecy.

Every test that talks to a sandbox runs twice: against the default sandbox and against the
strict one (``Sandbox(strict=True)``: only ``...Z`` date-times, plain connector identifiers,
unknown parameters refused, pages silently smaller than ``per``), so the client is proven
against the least forgiving reading of the spec too.
"""

from __future__ import annotations

import logging
import math
import socket
import traceback
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import END_MONTH, MONTH, SECRET, SEED
from stub_portal import QuietHTTPServer

from portal_reports.dates import format_utc, month_range
from portal_reports.errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    InvalidResponseError,
    NotFoundError,
    PaginationError,
    PortalConnectionError,
    PortalError,
    RateLimitError,
    ServerError,
)
from portal_reports.portal import client as client_module
from portal_reports.portal import paging, transport
from portal_reports.portal.client import PortalClient
from portal_reports.sandbox import Sandbox

SESSIONS = "/api/v1/bff/sessions"
INFO = "/api/v1/bff/sessions/info"
ATTRIBUTE = "/api/v1/customer/attributes"
DAY = ("2026-09-15T00:00:00Z", "2026-09-15T23:59:59Z")  # acme-dental has 50 sessions that day


class Waits(list):
    """Sleep recorder: injected as the client's ``sleep`` so retries are instant and measured."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture(scope="module", params=["default", "strict"])
def strict(request) -> bool:
    """Which reading of the spec the sandboxes of this module serve."""
    return request.param == "strict"


@pytest.fixture(scope="module")
def sandbox(strict):
    """This module's shared sandbox (overrides conftest's), in both modes."""
    with Sandbox(seed=SEED, end_month=END_MONTH, secret=SECRET, strict=strict) as sb:
        yield sb


@pytest.fixture
def fresh_sandbox(strict):
    """A private sandbox for tests that change data or inject faults, in both modes."""
    with Sandbox(seed=SEED, end_month=END_MONTH, secret=SECRET, months=3, strict=strict) as sb:
        yield sb


@pytest.fixture(scope="module")
def _fault_sandbox(strict):
    """A small private sandbox for fault injection (data never changed: no "insert", no PUT)."""
    with Sandbox(
        seed=SEED, end_month=END_MONTH, months=2, scale=0.3, secret=SECRET, strict=strict
    ) as sb:
        yield sb


@pytest.fixture
def faulty(_fault_sandbox):
    """The fault sandbox with an empty fault queue before and after the test."""
    _fault_sandbox.faults.clear()
    yield _fault_sandbox
    _fault_sandbox.faults.clear()


def make_client(sb: Sandbox, waits: Waits | None = None, **kwargs) -> PortalClient:
    """A client for ``sb`` with fast retries (backoff_factor 0.01) and an optional sleep recorder."""
    kwargs.setdefault("backoff_factor", 0.01)
    kwargs.setdefault("progress", False)
    if waits is not None:
        kwargs["sleep"] = waits
    return PortalClient(base_url=sb.url, secret=sb.secret, **kwargs)


def sql_ids(sb: Sandbox, start: str, end: str, customer: str | None = None, where="", args=()):
    """Session ids in [start, end] straight from the database, in the API's order."""
    sql = "SELECT id FROM sessions WHERE created_at >= ? AND created_at <= ?"
    params: list = [start, end]
    if customer:
        sql += " AND customer_id = ?"
        params.append(customer)
    if where:
        sql += f" AND ({where})"
        params.extend(args)
    with sb.connect() as conn:
        rows = conn.execute(sql + " ORDER BY created_at DESC, id DESC", params).fetchall()
    return [r[0] for r in rows]


def month_bounds(month: str) -> tuple[str, str]:
    start, end = month_range(month)
    return format_utc(start), format_utc(end)


def new_requests(sb: Sandbox, before: int, path: str = "") -> list:
    """Requests the sandbox saw since index ``before`` (optionally only those under ``path``)."""
    return [r for r in sb.requests[before:] if urlsplit(r.path).path.startswith(path)]


def query_of(record) -> dict[str, list[str]]:
    return parse_qs(urlsplit(record.path).query)


# -- paging ------------------------------------------------------------------------------------


def test_month_sessions_equal_sql_in_server_order(client, sandbox):
    expected = sql_ids(sandbox, *month_bounds(MONTH))
    served = min(100, sandbox.page_cap)  # strict: 60 a page, though metadata.per says 100
    assert len(expected) % served != 0  # the last page is a short one
    before = len(sandbox.requests)
    items = client.month_sessions(MONTH)
    assert [i["id"] for i in items] == expected
    pages = new_requests(sandbox, before, SESSIONS)
    assert len(pages) == math.ceil(len(expected) / served)
    # asks for 100, then for what it was served (strict counts pages by the per asked)
    assert [query_of(r)["per"][0] for r in pages] == ["100"] + [str(served)] * (len(pages) - 1)


def test_total_not_a_multiple_of_per_and_per_page_over_100_is_capped(sandbox):
    expected = sql_ids(sandbox, *month_bounds(MONTH), customer="nordlicht-yoga")
    with make_client(sandbox, customer_id="nordlicht-yoga", per_page=37) as c:
        before = len(sandbox.requests)
        assert [i["id"] for i in c.month_sessions(MONTH)] == expected
        assert len(new_requests(sandbox, before, SESSIONS)) == math.ceil(len(expected) / 37)
    with make_client(sandbox, customer_id="acme-dental", per_page=500) as c:
        before = len(sandbox.requests)
        c.sessions(*DAY)
        assert query_of(new_requests(sandbox, before, SESSIONS)[0])["per"] == ["100"]


def test_range_without_sessions_is_one_request_and_empty(client, sandbox):
    before = len(sandbox.requests)
    assert client.sessions("2020-01-01", "2020-01-31T23:59:59Z") == []
    assert len(new_requests(sandbox, before)) == 1
    # nordlicht-yoga starts two months before the end month: earlier months are empty
    assert client.for_customer("nordlicht-yoga").month_sessions("2026-07") == []


def test_exactly_one_full_page_then_one_more(sandbox):
    expected = sql_ids(sandbox, *DAY, customer="acme-dental")
    assert 2 <= len(expected) <= 100
    for per, pages in ((len(expected), 1), (len(expected) - 1, 2)):
        with make_client(sandbox, customer_id="acme-dental", per_page=per) as c:
            before = len(sandbox.requests)
            assert [i["id"] for i in c.sessions(*DAY)] == expected
            assert len(new_requests(sandbox, before, SESSIONS)) == pages


def test_server_page_cap_smaller_than_per(strict):
    with (
        Sandbox(
            seed=SEED,
            end_month=END_MONTH,
            months=1,
            scale=0.06,
            secret=SECRET,
            page_cap=7,
            strict=strict,
        ) as sb,
        make_client(sb) as c,
    ):
        expected = sql_ids(sb, *month_bounds(END_MONTH))
        assert len(expected) > 7 * 3 and len(expected) % 7 != 0
        before = len(sb.requests)
        assert [i["id"] for i in c.month_sessions(END_MONTH)] == expected
        pages = new_requests(sb, before, SESSIONS)
        assert len(pages) == math.ceil(len(expected) / 7)
        # asks for 100 once, then for the 7 it was served (page N starts at the same offset
        # whether a server counts pages by the per asked or by the per applied)
        assert [query_of(r)["per"][0] for r in pages] == ["100"] + ["7"] * (len(pages) - 1)


class _OtherPortal:
    """An independent, minimal implementation of the sessions endpoint, unlike the sandbox:
    it caps ``per`` at ``cap`` but offsets pages by the ``per`` asked, echoes the ``per`` asked
    in ``metadata.per``, can order ascending, and can add sessions before chosen requests."""

    def __init__(self, count, cap=100, ascending=False, inserts=None, overclaim=0):
        import http.server
        import json
        import threading

        self.items = [
            {"id": f"s{n:05d}", "created_at": "2024-01-01T00:00:00Z"} for n in range(count)
        ]
        self.calls, self.inserts = 0, dict(inserts or {})
        portal = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                portal.calls += 1
                for n in range(portal.inserts.get(portal.calls, 0)):
                    portal.items.insert(0, {"id": f"new{portal.calls}-{n}"})
                query = parse_qs(urlsplit(self.path).query)
                page, per = int(query["page"][0]), int(query["per"][0])
                rows = portal.items[::-1] if ascending else portal.items
                chunk = rows[(page - 1) * per :][: min(per, cap)]
                body = json.dumps(
                    {
                        "items": chunk,
                        "metadata": {"page": page, "per": per, "total": len(rows) + overclaim},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("cap", "ascending", "inserts"),
    [(30, False, None), (30, True, None), (100, True, {3: 4}), (30, False, {2: 3, 5: 1})],
)
def test_an_independent_server_with_other_paging_rules(cap, ascending, inserts):
    with (
        _OtherPortal(137, cap=cap, ascending=ascending, inserts=inserts) as portal,
        PortalClient(portal.url, SECRET, progress=False, per_page=50) as c,
    ):
        ids = [i["id"] for i in c.sessions(*DAY)]
        assert len(ids) == len(set(ids)) and set(ids) == {i["id"] for i in portal.items}


def test_pages_that_never_add_up_to_a_steady_total_say_so():
    """A total that never changes while the pages never reach it is not "sessions keep
    changing, try again later": the error says the pages do not add up."""
    with (
        _OtherPortal(37, overclaim=3) as portal,
        PortalClient(portal.url, SECRET, progress=False, per_page=20) as c,
        pytest.raises(PaginationError) as info,
    ):
        list(c.sessions(*DAY))
    message = str(info.value)
    assert "37 distinct sessions but the total says 40" in message
    assert "do not add up" in message and "keep changing" not in message


def test_items_shifting_mid_walk_are_rewalked(fresh_sandbox, waits):
    sb = fresh_sandbox
    start, end = month_bounds(MONTH)
    before_ids = set(sql_ids(sb, start, end))
    # page 1 is answered normally (a zero-delay "slow"), then 5 sessions arrive before page 2
    sb.faults.add("slow", delay=0, path=SESSIONS)
    sb.faults.add("insert", count=5, path=SESSIONS)
    before = len(sb.requests)
    with make_client(sb, waits) as c:
        items = c.month_sessions(MONTH)
    expected = sql_ids(sb, start, end)
    assert len(expected) == len(before_ids) + 5
    ids = [i["id"] for i in items]
    assert ids == expected  # the 5 newcomers included, no duplicates, nothing lost
    assert sb.faults.served == 2
    pages = [query_of(r)["page"][0] for r in new_requests(sb, before, SESSIONS)]
    assert pages.count("1") == 2  # the walk restarted from page 1


def test_sessions_arriving_on_every_request_are_all_returned(fresh_sandbox):
    sb = fresh_sandbox
    for _ in range(30):  # every page request inserts one more session
        sb.faults.add("insert", count=1, path=SESSIONS)
    with make_client(sb, customer_id="acme-dental", per_page=20) as c:
        items = c.sessions(*DAY)
    assert sb.faults.served >= 4  # at least one walk was disturbed
    assert [i["id"] for i in items] == sql_ids(sb, *DAY, customer="acme-dental")


def test_total_that_never_settles_raises_pagination_error(fresh_sandbox):
    sb = fresh_sandbox
    for _ in range(8):  # each page request inserts more sessions than a page holds
        sb.faults.add("insert", count=10, path=SESSIONS)
    with (
        make_client(sb, customer_id="acme-dental", per_page=5) as c,
        pytest.raises(PaginationError, match="3 walks.*keep changing"),
    ):
        c.sessions(*DAY)
    assert sb.faults.served == 6  # gave up after 3 walks of 2 pages


# -- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("connectors", "where", "args"),
    [
        (["main_line"], "connector_idn = ?", ("main_line",)),
        ("after_hours", "connector_idn = ?", ("after_hours",)),
        (["business", "test"], "connector_idn IN (?, ?)", ("business", "test")),
    ],
)
def test_connector_identifiers_equal_sql(client, sandbox, connectors, where, args):
    # the spec's form: plain connector identifiers, as repeated keys
    start, end = month_bounds(MONTH)
    expected = sql_ids(sandbox, start, end, where=where, args=args)
    assert expected  # a filter that matches nothing could not fail
    before = len(sandbox.requests)
    assert [i["id"] for i in client.sessions(start, end, connectors=connectors)] == expected
    sent = query_of(new_requests(sandbox, before, SESSIONS)[0])["connectors"]
    assert sent == ([connectors] if isinstance(connectors, str) else connectors)


def test_the_specs_own_connector_example_is_accepted(client, sandbox):
    # "connector identifiers (e.g., sandbox, some_connector)": no demo connector has those ids
    assert client.sessions(*month_bounds(MONTH), connectors=["sandbox", "some_connector"]) == []


@pytest.mark.parametrize(
    ("connectors", "where", "args"),
    [
        (
            ["newo_voice/main_line"],
            "integration_idn = ? AND connector_idn = ?",
            ("newo_voice", "main_line"),
        ),
        (
            ["whatsapp/business", "sandbox/*"],
            "(integration_idn = 'whatsapp' AND connector_idn = 'business') OR integration_idn = ?",
            ("sandbox",),
        ),
    ],
)
def test_integration_connector_forms_are_a_sandbox_extension(
    client, sandbox, connectors, where, args
):
    start, end = month_bounds(MONTH)
    if sandbox.strict:  # not the spec's form: a strict Portal refuses it
        with pytest.raises(BadRequestError, match="connector identifier"):
            client.sessions(start, end, connectors=connectors)
        return
    expected = sql_ids(sandbox, start, end, where=where, args=args)
    assert expected
    assert [i["id"] for i in client.sessions(start, end, connectors=connectors)] == expected


def test_connector_filter_for_one_customer(client, sandbox):
    start, end = month_bounds(MONTH)
    expected = sql_ids(sandbox, start, end, "bistro-ca-va", "connector_idn = ?", ("bot",))
    bistro = client.for_customer("bistro-ca-va")
    assert expected and [i["id"] for i in bistro.sessions(start, end, ["bot"])] == expected


@pytest.mark.parametrize("active", [True, False])
def test_is_active_filter_equals_sql(client, sandbox, active):
    start, end = month_bounds(END_MONTH)
    where = "ended_at IS NULL" if active else "ended_at IS NOT NULL"
    expected = sql_ids(sandbox, start, end, where=where)
    assert expected
    before = len(sandbox.requests)
    items = client.month_sessions(END_MONTH, is_active=active)
    assert [i["id"] for i in items] == expected
    assert all((i["ended_at"] is None) is active for i in items)
    # the spec promises only "active sessions only": ended ones are filtered by the client
    sent = query_of(new_requests(sandbox, before, SESSIONS)[0])
    assert sent.get("is_active") == (["true"] if active else None)


def test_date_inputs_are_sent_as_utc(client, sandbox):
    forms = [
        (date(2026, 9, 15), datetime(2026, 9, 15, 23, 59, 59)),
        ("2026-09-15", "2026-09-15T23:59:59Z"),
        (
            datetime(2026, 9, 14, 20, tzinfo=timezone(timedelta(hours=-4))),
            datetime(2026, 9, 16, 1, 59, 59, tzinfo=timezone(timedelta(hours=2))),
        ),
        (datetime(2026, 9, 15, tzinfo=UTC), "2026-09-15T19:59:59-04:00"),
    ]
    for start, end in forms:
        before = len(sandbox.requests)
        client.sessions_info(start, end)
        query = query_of(new_requests(sandbox, before, INFO)[0])
        assert (query["from_datetime"], query["to_datetime"]) == ([DAY[0]], [DAY[1]])
    before = len(sandbox.requests)
    with pytest.raises(ConfigError, match="after"):
        client.sessions("2026-09-30", "2026-09-01")
    with pytest.raises(ConfigError, match="bad date-time"):
        client.sessions_info("last tuesday", "2026-09-01")
    with pytest.raises(ConfigError, match="bad month"):
        client.month_info("2026-13")
    assert len(sandbox.requests) == before  # refused before any request


def test_sessions_info_matches_sql_and_listing(client, sandbox):
    start, end = month_bounds(MONTH)
    info = client.month_info(MONTH)
    assert info == client.sessions_info(start, end)
    with sandbox.connect() as conn:
        total, leads = conn.execute(
            "SELECT count(*), sum(is_lead) FROM sessions WHERE created_at BETWEEN ? AND ?",
            (start, end),
        ).fetchone()
    assert info["sessions_by_leads"]["total_sessions"] == total == len(client.month_sessions(MONTH))
    assert info["sessions_by_leads"]["total_sessions_leads"] == leads


def test_customer_header_user_agent_and_shared_session(client, sandbox):
    acme = client.for_customer("acme-dental")
    assert acme.transport is client.transport and acme.customer_id == "acme-dental"
    assert client.customer_id is None
    before = len(sandbox.requests)
    acme.sessions(*DAY)
    middle = len(sandbox.requests)
    client.sessions(*DAY)
    acme_req = new_requests(sandbox, before)[: middle - before]
    all_req = new_requests(sandbox, middle)
    assert {r.headers["x-portal-external-customer-id"] for r in acme_req} == {"acme-dental"}
    assert all_req and all("x-portal-external-customer-id" not in r.headers for r in all_req)
    acme_req = acme_req[0]
    assert acme_req.headers["x-portal-secret"] == "[redacted]"  # sent (the sandbox redacts it)
    assert acme_req.headers["User-Agent"].startswith("portal-reports/")
    with acme:  # closing a derived client leaves the shared session usable
        pass
    assert client.sessions(*DAY)


def test_settings_come_from_the_environment(portal_env, monkeypatch):
    monkeypatch.setenv("PORTAL_CUSTOMER_ID", "bistro-ca-va")
    with PortalClient(progress=False) as c:
        assert (c.base_url, c.customer_id) == (portal_env.url, "bistro-ca-va")
        assert c.customer_attributes()["attributes"][0]["id"]


def test_progress_bar_only_when_asked(client, capsys):
    client.sessions(*DAY, progress=True)
    err = capsys.readouterr().err
    assert "session" in err and "/" in err
    client.sessions(*DAY, progress=False)
    assert capsys.readouterr().err == ""


# -- errors ------------------------------------------------------------------------------------


def test_wrong_secret_is_auth_error_without_retry(sandbox, waits):
    wrong = "wrong-secret-Hh71xQ"
    before = len(sandbox.requests)
    with (
        PortalClient(sandbox.url, wrong, progress=False, sleep=waits) as c,
        pytest.raises(AuthError) as info,
    ):
        c.month_info(MONTH)
    exc = info.value
    assert exc.status == 401 and exc.endpoint == INFO
    assert "GET /api/v1/bff/sessions/info" in str(exc)
    assert "Invalid or missing x-portal-secret" in str(exc)
    assert wrong not in str(exc) and SECRET not in str(exc)
    assert len(new_requests(sandbox, before)) == 1 and waits == []


def test_bad_parameters_are_bad_request_with_reason(client, sandbox):
    before = len(sandbox.requests)
    with pytest.raises(BadRequestError) as info:
        client._request("GET", INFO, params={"from_datetime": "yesterday", "to_datetime": "x"})
    exc = info.value
    assert (exc.status, exc.code, exc.type) == (400, 400, "Bad Request")
    assert exc.reason == "Invalid datetime format"
    assert "GET /api/v1/bff/sessions/info failed with HTTP 400: Invalid datetime format" in str(exc)
    assert exc.errors[0]["code"] == "invalid_parameter"
    with pytest.raises(BadRequestError, match="Invalid parameter"):
        client.sessions(*DAY, connectors=["not a connector"])
    assert len(new_requests(sandbox, before)) == 2  # no retry


def test_not_found_errors(client, sandbox):
    before = len(sandbox.requests)
    missing = str(uuid.UUID(int=7))
    with pytest.raises(NotFoundError, match="Attribute not found") as info:
        client.customer_attribute(missing)
    assert info.value.endpoint == f"{ATTRIBUTE}/{missing}"
    with pytest.raises(NotFoundError, match="Unknown customer 'xyz'"):
        client.for_customer("xyz").sessions(*DAY)
    assert len(new_requests(sandbox, before)) == 2


def test_unprocessable_put_is_bad_request(fresh_sandbox):
    with make_client(fresh_sandbox) as c:
        attr = attribute(c, "booking_enabled")
        with pytest.raises(BadRequestError) as info:
            c.update_customer_attribute(attr["id"], value="maybe")
    assert info.value.status == 422 and "PUT /api/v1/customer/attributes/" in str(info.value)
    assert any("value" in e["message"] for e in info.value.errors)
    assert attribute(c, "booking_enabled")["value"] == attr["value"]


def test_unknown_change_is_config_error_before_any_request(client, sandbox):
    before = len(sandbox.requests)
    with pytest.raises(ConfigError, match="colour"):
        client.update_customer_attribute(str(uuid.UUID(int=1)), value="x", colour="red")
    assert len(sandbox.requests) == before


def test_500_is_not_retried(faulty, waits):
    faulty.faults.add("500", count=2, path=INFO)
    before = len(faulty.requests)
    with make_client(faulty, waits) as c, pytest.raises(ServerError) as info:
        c.month_info(MONTH)
    assert info.value.status == 500 and "Internal Server Error" in str(info.value)
    assert len(new_requests(faulty, before)) == 1 and waits == []


def test_answers_missing_promised_keys_are_invalid(faulty, monkeypatch):
    # /_sandbox/faults answers 200 JSON of another shape: real HTTP, wrong body
    with make_client(faulty) as c:
        monkeypatch.setattr(paging, "SESSIONS_PATH", "/_sandbox/faults")
        with pytest.raises(InvalidResponseError, match="GET /_sandbox/faults .*'items'"):
            c.sessions(*DAY)
        monkeypatch.setattr(client_module, "SESSIONS_INFO_PATH", "/_sandbox/faults")
        with pytest.raises(InvalidResponseError, match="summary"):
            c.sessions_info(*DAY)
        monkeypatch.setattr(client_module, "ATTRIBUTES_PATH", "/_sandbox/faults")
        with pytest.raises(InvalidResponseError, match="groups"):
            c.customer_attributes()


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        ({"items": [{"id": "a"}], "metadata": {"total": "1", "per": 20, "x": 1}, "extra": 1}, None),
        ({"items": [{"id": "a"}], "metadata": {"total": 1.0}}, None),
        ({"items": [], "metadata": {}}, "metadata.total"),
        ({"items": [], "metadata": {"total": True}}, "metadata.total"),
        ({"items": [], "metadata": {"total": -1}}, "metadata.total"),
        ({"items": {}, "metadata": {"total": 0}}, "'items'"),
        ({"items": [{"name": "no id"}], "metadata": {"total": 1}}, "'id'"),
        ([], "'items'"),
    ],
)
def test_sessions_page_shape_checks(page, problem):
    def invalid(method, path, what):
        return InvalidResponseError(what)

    if problem is None:
        assert paging._sessions_page(page, invalid)[1] == 1
    else:
        with pytest.raises(InvalidResponseError, match=problem):
            paging._sessions_page(page, invalid)


# -- retries -----------------------------------------------------------------------------------


def test_429_honours_retry_after(faulty, waits):
    faulty.faults.add("429", retry_after=2, path=INFO)
    with make_client(faulty, waits) as c:
        assert c.month_info(MONTH)["summary"]
    assert waits == [2.0]


def test_429_waits_its_whole_retry_after_and_exhaustion_is_rate_limit_error(faulty, waits):
    """Retry-After is waited in full (backoff_max caps only our own backoff): asking sooner
    would be refused again."""
    faulty.faults.add("429", count=3, retry_after=7, path=INFO)
    before = len(faulty.requests)
    with (
        make_client(faulty, waits, max_retries=2, backoff_max=0.5) as c,
        pytest.raises(RateLimitError) as info,
    ):
        c.month_info(MONTH)
    assert info.value.status == 429 and "after 3 attempts" in str(info.value)
    assert waits == [7.0, 7.0]
    assert len(new_requests(faulty, before)) == 3


def test_retry_after_http_date():
    soon = datetime.now(UTC) + timedelta(seconds=30)
    assert 25 < transport._retry_after(soon.strftime("%a, %d %b %Y %H:%M:%S GMT")) <= 30
    assert transport._retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert transport._retry_after("3") == 3.0
    assert transport._retry_after("soon") is None


@pytest.mark.parametrize("kind", ["502", "503", "504", "drop", "truncate"])
def test_transient_faults_are_retried(faulty, waits, kind):
    sb = faulty
    expected = sql_ids(sb, *month_bounds(MONTH))
    served = sb.faults.served
    sb.faults.add(kind, path=SESSIONS)
    sb.faults.add("slow", delay=0, path=SESSIONS)  # so the next page is unaffected
    sb.faults.add(kind, path=SESSIONS)  # a fault on a later page too
    with make_client(sb, waits) as c:
        assert [i["id"] for i in c.month_sessions(MONTH)] == expected
    assert sb.faults.served - served == 3
    assert len(waits) == 2 and all(0 <= w <= 0.02 for w in waits)


def test_slow_answer_hits_read_timeout_and_is_retried(faulty, waits):
    faulty.faults.add("slow", delay=1.0, path=INFO)
    before = len(faulty.requests)
    with make_client(faulty, waits, timeout=(2, 0.25)) as c:
        assert c.month_info(MONTH)["sessions_by_leads"]["total_sessions"] > 0
    assert len(waits) == 1 and len(new_requests(faulty, before)) == 2


def test_garbage_is_invalid_response_without_retry(faulty, waits):
    faulty.faults.add("garbage", path=INFO)
    before = len(faulty.requests)
    with make_client(faulty, waits) as c, pytest.raises(InvalidResponseError) as info:
        c.month_info(MONTH)
    assert "GET /api/v1/bff/sessions/info" in str(info.value) and "not JSON" in str(info.value)
    assert waits == [] and len(new_requests(faulty, before)) == 1


def test_retries_exhausted_is_server_error_with_growing_backoff(faulty, waits):
    faulty.faults.add("503", count=10, path=INFO)
    before = len(faulty.requests)
    with make_client(faulty, waits, max_retries=4) as c, pytest.raises(ServerError) as info:
        c.month_info(MONTH)
    assert info.value.status == 503 and "after 5 attempts" in str(info.value)
    assert len(new_requests(faulty, before)) == 5
    assert len(waits) == 4 and all(0 <= w <= 0.01 * 2**n for n, w in enumerate(waits))


def test_dropped_connections_exhausted_is_connection_error(faulty, waits):
    faulty.faults.add("drop", count=3, path=INFO)
    with (
        make_client(faulty, waits, max_retries=2) as c,
        pytest.raises(PortalConnectionError, match="after 3 attempt"),
    ):
        c.month_info(MONTH)
    assert len(waits) == 2


def test_unreachable_portal_is_connection_error(waits):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    with (
        PortalClient(f"http://127.0.0.1:{port}", SECRET, max_retries=1, sleep=waits) as c,
        pytest.raises(PortalConnectionError, match="GET /api/v1/bff/sessions/info"),
    ):
        c.month_info(MONTH)
    assert len(waits) == 1


def test_put_is_retried_too(fresh_sandbox, waits):
    sb = fresh_sandbox
    with make_client(sb, waits) as c:
        attr = attribute(c, "working_hours")
        sb.faults.add("slow", delay=0, path=ATTRIBUTE)  # the GET before the PUT
        sb.faults.add("503", path=ATTRIBUTE)
        before = len(sb.requests)
        assert c.update_customer_attribute(attr["id"], value="Mon-Fri 09:00-17:00")["value"] == (
            "Mon-Fri 09:00-17:00"
        )
    assert [r.method for r in new_requests(sb, before)] == ["GET", "PUT", "PUT"]
    assert len(waits) == 1


# -- attributes --------------------------------------------------------------------------------


def attribute(c: PortalClient, idn: str) -> dict:
    return next(a for a in c.customer_attributes()["attributes"] if a["idn"] == idn)


def test_attributes_list_query_and_get(client, sandbox):
    everything = client.customer_attributes()
    assert everything["groups"] and len(everything["attributes"]) > 10
    some = client.customer_attributes(query="hours")
    assert 0 < len(some["attributes"]) < len(everything["attributes"])
    first = everything["attributes"][0]
    assert client.customer_attribute(first["id"]) == first
    with sandbox.connect() as conn:
        count = conn.execute(
            "SELECT count(*) FROM attributes WHERE customer_id = 'bistro-ca-va'"
        ).fetchone()[0]
    assert len(client.for_customer("bistro-ca-va").customer_attributes()["attributes"]) == count


def test_put_round_trip_keeps_untouched_fields(fresh_sandbox):
    with make_client(fresh_sandbox) as c:
        before = attribute(c, "greeting")
        answer = c.update_customer_attribute(before["id"], value="Hi from the test")
        after = c.customer_attribute(before["id"])
        assert answer == after == {**before, "value": "Hi from the test"}
        assert before["title"] and before["description"] and before["group"]
        c.update_customer_attribute(before["id"], title="Opening line", is_hidden=True)
        assert c.customer_attribute(before["id"]) == {
            **before,
            "value": "Hi from the test",
            "title": "Opening line",
            "is_hidden": True,
        }
        with fresh_sandbox.connect() as conn:
            row = conn.execute(
                'SELECT value, title, description, "group" FROM attributes WHERE id = ?',
                (before["id"],),
            ).fetchone()
        assert row == ("Hi from the test", "Opening line", before["description"], before["group"])
        # the naive PUT this method exists to avoid: only "value" sent wipes the title
        other = attribute(c, "business_name")
        c._request("PUT", f"{ATTRIBUTE}/{other['id']}", json_body={"value": other["value"]})
        wiped = c.customer_attribute(other["id"])
        assert other["title"] and not wiped["title"] and not wiped["description"]


# -- the secret --------------------------------------------------------------------------------


def _exception_texts(exc: BaseException) -> str:
    """Everything an exception could show: message, repr, args, chain, formatted traceback."""
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        parts += [str(exc), repr(exc), repr(exc.args), repr(vars(exc))]
        parts += traceback.format_exception(exc)
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def test_secret_never_in_logs_messages_or_repr(faulty, caplog, waits):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    caplog.set_level(logging.DEBUG, logger="portal_reports.client")
    sb = faulty
    for kind in ("429", "503", "drop", "truncate"):
        sb.faults.add(kind, path=SESSIONS, retry_after=0)
    failures: list[BaseException] = []
    with make_client(sb, waits, customer_id="acme-dental") as c:
        c.sessions(*DAY)
        sb.faults.add("503", count=6, path=INFO)
        sb.faults.add("garbage", path=INFO)
        for call in (
            lambda: c.month_info(MONTH),  # 503 exhausted
            lambda: c.month_info(MONTH),  # garbage
            lambda: c._request("GET", INFO, params={"from_datetime": "yesterday"}),
            lambda: c.customer_attribute(str(uuid.UUID(int=3))),
            lambda: c.for_customer("nobody").sessions(*DAY),
            lambda: c.update_customer_attribute("x", nonsense=SECRET),
            lambda: PortalClient(sb.url, SECRET + "\n", progress=False),
        ):
            try:
                call()
            except PortalError as exc:
                failures.append(exc)
        with PortalClient(sb.url, "wrong-" + SECRET, progress=False) as wrong:
            try:
                wrong.sessions(*DAY)
            except AuthError as exc:
                failures.append(exc)
        texts = [repr(c), str(c.for_customer("bistro-ca-va"))]
    assert len(failures) == 8
    retry_logs = [
        r for r in caplog.records if r.name == "portal_reports.client" and "retry" in r.getMessage()
    ]
    assert retry_logs and "GET /api/v1/bff/sessions" in retry_logs[0].getMessage()
    assert "attempt 1" in retry_logs[0].getMessage()
    assert any(r.name.startswith("urllib3") for r in caplog.records)  # DEBUG logs were captured
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    everything = logged + "\n".join(texts) + "".join(_exception_texts(e) for e in failures)
    assert "acme-dental" in texts[0] and sb.url in texts[0]
    assert SECRET not in everything


def test_secret_echoed_by_the_server_is_scrubbed(client):
    # the sandbox quotes a bad connector value back in errors[].message
    with pytest.raises(BadRequestError) as info:
        client.sessions(*DAY, connectors=[SECRET + "?"])
    assert "***" in str(info.value)
    assert SECRET not in _exception_texts(info.value)


@pytest.mark.parametrize("secret", ["s€cret-Zq8f3K1vX9", "tab\tsecret-Zq8f3K1vX9"])
def test_a_secret_http_cannot_carry_is_a_config_error_that_does_not_show_it(sandbox, secret):
    # http.client's UnicodeEncodeError would carry the whole header value in ``.object``
    with pytest.raises(ConfigError, match="the secret") as info:
        PortalClient(sandbox.url, secret, progress=False)
    assert secret not in _exception_texts(info.value)
