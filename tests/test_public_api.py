"""The public API: every name in ``portal_reports.__all__`` resolves, and importing the package
(as the command line and every worker process do) loads neither pandas nor requests."""

from __future__ import annotations

import subprocess
import sys

import portal_reports


def test_every_public_name_resolves_and_is_listed():
    for name in portal_reports.__all__:
        assert getattr(portal_reports, name) is not None, name
        assert name in dir(portal_reports)
    from portal_reports.data.month import MonthData
    from portal_reports.portal.client import PortalClient

    assert portal_reports.PortalClient is PortalClient and portal_reports.MonthData is MonthData


def test_importing_the_package_or_the_command_line_stays_light():
    code = (
        "import sys, portal_reports, portal_reports.cli, portal_reports.publish.executors\n"
        "heavy = [m for m in ('pandas', 'requests', 'matplotlib', 'papermill') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
