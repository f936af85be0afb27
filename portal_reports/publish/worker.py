"""Execute one :class:`~.jobs.ReportJob` with papermill on a warm kernel and export it.

Per-report cost is mostly paid once per worker: the worker keeps one Jupyter kernel alive
with pandas, matplotlib, the report modules and fonts already imported, and runs each report
notebook on it through papermill (a registered papermill engine, ``portal-warm``, that hands
the live kernel to papermill's client, which talks to it through an asynchronous client of
its own). After each notebook the kernel is cleaned while the worker exports the report: the
namespace is cleared, this package's modules are dropped from ``sys.modules`` and imported
afresh (so the next report gets modules nothing a previous report changed, already
imported), pandas options, matplotlib rc and warning filters are reset and cell numbers
start again at 1. The next job waits for that clean-up, then moves the kernel into its own
working directory. A kernel that dies, or whose clean-up fails, is replaced.
``PORTAL_REPORTS_WARM_KERNELS=0`` gives every notebook a fresh kernel instead.

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
#: A warm kernel keeps no IPython history: every report's cells would otherwise go into the
#: operator's ~/.ipython history database (one SQLite session per report, written by every
#: kernel of the batch at once), which only grows and which nobody reads. (Kernels nbclient
#: starts itself, without warm kernels, keep theirs in memory.)
KERNEL_ARGUMENTS = ("--HistoryManager.enabled=False",)
#: Environment variables never passed to workers or kernels (whatever their value).
SECRET_NAMES = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PORTAL_BASE_URL", re.I)

_PREWARM = """
import importlib.machinery as _machinery
def _compiled_once(compile_source, cache={}):
    # Each clean-up imports this package afresh. Where no .pyc can be read or written
    # (PYTHONDONTWRITEBYTECODE, a read-only install), that compiled every module again for
    # every report (~0.1 s); keep the code objects, keyed by path, source and options, as
    # .pyc files would. Executing a module still runs its code anew: its state is fresh.
    def source_to_code(self, data, path, *args, **kwargs):
        key = (path, bytes(data), args, tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = compile_source(self, data, path, *args, **kwargs)
        return cache[key]
    return source_to_code
_machinery.SourceFileLoader.source_to_code = _compiled_once(
    _machinery.SourceFileLoader.source_to_code
)
del _machinery, _compiled_once
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot
import pandas
import portal_reports.reports.blocks
import portal_reports.reports.charts
import portal_reports.reports.kit
import portal_reports.data.month
import portal_reports.project
from matplotlib import font_manager as _fm
_fm.findfont("DejaVu Sans")
import gc as _gc
_gc.collect()
_gc.freeze()  # the libraries every report uses: left out of every later garbage collection
del _fm, _gc
"""

#: After a notebook, run while the worker exports it: a kernel as the next notebook must find
#: it (nothing of the last one left, this package's modules freshly imported, counts at 1).
_CLEAN = """
get_ipython().reset(new_session=True)  # %reset -f, and execution counts from 1 again
import importlib as _il, os as _os, sys as _sys, warnings as _warnings
_os.chdir({home!r})  # the last job's folder is about to be removed
for _name in [m for m in _sys.modules if m == "portal_reports" or m.startswith("portal_reports.")]:
    del _sys.modules[_name]
import matplotlib as _mpl, pandas as _pd
_mpl.rcdefaults()
with _warnings.catch_warnings():
    _warnings.simplefilter("ignore")
    _pd.reset_option("all")
_warnings.resetwarnings()
for _name in {modules!r}:
    _il.import_module(_name)
del _os, _il, _sys, _warnings, _mpl, _pd, _name
"""
#: What the report notebooks import (and ``kit.setup`` with them), imported again by each
#: clean-up, while the worker exports, rather than by the next notebook.
_REPORT_MODULES = (
    "portal_reports.reports.blocks",
    "portal_reports.reports.charts",
    "portal_reports.reports.figures",
    "portal_reports.reports.kit",
    "portal_reports.data.month",
    "portal_reports.project",
)
_CHDIR = "import os as _os\n_os.chdir({cwd!r})\ndel _os"


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


def cell_timeout() -> int:
    """Seconds one notebook cell may run (``PORTAL_REPORTS_CELL_TIMEOUT``, default 600): a
    whole number from 1 to 86400, else a :class:`ConfigError` (the runner checks it first)."""
    from ..errors import ConfigError

    raw = os.environ.get(ENV_CELL_TIMEOUT, "").strip() or "600"
    try:
        seconds = int(raw)
    except ValueError:
        seconds = 0
    if not 1 <= seconds <= 86400:
        raise ConfigError(f"{ENV_CELL_TIMEOUT} must be whole seconds from 1 to 86400, got {raw!r}")
    return seconds


# --------------------------------------------------------------------------- papermill engine


def _register_engine() -> None:
    """Register papermill's ``portal-warm`` engine: papermill's client on a live kernel."""
    from nbclient.exceptions import DeadKernelError
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmKernelEngine(NBClientEngine):
        """Runs the notebook on the live kernel of ``km`` through an asynchronous client of its
        own (no wait for the kernel to be ready) and leaves the kernel running."""

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
            # nbclient awaits its client: a blocking one would hang there when the kernel dies
            client.kc = _async_client(km)
            try:
                return client.execute()
            except DeadKernelError as exc:  # papermill saves nothing then: keep what ran
                exc.notebook = nb_man.nb
                raise
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    if "portal-warm" not in papermill_engines._engines:
        papermill_engines.register("portal-warm", WarmKernelEngine)


def _async_client(km: Any) -> Any:
    """An asynchronous client of ``km``'s running kernel, channels started (it is known to be
    ready: its own client just had a reply), for nbclient to execute a notebook with."""
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_core.utils import run_sync

    # its own session: a second client with the same session id would take the other's replies
    kc = AsyncKernelClient(connection_file=km.connection_file, parent=km)
    kc.load_connection_info(km.get_connection_info())
    kc.allow_stdin = False
    kc.start_channels(hb=False)  # no heartbeat thread (see WarmKernel.ensure)
    run_sync(_subscribed)(kc)
    return kc


async def _subscribed(kc: Any, timeout: float = 60) -> None:
    """Return once ``kc`` receives the kernel's broadcasts: a subscription still connecting
    would miss a cell's outputs and the "idle" that ends it. One kernel_info round trip (sent
    again every half second until one of its broadcasts arrives), no wait for a quiet kernel."""
    import queue

    deadline = time.monotonic() + timeout
    sent: set[str] = set()
    while time.monotonic() < deadline:
        sent.add(kc.kernel_info())
        try:
            while True:
                msg = await kc.get_iopub_msg(timeout=0.5)
                if msg["parent_header"].get("msg_id") in sent:
                    return
        except queue.Empty:
            continue
    raise RuntimeError("the kernel's broadcasts did not arrive")


class WarmKernel:
    """One long-lived kernel with one connected client, cleaned between notebooks."""

    def __init__(self) -> None:
        self.km: Any = None
        self.kc: Any = None
        self._cleaning: str | None = None  # msg_id of a clean-up the kernel may still be running

    def launch(self) -> None:
        """Start the kernel process (replacing a dead one) without waiting for it to boot:
        the worker warms its own libraries meanwhile; :meth:`ensure` finishes the start."""
        from jupyter_client import KernelManager

        if self.km is not None and self.km.is_alive():
            return
        self.shutdown()
        km = KernelManager(kernel_name=KERNEL)
        km.start_kernel(
            cwd=tempfile.gettempdir(),
            env=clean_environment(),
            extra_arguments=list(KERNEL_ARGUMENTS),
            stdout=subprocess.DEVNULL,  # kernel chatter never reaches the operator's terminal
            stderr=subprocess.DEVNULL,
        )
        self.km = km

    def ensure(self) -> Any:
        """The running kernel manager, ready and warm, starting (or replacing a dead) kernel
        as needed."""
        self.launch()
        if self.kc is not None:
            return self.km
        try:
            self.kc = self.km.client()  # set means ready and warm, once this block is through
            self.kc.allow_stdin = False
            # No heartbeat channel: its thread blocks in a zmq send that stop_channels() then
            # joins forever (a worker hung that way in a benchmark); liveness comes from the
            # kernel process itself (KernelManager.is_alive, nbclient's poll of it).
            self.kc.start_channels(hb=False)
            self.kc.wait_for_ready(timeout=120)  # once per kernel: waits for IOPub to go quiet
            self.run(_PREWARM)
        except BaseException:
            self.shutdown()  # a kernel that did not warm up is not kept
            raise
        self.clean()
        return self.km

    def run(self, code: str, timeout: float = 120) -> None:
        """Execute ``code`` on the kernel (raises RuntimeError if it fails)."""
        reply = self.kc.execute_interactive(
            code, store_history=False, timeout=timeout, output_hook=lambda _msg: None
        )
        _check_reply(reply["content"])

    def clean(self) -> None:
        """Start the clean-up for the next notebook; :meth:`reset` waits for it."""
        code = _CLEAN.format(home=tempfile.gettempdir(), modules=_REPORT_MODULES)
        self._cleaning = self.kc.execute(code, store_history=False)

    def _finish_clean(self, timeout: float) -> dict[str, Any]:
        """The reply to the pending clean-up (sent again once if the kernel aborted it)."""
        if self._cleaning is None:  # none pending: whatever state the kernel is in, clean it
            self.clean()
        content = self._reply(self._cleaning, timeout)
        if content.get("status") == "aborted":  # it came while a failed cell's queue was dropped
            self.clean()
            content = self._reply(self._cleaning, timeout)
        self._cleaning = None
        return content

    def _reply(self, msg_id: str | None, timeout: float) -> dict[str, Any]:
        """The content of the shell reply to ``msg_id`` (queue.Empty after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg["content"]

    def reset(self, cwd: Path, timeout: float = 120) -> Any:
        """A clean kernel ready for the next notebook, working in ``cwd``: waits for the
        clean-up started after the last notebook; a kernel that cannot be cleaned is replaced."""
        for attempt in range(2):
            self.ensure()
            try:
                _check_reply(self._finish_clean(timeout))
                break
            except Exception:  # timed out (a cell still running) or failed: start afresh
                if attempt:
                    raise
                self.shutdown()
        self.run(_CHDIR.format(cwd=str(cwd)))
        return self.km

    def shutdown(self) -> None:
        self._cleaning = None
        if self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            with contextlib.suppress(Exception):  # a dead kernel is what we are getting rid of
                self.km.shutdown_kernel(now=True)
            self.km = None


def _check_reply(content: dict[str, Any]) -> None:
    if content.get("status") != "ok":
        raise RuntimeError(f"kernel set-up failed: {content.get('ename')}: {content.get('evalue')}")


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
    kernel = _kernel() if _warm_enabled() else None
    if kernel is not None:
        kernel.launch()  # first thing: it boots while this process imports and warms up below
        _register_engine()
    try:
        _warm_exports()
    finally:
        if kernel is not None:
            kernel.ensure()
    return worker_name()


_WARM_SVG = "<svg xmlns=%22http://www.w3.org/2000/svg%22 width=%221%22 height=%221%22/>"


def _warm_exports() -> None:
    """What the first report would otherwise pay for in this process: the report template
    compiled, WeasyPrint and its fonts loaded (one tiny PDF), matplotlib's font for the key
    chart."""
    import io

    from matplotlib.figure import Figure

    from .export import _html_exporter, html_to_pdf

    _html_exporter()
    html_to_pdf(f'<p>.</p><img src="data:image/svg+xml,{_WARM_SVG}">')
    fig = Figure(figsize=(1, 1))
    fig.text(0.5, 0.5, ".")
    fig.savefig(io.BytesIO(), format="png")


def _key_chart(data_path: Path) -> bytes | None:
    """The customer-month's key chart, drawn here rather than on the machine that runs the
    batch, which would otherwise draw every customer's in turn. None when it cannot be drawn
    here: the runner then draws it itself."""
    from ..data.month import MonthData
    from ..reports.charts import key_chart_bytes

    try:
        with _CHARTS_LOCK:  # matplotlib's rcParams are global: one chart at a time per process
            return key_chart_bytes(MonthData.load(data_path))
    except Exception:
        return None


_CHARTS_LOCK = threading.Lock()  # a Dask worker may run several jobs in threads


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


def _running_cell(executed: Path) -> dict[str, int | None]:
    """The cell a dead kernel was running: the last one papermill started, in the executed
    notebook. ``cell`` is its execution count, or the next count after the cells before it
    when the kernel died before announcing one; both are None when no cell had started."""
    import nbformat

    cells = nbformat.read(str(executed), as_version=4).cells
    started = [i for i, c in enumerate(cells) if c.metadata.get("papermill", {}).get("start_time")]
    if not started:
        return {"cell": None, "cell_index": None}
    index = started[-1]
    count = cells[index].get("execution_count")
    if count is None:
        before = [c.get("execution_count") or 0 for c in cells[:index]]
        count = max(before, default=0) + 1
    return {"cell": count, "cell_index": index}


def execute_job(job: ReportJob, executor: str = "local") -> JobResult:
    """Execute ``job`` (papermill), export it (HTML rendered once for all formats) and return
    the files as bytes. A failing notebook is a result with ``failure``, not an exception."""
    import nbformat
    import papermill
    from nbclient.exceptions import DeadKernelError
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
            "request_save_on_cell_execute": False,  # written once, when it has run
            "execution_timeout": cell_timeout(),
        }
        kernel = _kernel() if _warm_enabled() else None
        if kernel is not None:
            _register_engine()
            km = kernel.reset(work)
            options.update(engine_name="portal-warm", km=km)
        else:
            options.update(cwd=str(work))  # nbclient's kernels keep history in memory
        try:
            papermill.execute_notebook(str(source), str(executed), **options)
        except PapermillExecutionError as exc:
            result.failure = {
                "cell": exc.exec_count,
                "cell_index": exc.cell_index,
                "ename": exc.ename,
                "evalue": str(exc.evalue).splitlines()[0] if exc.evalue else "",
            }
        except DeadKernelError as exc:  # killed (out of memory, a crash in C): this report fails
            if kernel is not None:
                kernel.shutdown()  # the next job starts a new one
            ran = getattr(exc, "notebook", None)  # the warm engine keeps the outputs so far
            if ran is not None:
                nbformat.write(ran, str(executed))
            elif not executed.is_file():
                executed.write_text(job.notebook, encoding="utf-8")
            result.failure = {
                **_running_cell(executed),
                "ename": "DeadKernelError",
                "evalue": "the kernel died",
            }
        except BaseException:
            if kernel is not None:  # dead, or a cell still running: the next job starts afresh
                kernel.shutdown()
            raise
        if kernel is not None and kernel.kc is not None:
            kernel.clean()  # the kernel cleans up while this process exports
        nb = nbformat.read(str(executed), as_version=4)
        nb.metadata["portal_reports"] = job.metadata
        # the notebook as kept for inspection names the data file beside it, not a temp path
        nb.metadata.get("papermill", {}).get("parameters", {})["data_path"] = job.data_name
        result.notebook = nbformat.writes(nb).encode("utf-8")
        if result.failure is None:
            result.files = render_formats(nb, job.formats, job.report, base=work)
        if job.key_chart:
            result.key_chart = _key_chart(work / job.data_name)
    result.seconds = time.perf_counter() - started
    result.worker = worker_name()
    return result
