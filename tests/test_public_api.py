"""The public API: every name in ``portal_reports.__all__`` resolves, and importing the package
(as the command line and every worker process do) loads neither pandas nor requests."""

from __future__ import annotations

import os
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


def test_nbformat_loads_without_importing_rfc3987_syntax_yet_iri_checks_still_work(tmp_path):
    """jsonschema imports rfc3987_syntax when installed (JupyterLab installs it), and that module
    compiles a Lark grammar on import; our processes defer it to its first use. A stand-in
    module on the path says when it is imported."""
    module = tmp_path / "rfc3987_syntax"
    module.mkdir()
    (module / "__init__.py").write_text(
        "print('imported')\ndef is_valid_syntax(term, value):\n    return ' ' not in value\n"
    )
    code = (
        "import sys, importlib.util, portal_reports.publish.export, nbformat, nbconvert\n"
        "import papermill, rfc3987_syntax\n"
        "assert importlib.util.find_spec('rfc3987_syntax').origin == rfc3987_syntax.__file__\n"
        "print('loaded')\n"
        "from jsonschema import Draft202012Validator as V\n"
        "v = V({'format': 'iri'}, format_checker=V.FORMAT_CHECKER)\n"
        "print(v.is_valid('http://example.org/'), v.is_valid('http://ex ample'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["loaded", "imported", "True", "False"]


def test_a_deferred_module_that_is_missing_or_loaded_is_left_alone():
    from portal_reports._lazy import defer_import

    defer_import("no_such_module_here", ("f",))
    assert "no_such_module_here" not in sys.modules
    defer_import("json", ("loads",))
    import json

    assert json.loads("[1]") == [1] and hasattr(json, "__file__")
