"""Batches as operators meet them: kills, locks, bad folders and ids, secrets."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from conftest import MONTH, SECRET

from portal_reports._io import FolderLock

ROOT = Path(__file__).resolve().parent.parent
CUSTOMER = "acme-dental"
ENTRY = "from portal_reports.cli import main; main()"


def cli(*args: str, env: dict[str, str], cwd: Path, timeout: int = 600):
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def described(pids: set[int]) -> str:
    """``pid: command line`` of each process, for a failure message."""
    lines = []
    for pid in sorted(pids):
        with contextlib.suppress(OSError):
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            lines.append(f"{pid}: {cmd.decode(errors='replace')[:120]}")
    return "; ".join(lines)


def start_run(out: Path, env: dict[str, str], *customers: str) -> subprocess.Popen[str]:
    args = [a for c in customers for a in ("--customer", c)]
    return subprocess.Popen(
        [sys.executable, "-c", ENTRY, "run", "--month", MONTH, "--out", str(out), *args],
        env=env,
        cwd=out.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_kernels(proc: subprocess.Popen[str], timeout: float = 60) -> set[int]:
    """The run's process tree once its workers have started kernels."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tree = descendants(proc.pid)
        cmdlines = []
        for pid in tree:
            with contextlib.suppress(OSError):
                cmdlines.append(Path(f"/proc/{pid}/cmdline").read_bytes())
        if any(b"ipykernel" in c for c in cmdlines):
            return tree
        time.sleep(0.2)
    raise AssertionError("no kernel started")


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_run_leaves_no_process_and_resumes(tmp_path, env, how):
    out = tmp_path / "reports"
    proc = start_run(out, env, CUSTOMER, "bistro-ca-va")
    tree = wait_for_kernels(proc)
    kernel_files = [  # the kernel's connection file holds its signing key
        Path(arg.decode())
        for pid in tree
        for arg in _cmdline(pid)
        if arg.endswith(b".json") and Path(arg.decode()).is_absolute()
    ]
    assert kernel_files and all(f.is_file() for f in kernel_files)
    os.kill(proc.pid, how)
    _, stderr = proc.communicate(timeout=30)
    deadline = time.monotonic() + 8
    while alive(tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(tree), f"processes outlived the run: {described(alive(tree))}"
    if how == signal.SIGTERM:
        assert proc.returncode == 130
        assert stderr.strip().splitlines()[-1].startswith("Error: interrupted")
        assert "Traceback" not in stderr
    # nothing torn under a final name, and no lock left: the next run finishes the batch
    for path in out.rglob("*"):
        assert not path.name.endswith(".tmp") or how == signal.SIGKILL
    rerun = cli("run", "--month", MONTH, "--out", str(out), "--customer", CUSTOMER,
                "--customer", "bistro-ca-va", env=env, cwd=tmp_path)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".lock"))
    for customer in (CUSTOMER, "bistro-ca-va"):
        manifest = json.loads((out / MONTH / customer / "manifest.json").read_text())
        assert manifest["status"] == "ok"
    # the killed workers' temporary files (kernel files, job folders) went with the next run
    tmp = Path(tempfile.gettempdir())
    assert not [p for pid in tree for p in tmp.glob(f"portal-reports-job-{pid}-*")]
    assert not [f for f in kernel_files if f.exists()]


