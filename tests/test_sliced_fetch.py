"""Large ranges are fetched as concurrent time slices: no deep pages, the same sessions."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import END_MONTH, SECRET

from portal_reports.portal.client import PortalClient
from portal_reports.sandbox import Sandbox

MONTH_RANGE = ("2026-09-01T00:00:00Z", "2026-09-30T23:59:59Z")


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_a_large_month_in_slices_equals_one_walk_without_deep_pages(strict):
    with Sandbox(seed=7, end_month=END_MONTH, months=2, secret=SECRET, strict=strict) as sb:
        with PortalClient(base_url=sb.url, secret=SECRET, progress=False) as whole:
            expected = {item["id"] for item in whole.sessions(*MONTH_RANGE)}
        before = len(sb.requests)
        with PortalClient(
            base_url=sb.url, secret=SECRET, progress=False, slice_size=800, slice_concurrency=3
        ) as sliced:
            got = sliced.sessions(*MONTH_RANGE)
        assert len(got) == len({item["id"] for item in got})  # no duplicates at boundaries
        assert {item["id"] for item in got} == expected and len(expected) > 4000
        pages = [
            int(parse_qs(urlsplit(path).query).get("page", ["1"])[0])
            for _method, path, _headers in sb.requests[before:]
            if path.startswith("/api/v1/bff/sessions?")
        ]
        assert max(pages) <= 800 // 60 + 3  # slices of ~800 sessions: shallow pages only
        assert len(pages) > 30


def test_slices_keep_the_fetch_budget(fresh_sandbox):
    from portal_reports.errors import PortalTimeoutError

    fresh_sandbox.faults.add("slow", count=50, delay=0.3, path="/api/v1/bff/sessions")
    with (
        PortalClient(
            base_url=fresh_sandbox.url, secret=SECRET, progress=False, slice_size=200
        ) as client,
        pytest.raises(PortalTimeoutError, match="fetch budget"),
        client.budget("fetch of the test month", seconds=1.0),
    ):
        client.sessions(*MONTH_RANGE)
