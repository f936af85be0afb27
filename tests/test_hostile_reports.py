"""The whole run (real console script, kernels, HTML and PDF) against a hostile fake Portal
whose URL carries a user and password: every report is produced, says what it left out, shows
Portal text as text, and the URL's password is sent (Basic auth) but never written anywhere."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest
from hostile import HostileServer, fake_portal
from pypdf import PdfReader
from test_hostile_data import BAD_SESSIONS, GOOD, MONTH, PREVIOUS, SCRIPT, SECRET, hostile_info

USER, PASSWORD = "report-user", "Pa55-w0rd-Zx81"
NAME = "<b>Acme</b> $x^2$ & Co"


@pytest.mark.slow
def test_a_hostile_portal_behind_url_credentials(tmp_path):
    attributes = {
        "groups": ["business"],
        "attributes": [
            {"id": "a1", "idn": "business_name", "value": NAME, "group": "business"},
        ],
    }
    out = tmp_path / "reports"
    with HostileServer() as srv:
        fake_portal(srv, MONTH, GOOD + BAD_SESSIONS, hostile_info(), PREVIOUS, attributes)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_"))}
        env.update(
            PORTAL_BASE_URL=srv.url.replace("http://", f"http://{USER}:{PASSWORD}@"),
            PORTAL_SECRET=SECRET,
        )
        proc = subprocess.run(
            [sys.executable, "-m", "portal_reports", "run", "--month", MONTH]
            + ["--customer", "acme", "--out", str(out), "--workers", "2"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=240,
        )
        sent = [headers.get("Authorization") for _, _, headers, _ in srv.requests]
    assert proc.returncode == 0, proc.stderr
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert sent and set(sent) == {basic}  # the credentials went where the URL said

    run_dir = out / MONTH / "acme"
    files = sorted(p for p in run_dir.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"data.json", "manifest.json", "leads.pdf", "asr.html"}
    for path in files:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data and USER.encode() not in data, path
    for path in run_dir.glob("*.pdf"):
        metadata = json.dumps(dict(PdfReader(path).metadata), default=str)
        assert PASSWORD not in metadata and srv.url in metadata, path
    assert PASSWORD not in proc.stdout + proc.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["provenance"]["portal_base_url"] == srv.url
    assert manifest["status"] == "ok" and manifest["figures"]["sessions_total"] is None
    assert json.loads((run_dir / "data.json").read_text())["base_url"] == srv.url

    leads = (run_dir / "leads.html").read_text()
    assert "Data quality warning" in leads and "Data check passed" not in leads
    assert "Data check" in leads and "summary.sessions.total" in leads
    assert SCRIPT not in leads and "<b>Acme</b>" not in leads
    assert "&lt;b&gt;Acme&lt;/b&gt;" in leads
    for report in ("revenue", "asr"):
        assert "Data quality warning" in (run_dir / f"{report}.html").read_text()
