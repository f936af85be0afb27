"""The warm kernel: reports that share one kernel must not see each other's state."""

from __future__ import annotations

import json
import os
import signal
import time

import nbformat
import pytest

from portal_reports.publish import worker
from portal_reports.publish.jobs import ReportJob

pytestmark = pytest.mark.slow


@pytest.fixture
def warm(monkeypatch):
    """execute_job on this thread's warm kernel; the kernel is stopped afterwards."""
    monkeypatch.setenv(worker.ENV_WARM, "1")
    monkeypatch.setenv(worker.ENV_CELL_TIMEOUT, "60")
    yield worker.execute_job
    worker.shutdown()


def _job(report: str, *sources: str) -> ReportJob:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Py"}
    return ReportJob(
        month="2026-09",
        customer="acme",
        report=report,
        notebook=nbformat.writes(nb),
        data={"data.json": b"{}"},
        data_name="data.json",
        formats=(),
        metadata={},
    )


def _outputs(result) -> list[str]:
    """The text each code cell printed, cell by cell."""
    nb = nbformat.reads(result.notebook.decode("utf-8"), as_version=4)
    return [
        "".join(o.get("text", "") for o in cell.outputs).strip()
        for cell in nb.cells
        if cell.cell_type == "code" and "injected-parameters" not in cell.metadata.get("tags", [])
    ]


def _counts(result) -> list[int | None]:
    nb = nbformat.reads(result.notebook.decode("utf-8"), as_version=4)
    return [cell.execution_count for cell in nb.cells if cell.cell_type == "code"]


SNOOP = (
    "import os, sys, json\n"
    "import matplotlib, pandas as pd\n"
    "from portal_reports.reports import charts\n"
    "print(json.dumps({'leftover': 'secret_of_a' in globals(),\n"
    "    'palette': charts.PALETTE['leads'], 'rc': matplotlib.rcParams['lines.linewidth'],\n"
    "    'pd': pd.get_option('display.max_rows'), 'in_job_dir': os.path.isfile('data.json')}))"
)
MESS = (
    "from portal_reports.reports import charts\n"
    "import matplotlib, pandas as pd\n"
    "secret_of_a = 1\n"
    "charts.PALETTE['leads'] = '#ff0000'\n"
    "matplotlib.rcParams['lines.linewidth'] = 9\n"
    "pd.set_option('display.max_rows', 3)"
)


def test_a_report_does_not_see_what_the_previous_one_changed(warm):
    first = warm(_job("first", SNOOP))
    warm(_job("mess", MESS, "print('done')"))
    second = warm(_job("second", SNOOP))
    assert first.failure is None and second.failure is None
    assert json.loads(_outputs(second)[0]) == json.loads(_outputs(first)[0])
    seen = json.loads(_outputs(second)[0])
    assert seen["leftover"] is False and seen["palette"] != "#ff0000" and seen["in_job_dir"]


def test_cells_are_numbered_from_one_in_every_report(warm):
    for report in ("one", "two", "three"):
        result = warm(_job(report, "x = 1", "print(x)"))
        assert _counts(result) == [1, 2, 3]  # the injected parameters cell comes first


def test_report_cells_stay_out_of_the_operators_ipython_history(warm, monkeypatch, tmp_path):
    """A warm kernel writes no IPython history (it would grow by every report's cells)."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    result = warm(_job("one", "x = 1", "print(x)"))
    assert result.failure is None and _outputs(result) == ["", "1"]
    assert (tmp_path / "profile_default").is_dir()  # the kernel did use this IPython folder
    assert not list(tmp_path.rglob("history.sqlite*"))


def test_a_failing_report_leaves_the_kernel_usable(warm):
    failed = warm(_job("broken", "print('before')", "1 / 0", "print('never')"))
    assert failed.failure is not None and failed.failure["ename"] == "ZeroDivisionError"
    assert failed.failure["cell"] == 3
    after = warm(_job("after", "print('fine')"))
    assert after.failure is None and _outputs(after) == ["fine"]


def test_a_kernel_that_died_between_reports_is_replaced(warm):
    assert warm(_job("first", "print('one')")).failure is None
    process = worker._kernel().km.provisioner.process
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    after = warm(_job("after", "print('fine')"))
    assert after.failure is None and _outputs(after) == ["fine"]


@pytest.mark.timeout(60)
def test_a_kernel_killed_in_the_middle_of_a_cell_fails_that_report_only(warm):
    """Out of memory or a crash in C kills the kernel while a cell runs: that report fails
    at once (the cell timeout is 60 s here; it used to wait forever), the next one runs."""
    started = time.monotonic()
    dead = warm(_job("dies", "print('before')", "import os; os.kill(os.getpid(), 9)", "1"))
    assert dead.failure is not None and dead.failure["ename"] == "DeadKernelError"
    assert dead.failure["cell_index"] == 2  # after papermill's parameters and print('before')
    assert dead.failure["cell"] == 3  # In [3]: named in the error, as any failing cell is
    assert _outputs(dead)[0] == "before"  # the kept notebook has what ran before the death
    assert time.monotonic() - started < 30 and dead.notebook
    after = warm(_job("after", "print('fine')"))
    assert after.failure is None and _outputs(after) == ["fine"]


def test_the_job_asked_for_it_draws_the_key_chart_from_the_data_it_carries(warm, month_data):
    """One job per customer-month draws chart.png on the worker, from the month data that
    travels with the job, so the machine running the batch does not draw every customer's."""
    from dataclasses import replace

    from portal_reports.reports.charts import key_chart_bytes

    files = month_data.files()
    job = replace(_job("k", "1"), data=files, data_name="data.json", key_chart=True)
    drawn = warm(job)
    assert drawn.key_chart == key_chart_bytes(month_data)  # the same picture, byte for byte
    assert drawn.key_chart.startswith(b"\x89PNG")
    assert warm(replace(job, key_chart=False)).key_chart is None
    # data it cannot read: no chart, and the report itself is not failed for it
    broken = warm(replace(job, data={**files, "data.json": b"{"}))
    assert broken.key_chart is None and broken.failure is None
