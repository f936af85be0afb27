"""The runner end to end: real notebooks, real kernels, real PDFs, against the sandbox."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from conftest import MONTH, SECRET
from pypdf import PdfReader

from portal_reports._io import sha256_file
from portal_reports.reports.registry import registry

ROOT = Path(__file__).resolve().parent.parent
CUSTOMER = "acme-dental"
REPORTS = registry(ROOT / "notebooks").names
# No customers.toml where the run happens: acme-dental's time_zone attribute (New York) rules
PERIOD = {
    "month": MONTH,
    "time_zone": "America/New_York",
    "from_datetime": "2026-09-01T04:00:00Z",
    "to_datetime": "2026-10-01T03:59:59Z",
    "label": "September 2026 \u00b7 New York time",
}
CODE_MARKERS = ("import ", "load_month", "def ", "portal_reports", "In [", "data_path")


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess (logs captured as a user sees them)."""
    code = "from portal_reports.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def sandbox_env(sandbox):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_"))}
    env.update(PORTAL_BASE_URL=sandbox.url, PORTAL_SECRET=SECRET)
    return env


@pytest.fixture(scope="module")
def run(sandbox_env, tmp_path_factory):
    """One full run: the three reports of one customer-month, HTML and PDF."""
    out = tmp_path_factory.mktemp("reports")
    proc = cli(
        "run", "--month", MONTH, "--customer", CUSTOMER, "--out", str(out), env=sandbox_env, cwd=out
    )
    assert proc.returncode == 0, proc.stderr
    run_dir = out / MONTH / CUSTOMER
    manifest = json.loads((run_dir / "manifest.json").read_text())
    return {"proc": proc, "out": out, "dir": run_dir, "manifest": manifest}


def sql_figures(sandbox, customer: str, start: str, end: str) -> dict[str, float]:
    """The figures of a UTC range computed independently, in SQL on the sandbox's database."""
    with sandbox.connect() as db:
        row = db.execute(
            """SELECT count(*), coalesce(sum(is_lead), 0), round(coalesce(sum(revenue), 0), 2),
                      round(coalesce(sum(asr_amount), 0), 2),
                      round(coalesce(sum(opportunity_value), 0), 2), coalesce(sum(units), 0)
               FROM sessions WHERE customer_id = ? AND created_at BETWEEN ? AND ?""",
            (customer, start, end),
        ).fetchone()
    keys = [
        "sessions_total",
        "leads_total",
        "revenue_total",
        "asr_total",
        "opportunity_value_total",
        "units_total",
    ]
    return dict(zip(keys, row, strict=True))


def test_manifest_figures_equal_the_database(run, sandbox):
    figures = run["manifest"]["figures"]
    expected = sql_figures(sandbox, CUSTOMER, PERIOD["from_datetime"], PERIOD["to_datetime"])
    for key, value in expected.items():
        assert figures[key] == pytest.approx(value, abs=0.01), key
    assert figures["sessions_listed"] == expected["sessions_total"]
    assert expected["sessions_total"] > 100  # the month is not trivially empty


def test_manifest_lists_every_output_with_its_hash(run):
    manifest = run["manifest"]
    assert manifest["month"] == MONTH and manifest["customer"] == CUSTOMER
    assert manifest["status"] == "ok" and manifest["failed_reports"] == []
    assert manifest["period"] == PERIOD  # the customer's month: its zone and UTC range
    assert (manifest["locale"], manifest["currency"], manifest["accent"]) == ("en_US", None, None)
    pairs = {(o["report"], o["format"]) for o in manifest["outputs"]}
    assert {(r, f) for r in REPORTS for f in ("html", "pdf")} <= pairs
    for output in manifest["outputs"]:
        assert sha256_file(run["dir"] / output["path"]) == output["sha256"]
    prov = manifest["provenance"]
    assert prov["package_version"] and prov["data_sha256"] == sha256_of_data(run["dir"])
    assert prov["parameters"]["month"] == MONTH and prov["portal_base_url"].startswith(
        "http://127."
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["generated_at"])


