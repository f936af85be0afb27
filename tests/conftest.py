"""Shared fixtures: a real sandbox Portal on an ephemeral loopback port, and clients for it."""

from __future__ import annotations

import pytest

# Fixed data for every test: the sandbox's history ends with END_MONTH; MONTH is a full past month.
END_MONTH = "2026-10"
MONTH = "2026-09"
SEED = 7
SECRET = "test-secret-Zq8f3K1vX9"  # grepped for in every output file and log: must never appear


@pytest.fixture(scope="session")
def sandbox():
    """A sandbox Portal shared by the whole session (do not mutate its data; use `fresh_sandbox`)."""
    from portal_reports.sandbox import Sandbox

    with Sandbox(seed=SEED, end_month=END_MONTH, secret=SECRET) as sb:
        yield sb


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
