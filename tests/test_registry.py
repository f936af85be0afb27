"""The report registry: reports are discovered from notebooks, never listed in the code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from portal_reports.errors import ConfigError
from portal_reports.reports.registry import Registry, registry, report_title, title_from_name

ROOT = Path(__file__).resolve().parent.parent
PARAMS = "month = None\ncustomer_id = None\ndata_path = None"


def write_nb(folder: Path, name: str, *cells, metadata: dict | None = None) -> Path:
    nb = new_notebook(cells=list(cells))
    nb.metadata.update(metadata or {})
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return path


def params(source: str = PARAMS):
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return cell


def test_the_packages_reports_come_from_the_notebooks():
    reg = registry(ROOT / "notebooks")
    assert reg.names == ["leads", "revenue", "asr"]
    assert [r.title for r in reg.values()] == ["Leads report", "Revenue report", "ASR report"]
    assert all(r.parameters[:3] == ("month", "customer_id", "data_path") for r in reg.values())


def test_title_order_and_opt_out_come_from_each_notebook(tmp_path):
    write_nb(tmp_path, "b_heading", new_markdown_cell("Intro\n\n# Churn *watch*\n"), params())
    write_nb(
        tmp_path,
        "a_meta",
        new_markdown_cell("# Ignored heading"),
        params(),
        metadata={"portal_reports": {"title": "Weekly digest", "order": 5}},
    )
    write_nb(tmp_path, "c_named", params(), metadata={"portal_reports": {"order": 1}})
    write_nb(tmp_path, "scratch", params(), metadata={"portal_reports": {"report": False}})
    write_nb(tmp_path, "no_params", new_code_cell("x = 1"))
    write_nb(tmp_path, "other_params", params("customer_id = None"))
    write_nb(tmp_path, "_private", params())
    reg = Registry.discover(tmp_path)
    assert reg.names == ["c_named", "a_meta", "b_heading"]  # ordered first, then by name
    assert reg["a_meta"].title == "Weekly digest"
    assert reg["b_heading"].title == "Churn *watch*"
    assert reg["c_named"].title == "C named report"
    assert [r.name for r in reg.choose("b_heading, c_named")] == ["c_named", "b_heading"]


def test_unknown_report_lists_what_exists(tmp_path):
    write_nb(tmp_path, "leads", params())
    with pytest.raises(ConfigError, match=r"unknown report 'nope'.* are leads$"):
        Registry.discover(tmp_path).choose(["nope"])


def test_broken_and_empty_folders_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="no report notebooks"):
        Registry.discover(tmp_path)
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.ipynb cannot be read"):
        Registry.discover(tmp_path)
    with pytest.raises(ConfigError, match="not found"):
        Registry.discover(tmp_path / "missing")


def test_titles_without_metadata():
    assert title_from_name("asr") == "ASR report"
    assert title_from_name("revenue_by_channel") == "Revenue by channel report"
    assert title_from_name("") == "Report"
    nb = {"cells": [{"cell_type": "markdown", "source": ["## Sub\n", "# Top title ##\n"]}]}
    assert report_title(nb, "x") == "Top title"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    code = "from portal_reports.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_cli_choices_and_list_parameters_read_the_registry(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    write_nb(folder, "summary", new_markdown_cell("# Summary"), params())
    listed = cli("run", "--notebooks", str(folder), "--list-parameters", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0] == "summary.ipynb  (Summary)"
    assert "month" in listed.stdout and "data_path" in listed.stdout
    wrong = cli("run", "--notebooks", str(folder), "--report", "leads", cwd=tmp_path)
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines() == [
        f"Error: unknown report 'leads': the reports in {folder} are summary"
    ]
    default = cli("run", "--list-parameters", cwd=tmp_path)
    assert [line.split()[0] for line in default.stdout.splitlines() if ".ipynb" in line] == [
        "leads.ipynb",
        "revenue.ipynb",
        "asr.ipynb",
    ]


def _processes_mentioning(text: str) -> list[int]:
    """Processes whose command line or environment holds ``text``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        for name in ("cmdline", "environ"):
            try:
                if text.encode() in Path(f"/proc/{entry}/{name}").read_bytes():
                    found.append(int(entry))
                    break
            except OSError:
                pass
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_broken_template_stops_the_run_in_one_line_and_leaves_nothing_running(tmp_path):
    """The template is compiled while the workers start: a broken one stops the run before
    anything is fetched, and the workers and kernels started meanwhile are gone with it."""
    templates = tmp_path / "templates" / "portal"
    templates.mkdir(parents=True)
    (templates / "conf.json").write_text(json.dumps({"base_template": "base"}))
    (templates / "index.html.j2").write_text("{% extends 'base/index.html.j2' %}{% block x %}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PORTAL_REPORTS_TEMPLATES"] = str(tmp_path / "templates")
    marker = tmp_path / "tmp"  # workers and kernels inherit it: their environment names it
    marker.mkdir()
    env["TMPDIR"] = str(marker)
    code = "from portal_reports.cli import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "run", "--month", "2026-09", "--out", str(tmp_path / "out")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2  # bad input, the README's exit code for it
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        "Error: report template 'portal' cannot be loaded: templates/portal/index.html.j2, "
        "line 1: Unexpected end of template. Jinja was looking for the following tags: "
        "'endblock'. The innermost block that needs to be closed is 'block'."
    ], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()  # nothing fetched or written
    deadline = time.monotonic() + 10  # a kernel whose worker was killed exits within ~1 s
    while _processes_mentioning(str(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_mentioning(str(marker)) == []


def test_a_syntax_error_in_the_projects_template_names_its_file_and_line(tmp_path, monkeypatch):
    """The user's template (a project's templates/ override the package's): its file and line,
    and exit 2 (bad input); the package's template, extended, is not blamed."""
    from portal_reports.cli import exit_code_for
    from portal_reports.errors import ExportError, TemplateError
    from portal_reports.publish.export import check_templates

    portal = tmp_path / "templates" / "portal"
    portal.mkdir(parents=True)
    (portal / "conf.json").write_text(json.dumps({"base_template": "base"}))
    (portal / "index.html.j2").write_text(
        "{% extends 'base/index.html.j2' %}\n"
        "{% block title %}\n"
        "<title>{{ (resources.get('title'} or 'x') }}</title>\n"
        "{% endblock %}\n"
    )
    monkeypatch.setenv("PORTAL_REPORTS_TEMPLATES", str(tmp_path / "templates"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TemplateError) as caught:
        check_templates()
    assert str(caught.value) == (
        "report template 'portal' cannot be loaded: templates/portal/index.html.j2, line 3: "
        "unexpected '}', expected ')'"
    )
    assert exit_code_for(caught.value) == 2
    assert isinstance(caught.value, ExportError)  # as before, for callers catching it
