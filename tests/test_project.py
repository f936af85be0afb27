"""Reports projects: `init`, a fourth report dropped in, `.env` found from notebooks/, the wheel."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from email import policy
from email.parser import BytesParser
from pathlib import Path

import nbformat
import pytest
from conftest import END_MONTH, MONTH, SECRET
from nbformat.v4 import new_code_cell, new_markdown_cell

from portal_reports.dates import format_utc
from portal_reports.lab import lab_command, strip_outputs_pre_save
from portal_reports.period import ReportMonth
from portal_reports.project import Project

ROOT = Path(__file__).resolve().parent.parent
CUSTOMER = "acme-dental"
ENTRY = "from portal_reports.cli import main; main()"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_", "MAIL_"))}
    env.update(extra)
    return env


def cli(*args: str, cwd: Path, env: dict[str, str], python: str = sys.executable):
    return subprocess.run(
        [python, "-c", ENTRY, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def project(tmp_path):
    proc = cli("init", "myreports", cwd=tmp_path, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "myreports"


def test_init_writes_a_project_with_copies_of_the_reports(project, tmp_path):
    files = {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}
    assert files == {
        "customers.toml",
        ".env.example",
        ".gitignore",
        "Makefile",
        "README.md",
        "templates/README.md",
        "notes/README.md",
        "notebooks/leads.ipynb",
        "notebooks/revenue.ipynb",
        "notebooks/asr.ipynb",
    }
    assert (project / "notebooks" / "leads.ipynb").read_bytes() == (
        ROOT / "notebooks" / "leads.ipynb"
    ).read_bytes()
    assert "@" not in (project / "Makefile").read_text().split("PORTAL_REPORTS ?=")[1].split()[0]
    assert ".env" in (project / ".gitignore").read_text().split()
    assert Project.find(project / "notebooks").root == project
    again = cli("init", "myreports", cwd=tmp_path, env=clean_env())
    assert again.returncode == 2
    assert again.stderr.strip() == (
        "Error: cannot create a project in myreports: it exists and is not empty"
    )


def test_init_customers_toml_loads_with_every_example_uncommented(project):
    """Uncommenting the example lines as written gives a valid file: each commented key sits in
    the block of the table it belongs to (review under [defaults], not under [defaults.brand])."""
    from portal_reports.customers import CustomersConfig
    from portal_reports.plan import load_plans

    path = project / "customers.toml"
    text = path.read_text()
    example = re.compile(r"^# (?=\[[\w.-]+\]\s*(#.*)?$|[a-z_]+ = )", re.MULTILINE)
    assert "# review = true" in text and "# [defaults.brand]" in text
    path.write_text(example.sub("", text))
    (project / "brand").mkdir()
    (project / "brand" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')

    config = CustomersConfig.load(path, required=True)
    assert config.defaults.brand.accent == "#1d4e89"
    assert config.defaults.brand.logo is not None
    assert config.defaults.currency == "USD"
    assert "all" in config.customers
    assert load_plans(path).for_customer("acme-dental").review is True


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_the_projects_make_email_echoes_one_command_line(project):
    for extra in ([], ["MONTH=2026-10", "CUSTOMER=acme-dental"]):
        proc = subprocess.run(  # run by `make test`: a sub-make would name its directory
            ["make", "--no-print-directory", "-n", "email", "PORTAL_REPORTS=portal-reports"]
            + extra,
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines() == [
            "portal-reports email --reports-dir reports"
            + (" --month 2026-10 --customer acme-dental" if extra else "")
        ]


def test_pre_save_hook_strips_outputs_of_report_notebooks_only():
    def model():
        cell = {"cell_type": "code", "source": "1", "outputs": [{"x": 1}], "execution_count": 3}
        return {"type": "notebook", "content": {"cells": [cell], "metadata": {}}}

    saved = model()
    strip_outputs_pre_save(saved, path="notebooks/leads.ipynb", contents_manager=None)
    cell = saved["content"]["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None
    elsewhere = model()
    strip_outputs_pre_save(elsewhere, path="scratch/play.ipynb", contents_manager=None)
    assert elsewhere["content"]["cells"][0]["outputs"] == [{"x": 1}]


def test_lab_runs_on_the_project_root_and_allows_root(tmp_path):
    command = lab_command(tmp_path, ["--no-browser"])
    assert f"--ServerApp.root_dir={tmp_path}" in command
    assert "--ContentsManager.pre_save_hook=portal_reports.lab.strip_outputs_pre_save" in command
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    assert command[-1] == "--no-browser"


SUMMARY_SETUP = """from portal_reports.reports import kit