def _cmdline(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def _tree_while_running(proc: subprocess.Popen[str]) -> tuple[set[int], list[bytes]]:
    """Every process seen below ``proc`` until it exits, and their command lines."""
    seen: set[int] = set()
    cmdlines: list[bytes] = []
    while proc.poll() is None:
        for pid in descendants(proc.pid) - seen:
            seen.add(pid)
            with contextlib.suppress(OSError):
                cmdlines.append(Path(f"/proc/{pid}/cmdline").read_bytes())
        time.sleep(0.05)
    return seen, cmdlines


@pytest.mark.slow
def test_workers_start_only_when_there_is_work_and_never_outlive_the_run(tmp_path, env):
    """Workers start before the first fetch ends when a customer-month has no manifest yet;
    an up-to-date re-run starts none; workers whose jobs never came (every fetch failed) are
    stopped with the run, not left behind or waited for."""
    out = tmp_path / "reports"
    first = start_run(out, env, CUSTOMER)
    first.communicate(timeout=300)
    assert first.returncode == 0
    again = start_run(out, env, CUSTOMER)
    _, cmdlines = _tree_while_running(again)
    assert again.returncode == 0 and "up to date" in again.communicate()[0]
    assert not [c for c in cmdlines if b"spawn_main" in c or b"ipykernel" in c]
    unknown = start_run(tmp_path / "other", env, "no-such-customer")
    started = time.monotonic()
    tree, cmdlines = _tree_while_running(unknown)
    assert unknown.returncode != 0 and time.monotonic() - started < 30
    assert [c for c in cmdlines if b"spawn_main" in c]  # started early: no manifest there yet
    deadline = time.monotonic() + 8
    while alive(tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(tree), f"processes outlived the run: {described(alive(tree))}"
    assert not (tmp_path / "other" / MONTH / "no-such-customer").exists()  # no empty folder


@pytest.mark.parametrize("bad", ["../../escaped", "/tmp/escaped", ".hidden", "a/b", "x\ty"])
def test_customer_ids_cannot_leave_the_output_folder(tmp_path, env, sandbox, bad):
    before = len(sandbox.requests)
    proc = cli("run", "--month", MONTH, "--customer", bad, "--out", str(tmp_path / "o"),
               env=env, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("Error: bad customer id")
    assert not (tmp_path / "o").exists() and not Path("/tmp/escaped").exists()
    assert len(sandbox.requests) == before  # refused before anything was fetched


@pytest.mark.parametrize("where", ["file/below", "/dev/null/x"])
def test_unusable_output_folder_is_refused_before_fetching(tmp_path, env, sandbox, where):
    (tmp_path / "file").write_text("not a folder")
    target = where if where.startswith("/") else str(tmp_path / where)
    before = len(sandbox.requests)
    proc = cli("run", "--month", MONTH, "--customer", CUSTOMER, "--out", target,
               env=env, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "is not a folder" in proc.stderr
    assert len(sandbox.requests) == before


def test_a_second_run_into_the_same_month_folder_is_refused(tmp_path, env, sandbox):
    out = tmp_path / "reports"
    with FolderLock(out / MONTH / CUSTOMER, "test holding the lock"):
        before = len(sandbox.requests)
        proc = cli("run", "--month", MONTH, "--customer", CUSTOMER, "--out", str(out),
                   env=env, cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 2
        line = proc.stderr.strip()
        assert "\n" not in line and f"locked by pid {os.getpid()}" in line
        assert "test holding the lock" in line
        assert len(sandbox.requests) == before
    assert not (out / MONTH / CUSTOMER / ".lock").exists()


def test_stale_temporary_files_of_dead_runs_are_removed(tmp_path, env):
    run_dir = tmp_path / "reports" / MONTH / CUSTOMER
    run_dir.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    stale = run_dir / f".leads.pdf.{dead}.x1y2.tmp"
    stale.write_bytes(b"half a pdf")
    mine = run_dir / f".leads.pdf.{os.getpid()}.x1y2.tmp"  # a live writer's file is kept
    mine.write_bytes(b"in progress")
    cache_dir = tmp_path / "reports" / ".cache" / "history" / CUSTOMER  # killed mid-fetch
    cache_dir.mkdir(parents=True)
    stale_cache = cache_dir / f".2026-05@America~New_York.json.{dead}.ab12.tmp"
    stale_cache.write_text('{"half": ')
    killed_job = Path(tempfile.gettempdir()) / f"portal-reports-job-{dead}-k1"  # a worker's
    killed_job.mkdir()
    (killed_job / "data.json").write_text("{}")
    live_job = Path(tempfile.mkdtemp(prefix=f"portal-reports-job-{os.getpid()}-"))
    proc = cli("run", "--month", MONTH, "--customer", CUSTOMER, "--report", "asr",
               "--format", "html", "--out", str(tmp_path / "reports"), env=env, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert not stale.exists() and mine.exists() and not stale_cache.exists()
    assert not killed_job.exists() and live_job.is_dir()
    live_job.rmdir()


SNOOP = r"""
import os, pathlib
mine = os.environ
parent = pathlib.Path(f"/proc/{os.getppid()}/environ").read_bytes().decode("utf-8", "replace")
print("SNOOP", "PORTAL_SECRET" in mine, "PORTAL_SECRET" in parent, len(parent) > 0)
print(repr(dict(mine)), parent)
"""


def test_kernels_and_their_workers_get_no_credentials(tmp_path, env):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    nb = nbformat.read(ROOT / "notebooks" / "asr.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(SNOOP))
    nbformat.write(nb, nb_dir / "asr.ipynb")
    (tmp_path / ".env").write_text(f"PORTAL_SECRET={SECRET}\n")  # a project .env nearby
    proc = cli("run", "--month", MONTH, "--customer", CUSTOMER, "--notebooks", str(nb_dir),
               "--format", "html", "--out", str(tmp_path / "out"), env=env, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    executed = (tmp_path / "out" / MONTH / CUSTOMER / "asr.ipynb").read_text()
    assert "SNOOP False False True" in executed
    assert SECRET not in executed
