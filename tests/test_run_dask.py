"""Resumable batches and the Dask executor: identical reports, a real scheduler and workers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import MONTH
from test_run_batch import CUSTOMER, cli  # the same CLI runner (env: see conftest)


def _outputs_without_dates(run_dir: Path) -> dict[str, str]:
    """Each report's HTML without what differs between runs by design (times, provenance)."""
    out = {}
    for report in ("leads", "revenue", "asr"):
        html = (run_dir / f"{report}.html").read_text(encoding="utf-8")
        html = re.sub(r"<meta [^>]*>", "", html)  # generation time, provenance (fetch time)
        html = re.sub(r"Generated [^<]+", "Generated <date>", html)
        out[report] = html
    return out


@pytest.mark.slow
def test_incremental_reruns_and_dask_give_identical_reports(tmp_path, env):
    out = tmp_path / "reports"
    args = ("run", "--month", MONTH, "--customer", CUSTOMER, "--format", "html", "--out", str(out))
    first = cli(*args, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    run_dir = out / MONTH / CUSTOMER
    local = _outputs_without_dates(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["execution"]["executor"] == "local"
    assert all(":" in r["worker"] for r in manifest["execution"]["reports"].values())

    again = cli(*args, env=env, cwd=tmp_path)
    assert again.returncode == 0 and re.search(rf"{CUSTOMER}\s+up to date", again.stdout)
    assert json.loads((run_dir / "manifest.json").read_text()) == manifest  # untouched

    (run_dir / "asr.html").write_text("tampered")
    repaired = cli(*args, env=env, cwd=tmp_path)
    assert re.search(rf"{CUSTOMER}\s+ok\s+3/3", repaired.stdout), repaired.stdout

    dask = cli(*args, "--executor", "dask", "--workers", "2", "--force", env=env, cwd=tmp_path)
    assert dask.returncode == 0, dask.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["execution"]["executor"] == "dask"
    assert _outputs_without_dates(run_dir) == local


@pytest.mark.slow
def test_dask_scheduler_and_workers_in_other_folders_without_credentials(tmp_path, env):
    """The README's cluster recipe: `dask scheduler`, `dask worker` elsewhere, `--scheduler`."""
    bin_dir = Path(sys.executable).parent
    worker_env = {k: v for k, v in env.items() if not k.startswith("PORTAL_")}
    sched_dir, work_dir = tmp_path / "scheduler", tmp_path / "worker"
    sched_dir.mkdir()
    work_dir.mkdir()
    info = tmp_path / "scheduler.json"
    procs = [
        subprocess.Popen(
            [
                str(bin_dir / "dask"),
                "scheduler",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            cwd=sched_dir,
            env=worker_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        procs.append(
            subprocess.Popen(
                [
                    str(bin_dir / "dask"),
                    "worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                ],
                cwd=work_dir,
                env=worker_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        )
        out = tmp_path / "reports"
        proc = cli("run", "--month", MONTH, "--customer", CUSTOMER, "--format", "html,pdf",
                   "--out", str(out), "--executor", "dask", "--scheduler", address,
                   env=env, cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        manifest = json.loads((out / MONTH / CUSTOMER / "manifest.json").read_text())
        assert manifest["status"] == "ok" and manifest["execution"]["executor"] == "dask"
        assert {o["format"] for o in manifest["outputs"]} >= {"html", "pdf"}
        assert not list(work_dir.rglob("*.pdf"))  # outputs came back: no shared folder
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
