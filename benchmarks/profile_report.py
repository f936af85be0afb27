"""Where one report's time goes: per-phase medians of ``execute_job`` run in this process.

The jobs are the runner's own (``run_reports`` against an in-process sandbox, with an
executor that only records them); each is then run here with the warm kernel, as a worker
runs it, after one untimed warm-up round. Per phase: wall seconds, CPU seconds of this
process and CPU seconds of the kernel process (read from ``/proc``), medians over the jobs.
``--profile FILE`` also writes a cProfile of this process over the timed rounds.

    .venv/bin/python benchmarks/profile_report.py [--customers 2] [--rounds 3] [--profile FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

from account import proc_stat  # the sibling benchmark's /proc reader

from portal_reports.publish import executors, export, worker
from portal_reports.publish.jobs import JobResult, ReportJob
from portal_reports.publish.runner import run_reports
from portal_reports.sandbox import Sandbox

SECRET = "benchmark-secret"
MONTH = "2026-09"
PHASES = ("reset", "execute", "html", "pdf")


class _Recorder:
    """An executor that keeps the jobs it is given and runs none of them."""

    name = "record"

    def __init__(self) -> None:
        self.jobs: list[ReportJob] = []

    def __enter__(self) -> _Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def start(self) -> None:
        return None

    def submit(self, job: ReportJob) -> Future:
        self.jobs.append(job)
        future: Future = Future()
        files = dict.fromkeys(job.formats, b"")
        future.set_result(JobResult(job.key, job.report, job.customer, b"{}", files))
        return future

    def as_completed(self, futures: Any) -> Iterator[Future]:
        return iter(list(futures))


def record_jobs(customers: int) -> list[ReportJob]:
    recorder = _Recorder()
    with Sandbox(seed=7, end_month="2026-10", months=3, secret=SECRET,
                 customers=customers) as sb:  # fmt: skip
        os.environ.update(PORTAL_BASE_URL=sb.url, PORTAL_SECRET=SECRET)
        ids = [c["external_id"] for c in sb.customers][:customers]
        original = executors.make_executor
        executors.make_executor = lambda *a, **k: recorder
        try:
            with tempfile.TemporaryDirectory() as out:
                run_reports(MONTH, ids, out_dir=out, formats="html,pdf", force=True)
        finally:
            executors.make_executor = original
    for name in ("PORTAL_BASE_URL", "PORTAL_SECRET"):
        os.environ.pop(name, None)
    return recorder.jobs


def _kernel_cpu() -> float:
    """CPU seconds (user + system) of this thread's warm kernel, 0 without one."""
    kernel = worker._kernel()
    process = getattr(getattr(kernel.km, "provisioner", None), "process", None)
    if process is None:
        return 0.0
    stat = proc_stat(process.pid)
    return stat[2] if stat else 0.0


class Timer:
    def __init__(self) -> None:
        self.current: dict[str, list[float]] = {}
        self.samples: dict[str, list[tuple[float, float, float]]] = defaultdict(list)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        wall, cpu, kcpu = time.perf_counter(), time.process_time(), _kernel_cpu()
        try:
            yield
        finally:
            self.current[name] = [
                time.perf_counter() - wall,
                time.process_time() - cpu,
                _kernel_cpu() - kcpu,
            ]

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        inner = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.phase(name):
                return inner(*args, **kwargs)

        setattr(owner, attr, timed)

    def commit(self) -> None:
        for name, values in self.current.items():
            self.samples[name].append(tuple(values))
        self.current = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of the timed rounds to this file")
    args = parser.parse_args()

    jobs = record_jobs(args.customers)
    worker.prewarm()
    import papermill

    timer = Timer()
    timer.wrap(worker.WarmKernel, "reset", "reset")
    timer.wrap(papermill, "execute_notebook", "execute")
    timer.wrap(export, "_render", "html")
    timer.wrap(export, "html_to_pdf", "pdf")
    for job in jobs:  # warm-up round, untimed
        worker.execute_job(job)
    timer.commit()
    timer.samples.clear()

    totals: list[tuple[float, float, float]] = []
    profiler = cProfile.Profile() if args.profile else None
    for _ in range(args.rounds):
        for job in jobs:
            with timer.phase("total"):
                if profiler:
                    profiler.enable()
                result = worker.execute_job(job)
                if profiler:
                    profiler.disable()
            if result.failure:
                raise SystemExit(f"{job.key} failed: {result.failure}")
            totals.append(tuple(timer.current.pop("total")))
            timer.commit()
    worker.shutdown()
    if profiler:
        profiler.dump_stats(args.profile)

    def medians(rows: list[tuple[float, float, float]]) -> tuple[float, ...]:
        return tuple(statistics.median(col) for col in zip(*rows, strict=True))

    print(
        f"{len(jobs)} jobs x {args.rounds} rounds, {MONTH}; median seconds per report "
        f"(wall / CPU here / CPU in the kernel)"
    )
    print(f"{'phase':<10} {'wall':>7} {'cpu':>7} {'kernel':>7} {'cpu+kernel':>11}")
    known = [0.0, 0.0, 0.0]
    for name in PHASES:
        wall, cpu, kcpu = medians(timer.samples[name])
        known = [known[0] + wall, known[1] + cpu, known[2] + kcpu]
        print(f"{name:<10} {wall:>7.3f} {cpu:>7.3f} {kcpu:>7.3f} {cpu + kcpu:>11.3f}")
    wall, cpu, kcpu = medians(totals)
    print(
        f"{'other':<10} {wall - known[0]:>7.3f} {cpu - known[1]:>7.3f} {kcpu - known[2]:>7.3f}"
        f" {cpu + kcpu - known[1] - known[2]:>11.3f}"
    )
    print(f"{'total':<10} {wall:>7.3f} {cpu:>7.3f} {kcpu:>7.3f} {cpu + kcpu:>11.3f}")


if __name__ == "__main__":
    main()
