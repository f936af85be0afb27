"""Execute one :class:`~.jobs.ReportJob` with papermill on a warm kernel and export it.

Per-report cost is mostly paid once per worker: the worker keeps one Jupyter kernel alive
with pandas, matplotlib, the report modules and fonts already imported, and runs each report
notebook on it through papermill (a registered papermill engine, ``portal-warm``, that hands
the live kernel to papermill's client). Between notebooks the kernel's state is reset: the
namespace is cleared, this package's modules are dropped from ``sys.modules`` (so they are
imported fresh, with nothing a previous report changed), pandas options, matplotlib rc and
warning filters are reset and the working directory is the job's own. A kernel that dies is
replaced. ``PORTAL_REPORTS_WARM_KERNELS=0`` gives every notebook a fresh kernel instead.

Kernels never see credentials: they are started with an environment without secrets, and the
month data travels with the job. Outputs return as bytes; the caller writes the files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .jobs import JobResult, ReportJob

JOB_PREFIX = "portal-reports-job-"  # + pid: a killed worker's folder is found and removed

ENV_WARM = "PORTAL_REPORTS_WARM_KERNELS"
ENV_CELL_TIMEOUT = "PORTAL_REPORTS_CELL_TIMEOUT"
KERNEL = "python3"
#: Environment variables never passed to workers or kernels (whatever their value).
SECRET_NAMES = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PORTAL_BASE_URL", re.I)

_PREWARM = """
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot
import pandas
import portal_reports.reports.blocks
import portal_reports.reports.charts
import portal_reports.reports.kit
from matplotlib import font_manager as _fm
_fm.findfont("DejaVu Sans")
del _fm
"""

_RESET = """
import os as _os
_os.chdir({cwd!r})
%reset -f
import os as _os, sys as _sys, warnings as _warnings
for _name in [m for m in _sys.modules if m == "portal_reports" or m.startswith("portal_reports.")]:
    del _sys.modules[_name]
import matplotlib as _mpl, pandas as _pd
_mpl.rcdefaults()
with _warnings.catch_warnings():
    _warnings.simplefilter("ignore")
    _pd.reset_option("all")
_warnings.resetwarnings()
del _os, _sys, _warnings, _mpl, _pd
"""


def clean_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """``environ`` (default ``os.environ``) without credentials: for workers and kernels."""
    source = dict(os.environ if environ is None else environ)
    return {k: v for k, v in source.items() if not SECRET_NAMES.search(k)}


def worker_name() -> str:
    """``host:pid`` (plus the thread when a worker runs several): recorded in the manifest."""
    name = f"{socket.gethostname()}:{os.getpid()}"
    thread = threading.current_thread()
    return name if thread is threading.main_thread() else f"{name}/{thread.name}"


def _warm_enabled() -> bool:
    return os.environ.get(ENV_WARM, "1").strip().lower() not in {"0", "false", "no", "off"}


def _cell_timeout() -> int:
    try:
        return max(1, int(os.environ.get(ENV_CELL_TIMEOUT, "600")))
    except ValueError:
        return 600


# --------------------------------------------------------------------------- papermill engine


def _register_engine() -> None:
    """Register papermill's ``portal-warm`` engine: papermill's client on a live kernel."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmKernelEngine(NBClientEngine):
        """Runs the notebook on the kernel manager given as ``km`` and leaves it running."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            km = kwargs.pop("km")
            client = PapermillNotebookClient(
                nb_man,
                km=km,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger("papermill"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    if "portal-warm" not in papermill_engines._engines:
        papermill_engines.register("portal-warm", WarmKernelEngine)


class WarmKernel:
    """One long-lived kernel, reset between notebooks."""

    def __init__(self) -> None:
        self.km: Any = None

    def ensure(self) -> Any:
        """The running kernel manager, starting (or replacing a dead) kernel as needed."""
        from jupyter_client import KernelManager

        if self.km is not None and self.km.is_alive():
            return self.km
        self.shutdown()
        km = KernelManager(kernel_name=KERNEL)
        km.start_kernel(
            cwd=tempfile.gettempdir(),
            env=clean_environment(),
            stdout=subprocess.DEVNULL,  # kernel chatter never reaches the operator's terminal
            stderr=subprocess.DEVNULL,
        )
        self.km = km
        self.run(_PREWARM)
        return km

    def run(self, code: str, timeout: float = 120) -> None:
        """Execute ``code`` on the kernel (raises RuntimeError if it fails)."""
        kc = self.km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=timeout)
            reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda _msg: None)
        finally:
            kc.stop_channels()
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise RuntimeError(
                f"kernel set-up failed: {content.get('ename')}: {content.get('evalue')}"
            )

    def reset(self, cwd: Path) -> Any:
        """A kernel ready for the next notebook, working in ``cwd``."""
        km = self.ensure()
        self.run(_RESET.format(cwd=str(cwd)))
        return km

    def shutdown(self) -> None:
        if self.km is not None:
            with contextlib.suppress(Exception):  # a dead kernel is what we are getting rid of
                self.km.shutdown_kernel(now=True)
            self.km = None


_KERNELS: dict[int, WarmKernel] = {}  # one per worker thread
_KERNELS_LOCK = threading.Lock()


def _kernel() -> WarmKernel:
    ident = threading.get_ident()
    with _KERNELS_LOCK:
        kernel = _KERNELS.get(ident)
        if kernel is None:
            kernel = _KERNELS[ident] = WarmKernel()
    return kernel


def prewarm() -> str:
    """Start this worker's kernel and import what reports need (called once per worker)."""
    from .._io import remove_stale_temp_dirs

    _quiet()
    remove_stale_temp_dirs(JOB_PREFIX)  # job folders of workers that were killed
    if _warm_enabled():
        _register_engine()
        _kernel().ensure()
    from . import export  # noqa: F401 - nbconvert, WeasyPrint and fonts, once per worker

    return worker_name()


