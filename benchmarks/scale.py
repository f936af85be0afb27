"""A night's batch: N customers x 3 reports x (HTML + PDF), runner with 1 and 2 workers vs the
naive papermill + nbconvert chain, measured in the same run against the same sandbox.

Whole-process figures: the runner is the real ``portal-reports run`` command in its own
process (worker start-up, kernel start-up and imports included), as an operator runs it. The
naive chain is what a user would script: per notebook the papermill CLI (each notebook
fetching its own data through the client), then ``jupyter nbconvert --to portal_html`` and
``--to portal_pdf``. The naive chain can be timed on the first K customers only
(``--naive-customers K``); its per-report median then stands for the rest, and the output
says so.

    .venv/bin/python benchmarks/scale.py [--customers 24] [--repeat 1] [--naive-customers K]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from portal_reports.reports.registry import registry
from portal_reports.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "benchmark-secret"
MONTH = "2026-09"
REPORTS = registry(ROOT / "notebooks").names


def environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_BASE_URL=url, PORTAL_SECRET=SECRET)
    return env


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_batch(customers: list[str], workers: int, env: dict[str, str]) -> tuple[float, float]:
    """``portal-reports run`` for every customer, in its own process: wall seconds, and CPU
    seconds of the runner, its workers and kernels plus this process (the sandbox Portal)."""
    args = [a for c in customers for a in ("--customer", c)]
    with tempfile.TemporaryDirectory() as tmp:
        cpu = _cpu(resource.RUSAGE_CHILDREN) + _cpu(resource.RUSAGE_SELF)
        started = time.perf_counter()
        proc = subprocess.run(
            [str(BIN / "portal-reports"), "run", "--month", MONTH, "--workers", str(workers),
             "--out", tmp, "--force", *args],
            env=env, cwd=tmp, capture_output=True, text=True,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        cpu = _cpu(resource.RUSAGE_CHILDREN) + _cpu(resource.RUSAGE_SELF) - cpu
    if proc.returncode != 0:
        raise SystemExit(f"runner failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, cpu


def naive_report(customer: str, report: str, out: Path, env: dict[str, str]) -> float:
    """One report the naive way; wall seconds."""
    executed = out / f"{customer}-{report}.ipynb"
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "papermill"), str(ROOT / "notebooks" / f"{report}.ipynb"), str(executed),
         "-p", "month", MONTH, "-p", "customer_id", customer, "--no-progress-bar"],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    for exporter in ("portal_html", "portal_pdf"):
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", exporter, str(executed),
             "--output-dir", str(out)],
            check=True, env=env, capture_output=True,
        )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--naive-customers", type=int, default=None)
    args = parser.parse_args()

    with Sandbox(seed=7, end_month="2026-10", months=3, secret=SECRET,
                 customers=args.customers) as sb:  # fmt: skip
        customers = [c["external_id"] for c in sb.customers][: args.customers]
        env = environment(sb.url)
        n_reports = len(customers) * len(REPORTS)
        naive_sample = customers[: args.naive_customers or len(customers)]
        timings: dict[str, list[tuple[float, float]]] = {
            "runner, 1 worker": [],
            "runner, 2 workers": [],
        }
        naive_per_report: list[float] = []
        for _ in range(args.repeat):
            timings["runner, 1 worker"].append(run_batch(customers, 1, env))
            timings["runner, 2 workers"].append(run_batch(customers, 2, env))
            with tempfile.TemporaryDirectory() as tmp:
                for customer in naive_sample:
                    for report in REPORTS:
                        naive_per_report.append(naive_report(customer, report, Path(tmp), env))

    naive = statistics.median(naive_per_report) * n_reports
    sampled = (
        ""
        if len(naive_sample) == len(customers)
        else (f" (timed on {len(naive_sample)} customers, per-report median x {n_reports})")
    )
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    print(
        f"{len(customers)} customers x {len(REPORTS)} reports x (HTML + PDF), {MONTH}; "
        f"{cores} cores; median of {args.repeat} run(s)"
    )
    print(f"{'way':<22} {'seconds':>8} {'s/report':>9} {'vs naive':>9} {'CPU s':>7} {'cores':>6}")
    print(f"{'naive chain':<22} {naive:>8.1f} {naive / n_reports:>9.2f} {1:>8.2f}x{sampled}")
    medians = {}
    for name, runs in timings.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        busy = statistics.median(c / w for w, c in runs)  # cores kept busy, per run
        medians[name] = (wall, busy)
        print(
            f"{name:<22} {wall:>8.1f} {wall / n_reports:>9.2f} {naive / wall:>8.2f}x"
            f" {cpu:>7.1f} {busy:>6.2f}"
        )
    (one, one_busy), (two, _) = medians["runner, 1 worker"], medians["runner, 2 workers"]
    pairs = [
        w1 / w2
        for (w1, _), (w2, _) in zip(
            timings["runner, 1 worker"], timings["runner, 2 workers"], strict=True
        )
    ]
    print(
        f"speed-up 1 -> 2 workers: {one / two:.2f}x"
        f" (each repeat, its 1-worker run over its 2-worker run: "
        f"{', '.join(f'{p:.2f}x' for p in pairs)})"
    )
    for name, runs in timings.items():
        print(f"  {name} runs, seconds: {', '.join(f'{w:.1f}' for w, _ in runs)}")
    print(
        f"  (the 1-worker run already keeps {one_busy:.2f} cores busy: fetch, clean-up and the"
        f" sandbox run beside its notebooks. If more workers do no less CPU work, {cores}"
        f" cores can finish it at most {cores / one_busy:.2f}x faster than it)"
    )


if __name__ == "__main__":
    main()