report = kit.setup(month, customer_id, data_path)"""


def add_summary_report(project: Path) -> None:
    title = new_markdown_cell("# Summary report")
    title.metadata["tags"] = ["remove"]
    params = new_code_cell("month = None\ncustomer_id = None\ndata_path = None")
    params.metadata["tags"] = ["parameters"]
    setup = new_code_cell(SUMMARY_SETUP)
    setup.metadata["tags"] = ["remove"]
    nb = nbformat.v4.new_notebook(
        cells=[
            title,
            params,
            setup,
            new_markdown_cell("## The month in two figures"),
            new_code_cell('report.headline("sessions", "revenue")'),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, str(project / "notebooks" / "summary.ipynb"))


@pytest.mark.slow
def test_a_notebook_dropped_into_a_project_is_a_fourth_report(project, sandbox):
    add_summary_report(project)
    env = clean_env(PORTAL_BASE_URL=sandbox.url, PORTAL_SECRET=SECRET)
    where = project / "notebooks"  # commands work from anywhere inside the project
    run = cli("run", "--customer", CUSTOMER, "--month", MONTH, cwd=where, env=env)
    assert run.returncode == 0, run.stderr
    run_dir = project / "reports" / MONTH / CUSTOMER
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert [r["name"] for r in manifest["reports"]] == ["leads", "revenue", "asr", "summary"]
    assert {"name": "summary", "title": "Summary report"} in manifest["reports"]
    assert manifest["data_source"] == "portal"
    outputs = {(o["report"], o["format"]) for o in manifest["outputs"]}
    assert {("summary", "html"), ("summary", "pdf")} <= outputs
    html = (run_dir / "summary.html").read_text(encoding="utf-8")
    assert "Summary report" in html and "kpi-value" in html
    assert 'class="sandbox-banner"' not in html

    mail = cli("email", "--dry-run", "--month", MONTH, "--customer", CUSTOMER, cwd=where, env=env)
    assert mail.returncode == 0, mail.stdout + mail.stderr
    eml = project / "reports" / MONTH / "outbox" / f"{CUSTOMER}.eml"
    msg = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    names = sorted(p.get_filename() for p in msg.iter_attachments())
    assert names == sorted(
        f"Acme Dental Care - {t} - September 2026.pdf"
        for t in ("Leads report", "Revenue report", "ASR report", "Summary report")
    )
    assert "Summary report" in msg.get_body(("plain",)).get_content()


@pytest.mark.slow
def test_a_notebook_run_from_notebooks_reads_the_projects_env(project, tmp_path):
    """Kernel cwd = project/notebooks, .env in the project root: that Portal, not the sandbox."""
    from portal_reports.sandbox import Sandbox

    own_secret = "second-portal-secret-7Hq2"
    with Sandbox(seed=11, end_month=END_MONTH, months=2, secret=own_secret) as second:
        (project / ".env").write_text(
            f"PORTAL_BASE_URL={second.url}\nPORTAL_SECRET={own_secret}\n", encoding="utf-8"
        )
        period = ReportMonth.parse(MONTH, "America/New_York")  # acme-dental's own month
        with second.connect() as db:
            (expected,) = db.execute(
                "SELECT count(*) FROM sessions WHERE customer_id = ? AND created_at BETWEEN ? AND ?",
                (CUSTOMER, format_utc(period.start_utc), format_utc(period.end_utc)),
            ).fetchone()
        out = tmp_path / "executed.ipynb"
        proc = subprocess.run(
            [sys.executable, "-m", "papermill", "leads.ipynb", str(out)]
            + ["-p", "month", MONTH, "-p", "customer_id", CUSTOMER, "--cwd", "."],
            cwd=project / "notebooks",
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert any(p.startswith("/api/v1/bff/sessions") for _, p, _ in second.requests), (
            second.requests[:3]
        )
    nb = nbformat.read(str(out), as_version=4)
    html = "".join(
        o.get("data", {}).get("text/html", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    found = re.search(r'kpi-label">Sessions</div><div class="kpi-value">([^<]+)<', html)
    assert found and found.group(1) == f"{expected:,}"
    assert 'class="sandbox-banner"' not in html  # a configured Portal is not demo data
    assert own_secret not in out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_wheel_works_from_an_empty_folder(sandbox, tmp_path):
    """Build the wheel, install it into a fresh venv, run a report from an empty folder."""
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["-q", "-w", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("portal_reports-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in (
        "portal_reports/_resources/notebooks/leads.ipynb",
        "portal_reports/_resources/templates/portal/index.html.j2",
        "portal_reports/_resources/templates/email/body.html.j2",
        "portal_reports/_resources/templates/project/customers.toml",
    ):
        assert shipped in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # the dependencies come from the test environment (appended after the venv's own
    # site-packages), the package itself only from the wheel
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run(
        [python, "-c", "import portal_reports.resources as r; print(r.default_notebooks_dir())"],
        cwd=empty,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(site) and where.endswith("_resources/notebooks")

    # nbconvert's base templates are data files under the environment's share/jupyter
    share = Path(sysconfig.get_paths()["data"], "share", "jupyter")
    env = clean_env(PORTAL_BASE_URL=sandbox.url, PORTAL_SECRET=SECRET, JUPYTER_PATH=str(share))
    listed = cli("run", "--list-parameters", cwd=empty, env=env, python=python)
    assert listed.returncode == 0 and "leads.ipynb  (Leads report)" in listed.stdout
    run = cli(
        "run", "--customer", CUSTOMER, "--month", MONTH, "--report", "leads", "--format", "pdf",
        cwd=empty, env=env, python=python,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    run_dir = empty / "reports" / MONTH / CUSTOMER
    assert (run_dir / "leads.pdf").stat().st_size > 10_000
    converted = subprocess.run(
        [python, "-m", "nbconvert", "--to", "portal_html", str(run_dir / "leads.ipynb")],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert converted.returncode == 0, converted.stderr
    assert "kpi-value" in (run_dir / "leads.html").read_text(encoding="utf-8")
    made = cli("init", "proj", cwd=empty, env=env, python=python)
    assert made.returncode == 0 and (empty / "proj" / "notebooks" / "asr.ipynb").is_file()
