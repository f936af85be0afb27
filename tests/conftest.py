"""Shared fixtures: a real sandbox Portal on an ephemeral loopback port, and clients for it."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

# Fixed data for every test: the sandbox's history ends with END_MONTH; MONTH is a full past month.
END_MONTH = "2026-10"
MONTH = "2026-09"
SEED = 7
SECRET = "test-secret-Zq8f3K1vX9"  # grepped for in every output file and log: must never appear

# Runs ``argv`` with SIGINT at its default, as a terminal gives it: a suite started in the
# background by a non-interactive shell inherits SIGINT *ignored*, and Python then never
# turns Ctrl-C into KeyboardInterrupt, so a test that sends SIGINT would wait in vain.
_WITH_DEFAULT_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def popen_interruptible(argv: list[str], **kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen(argv)`` that a SIGINT from the test stops, whatever the suite
    inherited (the executable is exec'd in place: ``proc.pid`` is its pid)."""
    return subprocess.Popen([sys.executable, "-c", _WITH_DEFAULT_SIGINT, *argv], **kwargs)


@pytest.fixture(scope="session")
def sandbox():
    """A sandbox Portal shared by the whole session (do not mutate its data; use `fresh_sandbox`)."""
    from portal_reports.sandbox import Sandbox

    with Sandbox(seed=SEED, end_month=END_MONTH, secret=SECRET) as sb:
        yield sb


@pytest.fixture(scope="module")
def month_data(sandbox):
    """acme-dental's MONTH (New York, no customers.toml), fetched once per test module over
    real HTTP from the shared sandbox."""
    from portal_reports.data.month import fetch_month
    from portal_reports.portal.client import PortalClient

    with PortalClient(base_url=sandbox.url, secret=SECRET, progress=False) as client:
        return fetch_month(MONTH, "acme-dental", client=client)


@pytest.fixture
def fresh_sandbox():
    """A private sandbox for tests that change data or inject faults."""
    from portal_reports.sandbox import Sandbox

    with Sandbox(seed=SEED, end_month=END_MONTH, secret=SECRET, months=3) as sb:
        yield sb


@pytest.fixture
def portal_env(monkeypatch, sandbox):
    """Point the environment (PORTAL_BASE_URL/PORTAL_SECRET) at the shared sandbox."""
    monkeypatch.setenv("PORTAL_BASE_URL", sandbox.url)
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.delenv("PORTAL_CUSTOMER_ID", raising=False)
    return sandbox


@pytest.fixture
def env(sandbox):
    """An environment for CLI subprocesses: the shared sandbox, no other PORTAL_/SMTP_ settings."""
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_"))}
    clean.update(PORTAL_BASE_URL=sandbox.url, PORTAL_SECRET=SECRET)
    return clean


@pytest.fixture
def client(sandbox):
    """A PortalClient for the shared sandbox, whole account."""
    from portal_reports.portal.client import PortalClient

    with PortalClient(base_url=sandbox.url, secret=SECRET, progress=False) as c:
        yield c