def shutdown() -> None:
    """Stop this worker's warm kernels (worker exit)."""
    with _KERNELS_LOCK:
        kernels = list(_KERNELS.values())
        _KERNELS.clear()
    for kernel in kernels:
        kernel.shutdown()


def _quiet() -> None:
    logging.getLogger("papermill").setLevel(logging.ERROR)
    logging.getLogger("traitlets").setLevel(logging.ERROR)


# --------------------------------------------------------------------------- the job


def execute_job(job: ReportJob, executor: str = "local") -> JobResult:
    """Execute ``job`` (papermill), export it (HTML rendered once for all formats) and return
    the files as bytes. A failing notebook is a result with ``failure``, not an exception."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from .export import render_formats

    _quiet()
    started = time.perf_counter()
    result = JobResult(job.key, job.report, job.customer, b"", executor=executor)
    with tempfile.TemporaryDirectory(prefix=f"{JOB_PREFIX}{os.getpid()}-") as tmp:
        work = Path(tmp)
        for name, content in job.data.items():
            (work / Path(name).name).write_bytes(content)
        source = work / f"{job.report}.source.ipynb"
        source.write_text(job.notebook, encoding="utf-8")
        executed = work / f"{job.report}.ipynb"
        parameters = {**job.parameters, "data_path": str(work / job.data_name)}
        options: dict[str, Any] = {
            "parameters": parameters,
            "kernel_name": KERNEL,
            "language": "python",
            "progress_bar": False,
            "log_output": False,
            "execution_timeout": _cell_timeout(),
        }
        if _warm_enabled():
            _register_engine()
            options.update(engine_name="portal-warm", km=_kernel().reset(work))
        else:
            options.update(cwd=str(work))
        try:
            papermill.execute_notebook(str(source), str(executed), **options)
        except PapermillExecutionError as exc:
            result.failure = {
                "cell": exc.exec_count,
                "cell_index": exc.cell_index,
                "ename": exc.ename,
                "evalue": str(exc.evalue).splitlines()[0] if exc.evalue else "",
            }
        nb = nbformat.read(str(executed), as_version=4)
        nb.metadata["portal_reports"] = job.metadata
        # the notebook as kept for inspection names the data file beside it, not a temp path
        nb.metadata.get("papermill", {}).get("parameters", {})["data_path"] = job.data_name
        result.notebook = nbformat.writes(nb).encode("utf-8")
        if result.failure is None:
            result.files = render_formats(nb, job.formats, job.report, base=work)
    result.seconds = time.perf_counter() - started
    result.worker = worker_name()
    return result
