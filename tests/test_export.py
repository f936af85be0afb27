"""Export layer: the ``portal`` template as HTML and WeasyPrint PDF, from a really executed notebook."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pypdf
import pytest

from portal_reports.errors import ExportError
from portal_reports.publish.export import (
    PortalHTMLExporter,
    export_formats,
    export_notebook,
    render_html,
    report_header,
    templates_dir,
)
from portal_reports.resources import default_templates_dir

pytestmark = pytest.mark.slow

SHOWCASE = Path(__file__).parent / "notebooks" / "export_showcase.ipynb"
NOT_A_NOTEBOOK = Path(__file__).parent / "notebooks" / "not_a_notebook.ipynb"
PROVENANCE = {
    "package_version": "0.1.0",
    "git_commit": "abc123",
    "parameters": {"month": "2026-10", "customer_id": "autohaus-mueller"},
    "portal_base_url": "http://127.0.0.1:1",
    "fetched_at": "2026-11-24T16:59:00Z",
    "data_sha256": "f" * 64,
}
METADATA = {
    "title": "Leads report",
    "report": "leads",
    "customer_id": "autohaus-mueller",
    "customer_name": "Autohaus Müller & Söhne",
    "month": "2026-10",
    "month_label": "October 2026",
    "generated_at": "2026-11-24T17:00:00Z",
    "provenance": PROVENANCE,
}
# Text that is in the notebook's code, stderr, warnings, tracebacks or hidden cells, never in a report.
NEVER_SHOWN = [
    "import ",
    "def ",
    "In [",
    "In&nbsp;[",
    "Out[",
    "month = ",
    "customer_id =",
    "param-default-7Q",
    "SENTINEL-WARNING-TEXT",
    "UserWarning",
    "SENTINEL-STDERR-TEXT",
    "SENTINEL-TRACEBACK-TEXT",
    "Traceback",
    "SENTINEL-REMOVED-CELL",
    "SENTINEL-HIDDEN-CELL",
    "Line2D",
    "<Figure size",
    "An Exception was encountered",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> Path:
    """The showcase notebook run by papermill on the real python3 kernel (its last cell fails)."""
    out = tmp_path_factory.mktemp("executed") / "showcase.ipynb"
    with pytest.raises(papermill.PapermillExecutionError, match="SENTINEL-TRACEBACK-TEXT"):
        papermill.execute_notebook(
            str(SHOWCASE),
            str(out),
            parameters={"month": "2026-10", "customer_id": "autohaus-mueller"},
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
        )
    nb = nbformat.read(out, as_version=4)
    tags = {t for c in nb.cells for t in c.metadata.get("tags", [])}
    assert {"parameters", "injected-parameters", "papermill-error-cell-tag"} <= tags
    return out


@pytest.fixture(scope="module")
def exported(executed, tmp_path_factory) -> dict[str, Path]:
    out_dir = tmp_path_factory.mktemp("exported")
    nb = nbformat.read(executed, as_version=4)
    written = export_formats(nb, ["html", "pdf"], out_dir, "leads", metadata=METADATA)
    assert "portal_reports" not in nb.metadata  # the caller's notebook is left as it was
    return written


def _pdf_text(path: Path) -> tuple[pypdf.PdfReader, list[str]]:
    reader = pypdf.PdfReader(path)
    return reader, [page.extract_text() for page in reader.pages]


def test_html_shows_outputs_and_header_only(exported):
    html = exported["html"].read_text(encoding="utf-8")
    for text in NEVER_SHOWN:
        assert text not in html, text
    assert "<script" not in html
    assert "Autohaus Müller &amp; Söhne" in html
    assert '<h1 class="report-title">Leads report</h1>' in html
    assert "October 2026" in html and "Generated November 24, 2026" in html
    assert '<div class="kpis">' in html and "$12,345.50" in html
    assert "Data fetched: 80 sessions." in html  # stdout is kept
    assert "Raw HTML footnote." in html
    assert '<div class="callout">' in html


def test_html_is_self_contained_with_clean_tables(exported):
    html = exported["html"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']https?:""", html)
    assert "<link" not in html
    assert html.count('src="data:image/png;base64,') == 2  # daily chart + line plot
    assert html.count('src="data:image/svg+xml;base64,') == 1
    assert "string-set: doc-title" in html  # CSS inlined
    rows = re.findall(r"<td[^>]*>S-(\d{4})</td>", html)
    assert rows == [f"{i:04d}" for i in range(80)]
    assert "<th>0</th>" not in html and "<th>79</th>" not in html  # RangeIndex dropped
    assert re.search(r'<td class="num">\d', html) and '<th class="num">Revenue</th>' in html
    assert '<td class="text">chat</td>' in html


