"""Where report jobs run: worker processes on this machine, or a ``dask.distributed`` cluster.

Both take self-contained :class:`~.jobs.ReportJob` s and give back :class:`~.jobs.JobResult` s,
so no shared file system and no credentials are needed where the notebooks run.

* :class:`LocalExecutor` (default): spawned worker processes, started with an environment
  without credentials, that die with the process that started them (Linux parent-death
  signal), each keeping a warm kernel. Leaving the ``with`` block on an error or an interrupt
  kills them.
* :class:`DaskExecutor`: an existing cluster (``--scheduler tcp://host:8786``) or, without an
  address, a ``LocalCluster``. Task keys are deterministic (month, customer, report); a worker
  lost mid-task is rescheduled by the scheduler, a failing notebook is not retried.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import ConfigError
from .jobs import JobResult, ReportJob
from .worker import clean_environment, execute_job

EXECUTORS = ("local", "dask")


@contextlib.contextmanager
def _environment_without_credentials() -> Iterator[None]:
    """Remove credentials from ``os.environ`` while child processes are started (they
    inherit it), then put them back."""
    saved = {k: v for k, v in os.environ.items() if k not in clean_environment()}
    for name in saved:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(saved)


@contextlib.contextmanager
def _children_born_ignoring_ctrl_c() -> Iterator[None]:
    """Ignore SIGINT while worker processes are started, so that they are born ignoring it (an
    ignored signal stays ignored across exec): a Ctrl-C at the terminal reaches the whole
    process group, and must not stop a worker half-started, with a traceback, before it can
    ignore it itself. A Ctrl-C pressed in this window, the milliseconds of spawning, is
    lost."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are the main thread's to set
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _init_local_worker() -> None:
    """Local worker set-up: die with the parent, keep kernel chatter off the terminal, keep
    every temporary file in a folder of its own, stop the warm kernel on exit."""
    import multiprocessing.util

    from . import worker

    _die_with_parent()
    _leave_the_terminal_to_the_parent()
    folder = _private_temp_folder()
    multiprocessing.util.Finalize(None, worker.shutdown, exitpriority=10)
    multiprocessing.util.Finalize(  # after the kernel stopped (a higher priority runs first)
        None, shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True}, exitpriority=5
    )


def _leave_the_terminal_to_the_parent() -> None:
    """In a worker process: Ctrl-C is the parent's to handle (it stops the workers), and
    kernel chatter (a kernel that died with its worker, say) stays off the terminal; what
    goes wrong in a job comes back in its result."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _private_temp_folder() -> str:
    """Point this process's and its kernel's temporary files (job folders, the kernel's
    connection file with its signing key, WeasyPrint's font folders) at
    ``<tmp>/portal-reports-job-<pid>-tmp-*``: removed when the worker exits, and swept by
    the next worker when it was killed. Folders of dead workers are swept first."""
    from .._io import remove_stale_temp_dirs
    from .worker import JOB_PREFIX

    remove_stale_temp_dirs(JOB_PREFIX)
    folder = tempfile.mkdtemp(prefix=f"{JOB_PREFIX}{os.getpid()}-tmp-")
    os.environ["TMPDIR"] = folder  # the kernel inherits it
    tempfile.tempdir = folder
    return folder


def _prewarm() -> str:
    from .worker import prewarm

    return prewarm()


_TRACKER_QUIET = "ignore:resource_tracker:UserWarning"


def _quiet_resource_tracker() -> None:
    """An interrupted run exits at once (os._exit) without closing its process pool's queues,
    and multiprocessing's resource tracker (started with the first pool, with this
    interpreter's -W options) would then print a "leaked semaphore objects" warning under
    the one "Error: interrupted" line. It still cleans them up; only its warning is
    silenced."""
    if _TRACKER_QUIET not in sys.warnoptions:
        sys.warnoptions.append(_TRACKER_QUIET)


class LocalExecutor:
    """Worker processes on this machine (one per core by default)."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool: Any = None

    def __enter__(self) -> LocalExecutor:
        return self  # workers start with start() or the first job: an up-to-date batch starts none

    def start(self) -> None:
        """Start the workers and their warm kernels now, before the first job is ready: the
        runner calls it when some customer-month has work for certain, so the start-up
        overlaps the first fetches."""
        if self._pool is not None:
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("spawn")
        _quiet_resource_tracker()
        with _environment_without_credentials(), _children_born_ignoring_ctrl_c():
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=ctx, initializer=_init_local_worker
            )
            # one warm-up per worker spawns them all now, while the environment is clean
            for _ in range(self.workers):
                self._pool.submit(_prewarm)

    def submit(self, job: ReportJob) -> Any:
        """Queue ``job``; returns a future of its :class:`JobResult`."""
        self.start()
        return self._pool.submit(execute_job, job, self.name)

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        from concurrent.futures import as_completed

        return as_completed(list(futures))

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if exc_type is None:  # done, or no job ever came (every fetch failed): the workers
            pool.shutdown(wait=True)  # finish their warm-up and stop their kernels themselves
            return
        # an error or an interrupt: nothing may go on writing after we are gone
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.kill()
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(5)


def _spawned_children() -> int | None:
    """How many child processes multiprocessing has spawned here, its resource tracker
    aside; None where /proc cannot tell (not Linux)."""
    lists = glob.glob(f"/proc/{os.getpid()}/task/*/children")
    if not lists:
        return None
    count = 0
    for path in lists:
        with contextlib.suppress(OSError), open(path) as children:
            for pid in children.read().split():
                with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as cmd:
                    count += b"spawn_main" in cmd.read()
    return count


