"""The ``connectors`` filter holds whatever the Portal does with it: against servers written
from the spec alone (tests/stub_portal.py) that apply it, ignore it, or read only
``connectors[]``, over real HTTP."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from stub_portal import CUSTOMER as STUB_CUSTOMER
from stub_portal import SECRET as STUB_SECRET
from stub_portal import StubPortal, connector_filter

from portal_reports.dates import month_range
from portal_reports.portal.client import PortalClient, connector_matcher

MONTH = "2026-09"
FILTERS = [
    ["backup"],
    ["main", "backup"],
    ["acme_voice/*"],
    ["web_chat/backup", "acme_voice/main"],
    ["no_such_connector"],
]
# where each stub applies the filter: the spec's repeated keys, only the bracket form, nowhere
SERVERS = ["connectors", "connectors[]", None]


def expected_ids(stub: StubPortal, connectors: list[str]) -> list[str]:
    start, end = (x.strftime("%Y-%m-%dT%H:%M:%SZ") for x in month_range(MONTH))
    keep = connector_filter(connectors)
    return sorted(s["id"] for s in stub.in_range(start, end) if keep(s))


def filter_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "portal_reports.client" and "connector filter" in r.getMessage()
    ]


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("connectors", FILTERS)
def test_only_the_asked_connectors_whatever_the_server(server, connectors, caplog):
    caplog.set_level(logging.WARNING, logger="portal_reports.client")
    with StubPortal({MONTH: 57}, connectors=server) as stub:
        with PortalClient(base_url=stub.url, secret=STUB_SECRET, progress=False) as client:
            got = client.month_sessions(MONTH, connectors=connectors)
            again = client.for_customer(STUB_CUSTOMER).month_sessions(MONTH, connectors=connectors)
        expected = expected_ids(stub, connectors)
        everything = len(expected) == len(expected_ids(stub, ["acme_voice/*", "web_chat/*"]))
        assert sorted(s["id"] for s in got) == expected
        assert sorted(s["id"] for s in again) == expected
        # sent as the spec's repeated keys, nothing else
        assert all(q["connectors"] == connectors for q in stub.session_queries)
        assert not any("connectors[]" in q for q in stub.session_queries)
    warnings = filter_warnings(caplog)
    if server == "connectors" or everything:  # applied, or nothing to tell it by
        assert warnings == []
    else:  # the filter was ignored: said once, however many calls
        assert len(warnings) == 1, warnings
        assert ", ".join(connectors) in warnings[0]


def test_sliced_walks_filter_each_slice_and_warn_once(caplog):
    """A month split into time slices (more sessions than slice_size): paging follows each
    slice's own total, every slice is filtered, one warning for all of them."""
    caplog.set_level(logging.WARNING, logger="portal_reports.client")
    with StubPortal({MONTH: 90}, connectors="connectors[]") as stub:
        with PortalClient(
            base_url=stub.url, secret=STUB_SECRET, progress=False, slice_size=20, per_page=7
        ) as client:
            chunks = list(client.session_chunks(*month_range(MONTH), connectors=["backup"]))
        assert len(chunks) > 1  # really sliced
        got = [s["id"] for chunk in chunks for s in chunk]
        assert len(got) == len(set(got))
        assert sorted(got) == expected_ids(stub, ["backup"])
    assert len(filter_warnings(caplog)) == 1


def test_matcher_rules():
    item = {"integration_idn": "voice_gw", "connector_idn": "main_line"}
    assert connector_matcher("main_line")(item)
    assert connector_matcher(" main_line ")(item)
    assert connector_matcher(["x", "voice_gw/*"])(item)
    assert connector_matcher("voice_gw/main_line")(item)
    assert not connector_matcher("sms/main_line")(item)
    assert not connector_matcher("voice_gw")(item)  # a plain id is a connector, not an integration
    assert not connector_matcher("*")(item)  # "*" is only a wildcard after an integration
    assert not connector_matcher("main_line")({"integration_idn": "a", "connector_idn": None})


def test_cli_fetch_sessions_counts_only_the_asked_connectors(tmp_path):
    """`fetch sessions --connector` against a server reading only ``connectors[]``: the
    count, the per-connector breakdown and the saved file hold the asked connectors only."""
    with StubPortal({MONTH: 57}, connectors="connectors[]") as stub:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_"))}
        env.update(PORTAL_BASE_URL=stub.url, PORTAL_SECRET=STUB_SECRET)
        out = tmp_path / "s.csv"
        args = ["fetch", "sessions", "--month", MONTH, "--customer", STUB_CUSTOMER]
        args += ["--time-zone", "UTC", "--connector", "web_chat/*", "--out", str(out)]
        proc = subprocess.run(
            [sys.executable, "-m", "portal_reports", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        expected = expected_ids(stub, ["web_chat/*"])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert (
        lines[0].startswith(f"{len(expected)} sessions ") and "[connectors web_chat/*]" in lines[0]
    )
    names = {line.split()[0] for line in lines[1:] if line.strip().endswith("%")}
    assert names == {"web_chat/main", "web_chat/backup"}
    assert proc.stderr.count("did not apply the connector filter") == 1
    import pandas as pd

    assert sorted(pd.read_csv(out)["id"]) == expected
