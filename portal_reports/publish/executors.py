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
import os
import shutil
import signal
import sys
import tempfile
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
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    folder = _private_temp_folder()
    multiprocessing.util.Finalize(None, worker.shutdown, exitpriority=10)
    multiprocessing.util.Finalize(  # after the kernel stopped (a higher priority runs first)
        None, shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True}, exitpriority=5
    )


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
        # An interrupted run exits at once (os._exit) without closing the pool's queues, and
        # multiprocessing's resource tracker (started with the pool, with this interpreter's
        # -W options) would then print a "leaked semaphore objects" warning under the one
        # "Error: interrupted" line. It still cleans them up; only its warning is silenced.
        if _TRACKER_QUIET not in sys.warnoptions:
            sys.warnoptions.append(_TRACKER_QUIET)
        with _environment_without_credentials():
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
                with _environment_without_credentials():
                    self._cluster = LocalCluster(
                        n_workers=max(1, self.workers or os.cpu_count() or 1),
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                    )
                self._client = Client(self._cluster)
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: a malformed address
            where = self.scheduler or "a LocalCluster"
            raise ConfigError(f"cannot connect to the Dask scheduler {where}: {exc}") from None
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
        if client is not None:
            from .worker import shutdown

            with contextlib.suppress(Exception):
                client.run(shutdown)  # stop the warm kernels before the workers go
            with contextlib.suppress(Exception):
                client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


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
