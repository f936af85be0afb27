"""Report notebooks: committed clean, parameterised safely, and they run top to bottom."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from conftest import MONTH, SECRET

from portal_reports.reports.registry import registry

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
REPORTS = registry(NOTEBOOKS).names
SECRET_LIKE = re.compile(r"secret|password|passwd|token|api_?key|credential", re.IGNORECASE)


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def test_the_default_reports_are_discovered_in_order():
    assert REPORTS[:3] == ["leads", "revenue", "asr"]
    assert "attributes" not in REPORTS  # opted out: an exploration notebook, not a report


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {cell.id} has outputs"
            assert cell.execution_count is None, f"{path.name}: cell {cell.id} was executed"


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_one_parameters_cell_without_secrets(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: expected exactly one parameters cell"
    (cell,) = tagged
    assert cell.cell_type == "code"
    names = [
        target.id
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]
    assert names, "the parameters cell assigns the parameters"
    assert not [n for n in names if SECRET_LIKE.search(n)], names
    if path.stem in REPORTS:
        assert names == ["month", "customer_id", "data_path"]
    source = "\n".join(c.source for c in nb.cells)
    assert SECRET not in source


@pytest.mark.parametrize("report", REPORTS)
def test_papermill_reads_the_parameters(report):
    """papermill parses every parameter with its help text (no parse warnings)."""
    from papermill.inspection import inspect_notebook

    params = inspect_notebook(str(NOTEBOOKS / f"{report}.ipynb"))
    assert list(params) == ["month", "customer_id", "data_path"]
    assert all(p["default"] == "None" and p["help"] for p in params.values())


@pytest.mark.slow
@pytest.mark.parametrize("report", REPORTS)
def test_notebook_executes(report, portal_env, tmp_path):
    """Run the notebook with papermill against the sandbox and render it to PDF."""
    import papermill as pm

    out = tmp_path / f"{report}.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS / f"{report}.ipynb"),
        str(out),
        parameters={"month": MONTH, "customer_id": "acme-dental"},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    kinds = {m for o in outputs for m in o.get("data", {})}
    assert {"text/html", "image/svg+xml"} <= kinds
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert 'class="kpis"' in html
    if report == "leads":
        assert 'class="callout ok"' in html
    assert SECRET not in out.read_text(encoding="utf-8")

    from portal_reports.publish.export import export_notebook

    pdf = export_notebook(nb, "pdf", tmp_path / f"{report}.pdf")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "At a glance" in text and "Traceback" not in text and "display(" not in text