def test_key_chart_is_the_months_sessions_and_leads(run):
    """chart.png is the key chart of the month data saved beside it."""
    from portal_reports.data.month import MonthData
    from portal_reports.reports.charts import key_chart_bytes

    data = MonthData.load(run["dir"] / "data.json")
    assert (run["dir"] / "chart.png").read_bytes() == key_chart_bytes(data)


class _Answering:
    """An executor that answers each job at once with what ``reply`` makes of it (the
    runner's side of the contract: which jobs ask for the key chart, what it writes)."""

    name = "answering"

    def __init__(self, reply):
        self.jobs, self.reply = [], reply

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def start(self):
        return None

    def submit(self, job):
        from concurrent.futures import Future

        from portal_reports.publish.jobs import JobResult

        self.jobs.append(job)
        future = Future()
        result = JobResult(
            job.key, job.report, job.customer, b"{}", dict.fromkeys(job.formats, b"x")
        )
        result.key_chart = self.reply(job)
        future.set_result(result)
        return future

    def as_completed(self, futures):
        return iter(list(futures))


@pytest.mark.parametrize("drawn", [b"\x89PNG drawn on the worker", None])
def test_one_job_per_month_draws_the_key_chart_and_the_runner_keeps_it(
    sandbox, tmp_path, monkeypatch, drawn
):
    """Exactly one job of each customer-month asks for the key chart; what the worker drew is
    written as chart.png byte for byte; when no worker drew one, the runner draws it."""
    from portal_reports.data.month import MonthData
    from portal_reports.portal.client import PortalClient
    from portal_reports.publish import executors
    from portal_reports.publish.runner import run_reports
    from portal_reports.reports.charts import key_chart_bytes

    pool = _Answering(lambda job: drawn if job.key_chart else b"not asked for")
    monkeypatch.setattr(executors, "make_executor", lambda *a, **k: pool)
    customers = [CUSTOMER, "bistro-ca-va"]
    with PortalClient(base_url=sandbox.url, secret=SECRET, progress=False) as client:
        runs = run_reports(MONTH, customers, out_dir=tmp_path, formats="html", client=client)
    assert all(r.ok for r in runs)
    asking = sorted((j.customer, j.report) for j in pool.jobs if j.key_chart)
    assert asking == sorted((c, REPORTS[0]) for c in customers)  # fetches finish in any order
    for customer in customers:
        folder = tmp_path / MONTH / customer
        chart = (folder / "chart.png").read_bytes()
        expected = drawn or key_chart_bytes(MonthData.load(folder / "data.json"))
        assert chart == expected


def sha256_of_data(run_dir: Path) -> str:
    from portal_reports.data.month import load_month

    return load_month(MONTH, CUSTOMER, run_dir / "data.json").sha256


def test_pdfs_have_pages_headline_figures_and_no_code(run):
    figures = run["manifest"]["figures"]
    texts = {}
    for report in REPORTS:
        reader = PdfReader(run["dir"] / f"{report}.pdf")
        assert len(reader.pages) >= 1
        text = "\n".join(page.extract_text() for page in reader.pages)
        texts[report] = text
        for marker in CODE_MARKERS:
            assert marker not in text, (report, marker)
        assert "Traceback" not in text and "Warning" not in text
        assert "Acme Dental Care" in text
        assert "September 2026 \u00b7 New York time" in text
        assert re.search(r"Page 1 of \d+", text)
        meta = reader.metadata
        assert meta.title
        assert json.loads(meta["/Provenance"]) == run["manifest"]["provenance"], report
    assert f"{figures['sessions_total']:,}" in texts["leads"]
    assert f"{figures['leads_total']:,}" in texts["leads"]
    assert f"{figures['revenue_total']:,.2f}" in texts["revenue"]


