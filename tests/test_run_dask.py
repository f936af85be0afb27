"""Resumable batches and the Dask executor: identical reports, a real scheduler and workers,
and Ctrl-C with either executor."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import MONTH, popen_interruptible
from test_run_batch import (  # the same CLI runner (env: see conftest)
    CUSTOMER,
    ENTRY,
    alive,
    cli,
    descendants,
    described,
)


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


def _spawned(pids: set[int]) -> int:
    """How many of ``pids`` are multiprocessing's spawned workers."""
    count = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            count += b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return count


@pytest.mark.slow
@pytest.mark.parametrize("when", ["workers boot", "reports run"])
@pytest.mark.parametrize("executor", ["local", "dask"])
def test_ctrl_c_stops_a_run_in_one_line_and_leaves_no_process(tmp_path, env, executor, when):
    """Ctrl-C at a terminal reaches the whole process group, workers included. A Dask
    LocalCluster's workers used to print a KeyboardInterrupt traceback each (while booting,
    or once running), or a Ctrl-C was swallowed and the run went on."""
    out = tmp_path / "reports"
    proc = popen_interruptible(
        [sys.executable, "-c", ENTRY, "run", "--month", MONTH, "--out", str(out),
         "--customer", CUSTOMER, "--customer", "bistro-ca-va", "--executor", executor,
         "--workers", "2"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # a process group of its own, as a shell gives a command
    )  # fmt: skip
    fetched = out / MONTH / CUSTOMER / "data.json"
    tree: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            tree |= descendants(proc.pid)
            if when == "workers boot" and _spawned(tree) >= 2:
                time.sleep(0.3 if executor == "dask" else 0.02)  # spawned, still importing
                break
            kernels = any(b"ipykernel" in _cmdline_bytes(pid) for pid in tree)
            if when == "reports run" and kernels and fetched.exists():
                time.sleep(1.5)  # the kernels are warm and the first notebooks run
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before the Ctrl-C"
        os.killpg(proc.pid, signal.SIGINT)  # as the terminal sends it
        deadline = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < deadline:
            tree |= descendants(proc.pid)  # a kernel started meanwhile must go too
            time.sleep(0.05)
        _, stderr = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["Error: interrupted; files written so far are complete"]
    deadline = time.monotonic() + 10
    while alive(tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(tree), f"processes outlived the run: {described(alive(tree))}"
    assert not list(out.rglob("*.tmp"))


def _cmdline_bytes(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_a_ctrl_c_landing_in_an_ignored_callback_is_raised_again_outside_it():
    """CPython ignores exceptions raised in importlib's module-lock weakref callback
    ("Exception ignored in: ..._get_module_lock.<locals>.cb"): a Ctrl-C landing there was lost
    and the run went on. The handler raises it again a moment later, outside the callback."""
    import signal

    from portal_reports.cli import _interrupt

    namespace: dict = {}
    exec(compile("def cb():\n    return sys._getframe()\n", "<frozen importlib._bootstrap>", "exec"),
         {"sys": sys}, namespace)  # fmt: skip
    previous = signal.signal(signal.SIGALRM, signal.SIG_IGN)
    try:
        _interrupt(signal.SIGINT, namespace["cb"]())  # no exception there: deferred
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 0.01
        with pytest.raises(KeyboardInterrupt):
            _interrupt(signal.SIGALRM, sys._getframe())  # the alarm, back in ordinary code
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