def test_pdf_pages_text_and_metadata(exported):
    reader, pages = _pdf_text(exported["pdf"])
    assert len(pages) > 1
    text = "\n".join(pages)
    for figure in ("1,234", "321", "$12,345.50", "456.78"):
        assert figure in text
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert "Leads report" in pages[0] and "October 2026" in pages[0]
    assert "Autohaus Müller & Söhne" in pages[1]  # running header on later pages
    for needle in NEVER_SHOWN:
        assert needle not in text, needle
    # Every row of the 80-row table once, none cut between pages; the header row repeats.
    assert sorted(re.findall(r"S-(\d{4})", text)) == [f"{i:04d}" for i in range(80)]
    assert sum("Session Channel Messages Revenue" in p for p in pages) >= 2
    info = reader.metadata
    assert info["/Title"] == "Leads report \u2014 Autohaus Müller & Söhne \u2014 October 2026"
    assert info["/Author"] == "portal-reports"
    assert info["/Subject"].startswith("Leads report for Autohaus")
    assert "2026-10" in info["/Keywords"]
    assert info["/PortalMonth"] == "2026-10" and info["/PortalReport"] == "leads"
    assert info["/PortalCustomer"] == "autohaus-mueller"
    assert json.loads(info["/Provenance"]) == PROVENANCE
    assert info["/CreationDate"].startswith("D:20261124170000")


def test_export_notebook_from_path_uses_papermill_fallback(executed, tmp_path):
    out = export_notebook(executed, "pdf", tmp_path / "showcase.pdf")
    _, pages = _pdf_text(out)
    # no runner metadata: the title is the notebook's first heading, the month papermill's
    assert "Monthly showcase" in pages[0] and "October 2026" in pages[0]
    assert "autohaus-mueller" in pages[0].lower()  # customer id; the header shows it uppercased
    assert sorted(p.name for p in tmp_path.iterdir()) == ["showcase.pdf"]


def test_nbconvert_cli_portal_pdf_and_html(executed, tmp_path):
    for fmt, ext in (("portal_pdf", "pdf"), ("portal_html", "html")):
        proc = subprocess.run(
            [sys.executable, "-m", "nbconvert", "--to", fmt, str(executed)]
            + ["--output-dir", str(tmp_path), "--output", "cli"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / f"cli.{ext}").stat().st_size > 1000
    _, pages = _pdf_text(tmp_path / "cli.pdf")
    assert len(pages) > 1 and "$12,345.50" in pages[0]
    assert "SENTINEL" not in "".join(pages)
    assert "<title>Monthly showcase" in (tmp_path / "cli.html").read_text(encoding="utf-8")


def test_failed_export_leaves_no_file(tmp_path):
    out = tmp_path / "leads.pdf"
    with pytest.raises(ExportError) as err:
        export_notebook(NOT_A_NOTEBOOK, "pdf", out)
    assert "\n" not in str(err.value) and "leads" in str(err.value)
    assert list(tmp_path.iterdir()) == []

    out.write_bytes(b"previous good report")
    with pytest.raises(ExportError):
        broken = nbformat.from_dict(
            {"cells": 5, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        )
        export_formats(broken, ["html", "pdf"], tmp_path, "leads")
    assert out.read_bytes() == b"previous good report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.pdf"]

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="cannot export 'leads' to html"):
        export_notebook(nbformat.v4.new_notebook(), "html", blocker / "leads.html")
    with pytest.raises(ExportError, match="unknown export format 'docx'"):
        export_notebook(nbformat.v4.new_notebook(), "docx", tmp_path / "leads.docx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.pdf", "not-a-dir"]


def test_report_header_fallbacks():
    nb = nbformat.v4.new_notebook()
    head = report_header(nb, "asr")
    assert head["title"] == "ASR report" and head["customer_name"] == "All customers"
    assert head["month"] == "" and "portal-provenance" not in head["meta"]

    nb.metadata["papermill"] = {
        "parameters": {"month": "2026-09", "customer_id": "acme-dental"},
        "end_time": "2026-10-02T08:30:00.123456Z",
    }
    head = report_header(nb, "leads")
    assert (head["title"], head["customer_name"], head["month_label"]) == (
        "Leads report",
        "acme-dental",
        "September 2026",
    )
    assert head["generated_at"] == "2026-10-02T08:30:00Z"
    assert head["generated_label"] == "October 2, 2026"

    nb.metadata["portal_reports"] = METADATA
    head = report_header(nb, "leads")
    assert head["customer_name"] == "Autohaus Müller & Söhne"
    assert json.loads(head["meta"]["portal-provenance"]) == PROVENANCE


def test_template_dir_override(monkeypatch, tmp_path):
    assert (templates_dir() / "portal" / "conf.json").is_file()
    custom = tmp_path / "templates"
    shutil.copytree(templates_dir(), custom)
    css = custom / "portal" / "static" / "report.css"
    css.write_text(css.read_text() + "\n/* OVERRIDDEN-TEMPLATE */\n")
    monkeypatch.setenv("PORTAL_REPORTS_TEMPLATES", str(custom))
    # the override first, the package's templates behind it (files not overridden)
    assert PortalHTMLExporter().extra_template_basedirs == [
        str(custom),
        str(default_templates_dir().resolve()),
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Hello")])
    html = render_html(nb, name="leads")
    assert "OVERRIDDEN-TEMPLATE" in html and "Leads report" in html