def test_html_has_no_input_cells(run):
    for report in REPORTS:
        html = (run["dir"] / f"{report}.html").read_text()
        assert "jp-InputArea" not in html and "input_area" not in html
        assert "load_month" not in html and "data_path" not in html
        assert 'src="data:image/' in html  # charts are embedded


def test_chart_text_is_text_in_the_embedded_font(run):
    """Notebook, HTML and PDF carry the same chart SVGs: labels as text, DejaVu embedded for
    viewers (JupyterLab, browsers), given to WeasyPrint once per PDF."""
    import base64

    nb = nbformat.read(run["dir"] / "leads.ipynb", as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    svgs = [o["data"]["image/svg+xml"] for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 3
    for svg in svgs:
        assert "<text" in svg and "@font-face{font-family:'DejaVu Sans'" in svg
    html = (run["dir"] / "leads.html").read_text()
    charts = [
        base64.b64decode(u).decode()
        for u in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)
    ]
    assert len(charts) > len(svgs)  # displayed charts plus those inside HTML blocks (trend)
    assert all("@font-face" in c and "<text" in c for c in charts)
    reader = PdfReader(run["dir"] / "leads.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    for label in ("Sessions per day", "Leads per session (%)", "Lead", "Not a lead"):
        assert label in text  # chart axis labels and legends: text in the PDF, not outlines


def test_secret_appears_in_no_output(run):
    assert SECRET not in run["proc"].stdout + run["proc"].stderr
    files = [p for p in run["out"].rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".ipynb", ".html", ".pdf", ".json", ".png"}
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path
        if path.suffix == ".pdf":  # PDF streams are compressed: check the text and metadata too
            reader = PdfReader(path)
            text = "".join(page.extract_text() for page in reader.pages) + str(reader.metadata)
            assert SECRET not in text, path


def test_no_temporary_files_left(run):
    assert not [p for p in run["out"].rglob("*.tmp")]
    assert not [p for p in run["out"].rglob(".*") if p.is_file()]


def test_executed_notebooks_carry_header_metadata(run):
    nb = nbformat.read(run["dir"] / "leads.ipynb", as_version=4)
    meta = nb.metadata["portal_reports"]
    assert meta["customer_name"] == "Acme Dental Care" and meta["month"] == MONTH
    assert meta["time_zone"] == "America/New_York" and meta["locale"] == "en_US"
    params = nb.metadata["papermill"]["parameters"]
    assert set(params) == {"month", "customer_id", "data_path"}


def test_bad_month_is_one_line_error_before_any_kernel(sandbox_env, tmp_path):
    proc = cli("run", "--month", "2024-13", "--out", str(tmp_path), env=sandbox_env, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "2024-13" in lines[0] and "YYYY-MM" in lines[0]
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("option", "value", "accepted"),
    [("--report", "leads,profit", "leads, revenue, asr"), ("--format", "docx", "html, pdf")],
)
def test_unknown_report_or_format_lists_what_is_accepted(
    sandbox_env, tmp_path, option, value, accepted
):
    proc = cli("run", option, value, "--out", str(tmp_path), env=sandbox_env, cwd=tmp_path)
    assert proc.returncode == 2
    assert accepted in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_unknown_customer_is_a_clear_error(sandbox_env, tmp_path):
    proc = cli(
        "run", "--customer", "no-such-co", "--out", str(tmp_path), env=sandbox_env, cwd=tmp_path
    )
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "no-such-co" in errors[0]
    assert "Traceback" not in proc.stderr and SECRET not in proc.stderr


def test_wrong_secret_is_a_clear_error(sandbox_env, tmp_path):
    env = {**sandbox_env, "PORTAL_SECRET": "wrong-" + SECRET}
    proc = cli("run", "--customer", CUSTOMER, "--out", str(tmp_path), env=env, cwd=tmp_path)
    assert proc.returncode == 3
    assert "401" in proc.stderr and SECRET not in proc.stderr


def test_list_parameters_shows_defaults_and_help(sandbox_env, tmp_path):
    proc = cli("run", "--list-parameters", env=sandbox_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for report in REPORTS:
        assert f"{report}.ipynb" in proc.stdout
    assert (
        "month" in proc.stdout
        and "customer_id" in proc.stdout
        and "previous calendar month" in proc.stdout
    )
    assert "secret" not in proc.stdout.lower()


@pytest.fixture
def broken_notebooks(tmp_path):
    """The real leads/revenue notebooks beside an asr notebook that fails in its third cell."""
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    for report in ("leads", "revenue"):
        shutil.copy(ROOT / "notebooks" / f"{report}.ipynb", nb_dir)
    nb = nbformat.read(ROOT / "notebooks" / "asr.ipynb", as_version=4)
    failing = nbformat.v4.new_code_cell("raise ValueError('ASR source unavailable')")
    nb.cells.insert(2, failing)
    nbformat.write(nb, nb_dir / "asr.ipynb")
    return nb_dir


def test_failing_notebook_is_reported_and_others_finish(sandbox_env, tmp_path, broken_notebooks):
    out = tmp_path / "out"
    proc = cli(
        "run",
        "--month",
        MONTH,
        "--customer",
        CUSTOMER,
        "--format",
        "html",
        "--out",
        str(out),
        "--notebooks",
        str(broken_notebooks),
        env=sandbox_env,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "'asr'" in proc.stderr and "cell" in proc.stderr
    assert "ValueError: ASR source unavailable" in proc.stderr
    assert re.search(r"acme-dental\s+FAILED\s+2/3", proc.stdout)  # the final table
    run_dir = out / MONTH / CUSTOMER
    assert (run_dir / "asr.ipynb").is_file()  # kept for debugging
    assert not (run_dir / "asr.html").exists() and not (run_dir / "asr.pdf").exists()
    assert (run_dir / "leads.html").is_file() and (run_dir / "revenue.html").is_file()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert [f["report"] for f in manifest["failed_reports"]] == ["asr"]
    assert {o["report"] for o in manifest["outputs"]} == {"leads", "revenue", "chart"}


@pytest.mark.parametrize(
    ("manifest", "work"),
    [
        (None, True),  # never run, or interrupted before the manifest
        ("{not json", True),
        (json.dumps({"status": "failed", "failed_reports": []}), True),
        (json.dumps({"status": "ok", "failed_reports": [{"report": "asr"}]}), True),
        (json.dumps({"status": "ok", "failed_reports": []}), False),  # maybe current: fetch tells
    ],
)
def test_workers_start_early_for_months_that_failed_or_never_finished(tmp_path, manifest, work):
    from portal_reports.publish.runner import _has_work

    if manifest is not None:
        (tmp_path / "manifest.json").write_text(manifest)
    assert _has_work(tmp_path) is work


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_process_that_exited_but_was_not_reaped_is_not_alive(tmp_path):
    """A killed run's workers stay zombies until init reaps them: their temporary folders
    (kernel connection files, month data) are stale at once, not when init gets round to it."""
    from portal_reports._io import pid_alive, remove_stale_temp_dirs

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    prefix = f"portal-reports-test-{os.getpid()}-{time.monotonic_ns()}-"
    stale = Path(tempfile.gettempdir()) / f"{prefix}{child.pid}-tmp-x"
    try:
        deadline = time.monotonic() + 10
        stat = Path(f"/proc/{child.pid}/stat")
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline, "the child never exited"
            time.sleep(0.05)
        stale.mkdir()
        assert not pid_alive(child.pid)  # a zombie: exited, not yet reaped
        assert remove_stale_temp_dirs(prefix) == [stale] and not stale.exists()
    finally:
        child.wait()
        shutil.rmtree(stale, ignore_errors=True)
    assert pid_alive(os.getpid())