def _worker_states(cluster: Any) -> list[str]:
    """The state of each of ``cluster``'s nannies (``running``, ``failed``, ...)."""
    while True:
        try:  # the dict belongs to the cluster's event loop thread
            return [getattr(w.status, "name", "") for w in list(cluster.workers.values())]
        except RuntimeError:  # it changed while read
            continue


def _start_local_cluster(cluster: Any, client_class: Any, n_workers: int) -> Any:
    """Scale ``cluster`` (a ``LocalCluster`` started without workers) to ``n_workers`` and
    connect a client once they run. The worker processes are born ignoring Ctrl-C and
    without credentials, while a Ctrl-C still stops us: SIGINT is ignored here only until
    they are spawned (milliseconds), not while they boot (seconds). A worker that fails to
    start fails the run at once."""
    before = _spawned_children()
    with _environment_without_credentials():
        with _children_born_ignoring_ctrl_c():
            cluster.scale(n_workers)  # spawned on the cluster's event loop, a moment later
            deadline = time.monotonic() + 10
            while before is not None and time.monotonic() < deadline:
                spawned = _spawned_children()
                if spawned is None or spawned >= before + n_workers:
                    break
                if "failed" in _worker_states(cluster):
                    break
                time.sleep(0.005)
        deadline = time.monotonic() + 120
        while True:
            states = _worker_states(cluster)
            if "failed" in states:
                raise ConfigError("a worker of the Dask LocalCluster failed to start (see above)")
            if len(states) >= n_workers and all(state == "running" for state in states):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"its {n_workers} worker(s) did not start within 120 s")
            time.sleep(0.02)
    client = client_class(cluster)
    client.wait_for_workers(n_workers, timeout=60)
    return client


def _no_gc_diagnosis() -> None:
    """A ``LocalCluster``'s scheduler times every garbage collection of this process with a gc
    callback, and a Ctrl-C that lands in a callback is swallowed ("Exception ignored"): the
    run went on. Those diagnostics are turned off."""
    with contextlib.suppress(Exception):  # an internal API of distributed: best effort
        from distributed.gc import disable_gc_diagnosis

        disable_gc_diagnosis(force=True)


def dask_setup(worker: Any) -> None:
    """Dask preload hook, run in each worker process of our own ``LocalCluster`` (also one the
    nanny restarts): as for local workers, the terminal is left to the parent. A Ctrl-C
    reaches the whole process group, and each worker printed a KeyboardInterrupt traceback."""
    _leave_the_terminal_to_the_parent()


class DaskExecutor:
    """A ``dask.distributed`` cluster: an existing scheduler, or a ``LocalCluster``."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError(
                "--executor dask needs dask.distributed: pip install 'portal-reports[dask]'"
            ) from None
        try:
            if self.scheduler:
                self._client = Client(self.scheduler, timeout="20s")
            else:
                _quiet_resource_tracker()
                self._cluster = LocalCluster(
                    n_workers=0,  # the scheduler first; its workers below
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    preload=[__name__],  # dask_setup, in each worker process
                )
                _no_gc_diagnosis()
                n_workers = max(1, self.workers or os.cpu_count() or 1)
                self._client = _start_local_cluster(self._cluster, Client, n_workers)
        except BaseException as exc:  # an error or an interrupt meanwhile: nothing is left
            self.__exit__(type(exc), exc, None)
            if isinstance(exc, (OSError, TimeoutError, ValueError)):  # ValueError: a bad address
                where = self.scheduler or "a LocalCluster"
                raise ConfigError(f"cannot connect to the Dask scheduler {where}: {exc}") from None
            raise
        return self

    def start(self) -> None:
        """Nothing to do: the cluster is up once the client has connected."""

    def submit(self, job: ReportJob) -> Any:
        return self._client.submit(execute_job, job, self.name, key=job.key, pure=False)

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        from distributed import as_completed

        return as_completed(list(futures))

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        client, self._client = self._client, None
        cluster, self._cluster = self._cluster, None
        logger = logging.getLogger("distributed")
        level = logger.level
        if exc_type is not None:
            # The run says what stopped it; a cluster torn down mid-task would log closed
            # connections and cancelled tasks under that line.
            logger.setLevel(logging.CRITICAL)
        try:
            if client is not None:
                if exc_type is None:
                    # Idle workers stop their warm kernels before they go. A busy worker would
                    # run this only once its notebook ended, so after an error or an interrupt
                    # it is skipped: our LocalCluster's kernels die with its workers, and a
                    # remote worker keeps its kernel for the next run (or until it exits).
                    from .worker import shutdown

                    with contextlib.suppress(Exception):
                        client.run(shutdown)
                with contextlib.suppress(Exception):
                    client.close()
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close()
        finally:
            logger.setLevel(level)


def make_executor(
    name: str = "local", *, workers: int | None = None, scheduler: str | None = None
) -> LocalExecutor | DaskExecutor:
    """The executor called ``name`` (``local`` or ``dask``)."""
    if name == "local":
        if scheduler:
            raise ConfigError("--scheduler needs --executor dask")
        return LocalExecutor(workers)
    if name == "dask":
        return DaskExecutor(scheduler, workers)
    raise ConfigError(f"unknown executor {name!r}: accepted are {', '.join(EXECUTORS)}")


__all__ = ["EXECUTORS", "DaskExecutor", "JobResult", "LocalExecutor", "make_executor"]
