"""Wall time for one customer-month's three reports (HTML + PDF): runner vs the naive chain.

The naive chain is what a user would type: the papermill CLI once per notebook (each notebook
fetching its own data), then ``jupyter nbconvert --to portal_html`` and ``--to portal_pdf`` once
per notebook. The runner fetches once, runs notebooks in parallel worker processes and exports
in-process. Both run against the same in-process sandbox in the same run.

    .venv/bin/python benchmarks/reports.py [--month 2026-09] [--customer acme-dental] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from portal_reports.portal.client import PortalClient
from portal_reports.publish.runner import run_reports
from portal_reports.reports.registry import registry
from portal_reports.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "benchmark-secret"
REPORTS = registry(ROOT / "notebooks").names


def naive_chain(month: str, customer: str, out: Path, env: dict[str, str]) -> float:
    """papermill CLI per notebook, then jupyter nbconvert per notebook and format."""
    started = time.perf_counter()
    for report in REPORTS:
        executed = out / f"{report}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(ROOT / "notebooks" / f"{report}.ipynb"),
                str(executed),
                "-p",
                "month",
                month,
                "-p",
                "customer_id",
                customer,
                "--no-progress-bar",
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        for exporter in ("portal_html", "portal_pdf"):
            subprocess.run(
                [
                    str(BIN / "jupyter"),
                    "nbconvert",
                    "--to",
                    exporter,
                    str(executed),
                    "--output-dir",
                    str(out),
                ],
                check=True,
                env=env,
                capture_output=True,
            )
    return time.perf_counter() - started


def runner(month: str, customer: str, out: Path, url: str, workers: int | None) -> float:
    """The project's runner: shared fetch, parallel notebooks, in-process export."""
    started = time.perf_counter()
    with PortalClient(base_url=url, secret=SECRET, progress=False) as client:
        runs = run_reports(month, [customer], out_dir=out, client=client, workers=workers)
    elapsed = time.perf_counter() - started
    if not all(run.ok for run in runs):
        raise SystemExit(
            "runner failed: " + "; ".join(o.message for r in runs for o in r.outcomes if not o.ok)
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2026-09")
    parser.add_argument("--customer", default="acme-dental")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    with Sandbox(seed=7, end_month="2026-10", months=3, secret=SECRET) as sb:
        env = {**os.environ, "PORTAL_BASE_URL": sb.url, "PORTAL_SECRET": SECRET}
        times: dict[str, list[float]] = {"naive chain": [], "runner (1 worker)": [], "runner": []}
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                times["naive chain"].append(naive_chain(args.month, args.customer, Path(tmp), env))
            with tempfile.TemporaryDirectory() as tmp:
                times["runner (1 worker)"].append(
                    runner(args.month, args.customer, Path(tmp), sb.url, 1)
                )
            with tempfile.TemporaryDirectory() as tmp:
                times["runner"].append(runner(args.month, args.customer, Path(tmp), sb.url, None))

    base = statistics.median(times["naive chain"])
    print(
        f"One customer-month ({args.customer}, {args.month}): 3 reports x (HTML + PDF), "
        f"{os.cpu_count()} cores, median of {args.repeat}"
    )
    print(f"{'way':<20} {'seconds':>8} {'speed-up':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<20} {median:>8.1f} {base / median:>8.2f}x")


if __name__ == "__main__":
    main()
