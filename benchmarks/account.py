"""Benchmark: a whole-account month of ~500k sessions — fetch speed and the peak memory of a run.

Run: ``.venv/bin/python benchmarks/account.py`` (full size, 3 fetches of each kind: ~18 min
on 2 cores, most of it the bare loop; ``--repeat 1`` ~8 min), or ``--quick`` (~50k sessions,
~1 min). The sandbox's database is generated once (~30 s at full size) and cached, see
``--cache-dir``.

1. A sandbox Portal in its own process (``portal-reports sandbox``) holding two months to
   ``--month``, scaled so the whole account's month holds about ``--sessions`` sessions (the
   scale is measured on a scale-1 sandbox first).
2. Fetch the month, ``--repeat`` times each, alternating: a bare sequential loop over one
   keep-alive ``requests.Session`` (``page=N&per=100``, parse the JSON, append the items) and
   ``PortalClient.sessions`` (concurrent time slices). Sessions/s, the ratio (goal >= 3x), and
   the CPU seconds the sandbox and this process spent meanwhile (is the server the limit?).
   Then the CLI once: ``portal-reports fetch sessions --month M --out x.parquet``.
3. The whole job: ``portal-reports run --month M --format html,pdf`` for the whole account
   (no ``--customer``). Every ~0.1 s the process tree (the CLI, its workers, their kernels) is
   read from ``/proc`` (VmHWM, cmdline); the table gives each process's peak against 1 GiB.

Figures are medians of runs in this process, against the same sandbox. The sandbox, this
script and the job share the machine's cores: note the load average printed with them.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
from fetch import naive_fetch  # the same loop, from the sibling benchmark

from portal_reports.dates import format_utc, month_range
from portal_reports.portal.client import PortalClient
from portal_reports.portal.paging import SESSIONS_PATH
from portal_reports.sandbox import Sandbox

BIN = Path(sys.executable).parent
MONTH = "2026-10"
SEED = 7
MONTHS = 2  # the reported month and the one before it (the reports compare with it)
LIMIT_MIB = 1024
POLL_SECONDS = 0.1
HELPER_MIB = 64  # "other" processes below this are folded into one line
W = 56  # width of the first column of the fetch table
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- the machine


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = _meminfo_kib("MemTotal") / 1024**2
    return f"{cpu}, {os.cpu_count()} cores, {ram:.1f} GiB RAM, Python {platform.python_version()}"


def _meminfo_kib(key: str) -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine, all cores, since boot."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


# --------------------------------------------------------------------------- /proc


def proc_stat(pid: int) -> tuple[int, int, float] | None:
    """(ppid, start time in ticks, CPU seconds) of ``pid``, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    return int(fields[1]), int(fields[19]), cpu


def _status_kib(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    out[line[:5]] = int(line.split()[1])
    except OSError:
        pass
    return out


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def descendants(root: int) -> dict[int, tuple[int, int]]:
    """{pid: (ppid, start time)} of ``root`` and every process below it (one scan of /proc)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = proc_stat(int(entry.name))
            if stat:
                children.setdefault(stat[0], []).append(int(entry.name))
                stats[int(entry.name)] = stat[:2]
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            found[pid] = stats[pid]
            todo.extend(children.get(pid, ()))
    return found


@dataclass
class Proc:
    pid: int
    start: int
    ppid: int = 0
    cmdline: list[str] = field(default_factory=list)
    hwm_kib: int = 0
    rss_kib: int = 0

    def role(self, root: int) -> str:
        text = " ".join(self.cmdline)
        if self.pid == root:
            return "main CLI"
        if "ipykernel" in text:
            return "kernel"
        if "resource_tracker" in text:
            return "other (resource tracker)"
        if "spawn_main" in text or "forkserver" in text:
            return "worker" if self.ppid == root else "spawned below a worker"
        return "other"

    def alive(self) -> bool:
        stat = proc_stat(self.pid)
        return stat is not None and stat[1] == self.start


class TreeWatch:
    """The peak memory of every process in a tree, polled from /proc."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.procs: dict[tuple[int, int], Proc] = {}

    def poll(self) -> None:
        for pid, (ppid, start) in descendants(self.root).items():
            proc = self.procs.setdefault((pid, start), Proc(pid, start, ppid))
            status = _status_kib(pid)  # empty once it is a zombie: keep the last values
            proc.hwm_kib = max(proc.hwm_kib, status.get("VmHWM", 0))
            proc.rss_kib = max(proc.rss_kib, status.get("VmRSS", 0))
            cmdline = _cmdline(pid)
            if cmdline:
                proc.cmdline = cmdline  # a spawned child shows its parent's until it execs

    def kill(self) -> None:
        """SIGTERM the tree (the root's group and every process seen), SIGKILL after 5 s."""
        with contextlib.suppress(OSError):
            self.poll()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.root, signal.SIGTERM)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            alive = [p for p in self.procs.values() if p.alive()]
            for proc in alive:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(proc.pid, sig)
            deadline = time.monotonic() + 5
            while alive and time.monotonic() < deadline:
                time.sleep(0.1)
                alive = [p for p in alive if p.alive()]
            if not alive:
                return


@dataclass
class Measured:
    """A finished command: exit code, wall seconds, the processes seen, its ru_maxrss."""

    cmd: list[str]
    code: int
    seconds: float
    procs: list[Proc]
    maxrss_kib: int
    stdout: str
    stderr: str


def run_measured(cmd: list[str], env: dict[str, str], cwd: Path) -> Measured:
    """Run ``cmd`` in its own session, polling its process tree until it exits."""
    out, err = cwd / "cmd.stdout", cwd / "cmd.stderr"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=fo, stderr=fe, start_new_session=True)
    watch = TreeWatch(proc.pid)
    try:
        while True:
            watch.poll()
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                seconds = time.perf_counter() - started
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            time.sleep(POLL_SECONDS)
    finally:
        if proc.returncode is None:
            with _no_interrupts():
                watch.kill()
                with contextlib.suppress(ChildProcessError):
                    os.wait4(proc.pid, 0)
    with contextlib.suppress(OSError):  # children the CLI did not wait for, if any
        watch.poll()
    return Measured(
        cmd=cmd,
        code=proc.returncode,
        seconds=seconds,
        procs=sorted(watch.procs.values(), key=lambda p: p.start),
        maxrss_kib=usage.ru_maxrss,
        stdout=out.read_text(errors="replace"),
        stderr=err.read_text(errors="replace"),
    )


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """Let clean-up finish even if Ctrl-C is pressed again."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# --------------------------------------------------------------------------- the sandbox


@dataclass
class Server:
    url: str
    secret: str
    pid: int
    sessions: int
    log: str

    def cpu_seconds(self) -> float:
        stat = proc_stat(self.pid)
        return stat[2] if stat else float("nan")


def probe_scale(month: str, target: int) -> tuple[float, int]:
    """The scale giving ``target`` sessions in the whole account's ``month`` (from scale 1)."""
    with Sandbox(seed=SEED, end_month=month, months=MONTHS, scale=1.0) as sb:
        at_one = month_total(sb.url, sb.secret, month)
    return round(target / at_one, 2), at_one


def month_total(url: str, secret: str, month: str) -> int:
    start, end = (format_utc(x) for x in month_range(month))
    resp = requests.get(
        url + SESSIONS_PATH,
        params={"page": 1, "per": 1, "from_datetime": start, "to_datetime": end},
        headers={"x-portal-secret": secret},
        timeout=60,
    )
    resp.raise_for_status()
    return resp.json()["metadata"]["total"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def sandbox_process(month: str, scale: float, db: Path, logdir: Path) -> Iterator[Server]:
    """``portal-reports sandbox`` in its own process group, killed on the way out."""
    port, secret = free_port(), secrets.token_hex(16)
    cmd = [
        str(BIN / "portal-reports"), "sandbox", "--port", str(port), "--secret", secret,
        "--seed", str(SEED), "--months", str(MONTHS), "--end-month", month,
        "--scale", f"{scale:g}", "--db", str(db),
    ]  # fmt: skip
    log = logdir / "sandbox.log"
    with open(log, "wb") as f:
        proc = subprocess.Popen(
            cmd,
            stdout=f,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=clean_environment(),
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 1800  # generating ~1M sessions the first time
        while True:
            try:
                requests.get(url + "/", timeout=1)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the sandbox did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield Server(url, secret, proc.pid, month_total(url, secret, month), log.read_text())
    finally:
        with _no_interrupts():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def clean_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(extra)
    return env


# --------------------------------------------------------------------------- fetching


def bare_loop(url: str, secret: str, start: str, end: str) -> list[dict]:
    """A plain sequential loop: one keep-alive session, page after page, per=100."""
    with requests.Session() as http:
        return naive_fetch(url, secret, start, end, per=100, http=http)


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    machine_busy: list[float] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(self.seconds)


def timed_fetch(server: Server, fetch: Callable[[], object], into: Timing) -> set[str]:
    """Run ``fetch`` once; record wall and CPU seconds; return the ids it got."""
    gc.collect()
    cpu0, server0, (busy0, total0) = time.process_time(), server.cpu_seconds(), machine_ticks()
    started = time.perf_counter()
    items = fetch()
    into.seconds.append(time.perf_counter() - started)
    busy1, total1 = machine_ticks()
    into.machine_busy.append((busy1 - busy0) / max(1, total1 - total0))
    into.client_cpu.append(time.process_time() - cpu0)
    into.server_cpu.append(server.cpu_seconds() - server0)
    ids = {item["id"] for item in items}
    del items
    gc.collect()
    return ids


# --------------------------------------------------------------------------- output


def fetch_table(n: int, repeat: int, bare: Timing, client: Timing, slices: str) -> None:
    print(
        f"{'fetch ' + format(n, ',') + f' sessions (median of {repeat})':<{W}} {'seconds':>8} "
        f"{'sessions/s':>11} {'sandbox CPU':>12} {'client CPU':>11} {'machine busy':>13}"
    )
    for name, t in (
        ("bare requests.Session loop (sequential, per=100)", bare),
        (f"PortalClient.sessions ({slices})", client),
    ):
        med = t.median()
        print(
            f"{name:<{W}} {med:8.2f} {n / med:11,.0f} "
            f"{statistics.median(t.server_cpu) / med:12.0%} "
            f"{statistics.median(t.client_cpu) / med:11.0%} "
            f"{statistics.median(t.machine_busy):13.0%}"
        )
    ratio = bare.median() / client.median()
    print(
        f"{'ratio (client speed / bare speed)':<{W}} {ratio:8.2f}x   goal >= 3x: "
        f"{'PASS' if ratio >= 3 else 'FAIL'}"
    )
    print(
        "  (sandbox/client CPU: CPU seconds / wall seconds, 100% = one core busy throughout;"
        f" machine busy: all {os.cpu_count()} cores, every process, 100% = saturated)"
    )
    each = ", ".join(f"{b:.1f}/{c:.1f}" for b, c in zip(bare.seconds, client.seconds, strict=True))
    print(f"  each run, bare/client seconds: {each}")


def process_table(m: Measured) -> int:
    """Print one line per process seen (small helpers folded); return how many were over."""
    root = m.procs[0].pid if m.procs else -1
    print(f"{'process':<26} {'pid':>8} {'parent':>8} {'peak MiB':>9} {'vs 1 GiB':>9}  command")
    over = 0
    helpers: list[Proc] = []
    for proc in m.procs:
        mib = proc.hwm_kib / 1024
        ok = mib <= LIMIT_MIB
        over += not ok
        if ok and proc.role(root) == "other" and mib < HELPER_MIB:
            helpers.append(proc)
            continue
        command = " ".join(proc.cmdline)
        command = command if len(command) <= 60 else command[:57] + "..."
        print(
            f"{proc.role(root):<26} {proc.pid:>8} {proc.ppid:>8} {mib:9.0f} "
            f"{'PASS' if ok else 'FAIL':>9}  {command}"
        )
    if helpers:
        names = sorted({Path(p.cmdline[0]).name for p in helpers if p.cmdline})
        print(
            f"{'other: ' + str(len(helpers)) + ' short-lived':<26} {'':>8} {'':>8} "
            f"{max(p.hwm_kib for p in helpers) / 1024:9.0f} {'PASS':>9}  "
            f"each < {HELPER_MIB} MiB: {', '.join(names) or '?'}"
        )
    print(
        f"largest peak in the tree at exit, per the kernel (wait4 ru_maxrss): "
        f"{m.maxrss_kib / 1024:.0f} MiB"
    )
    return over


def reported_seconds(stdout: str) -> str:
    """The SECONDS column of the run's summary line for the whole account ("all")."""
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0] == "all" and len(cells) >= 4:
            return cells[3]
    return "?"


def tail(text: str, lines: int = 15) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500_000, help="target sessions/month")
    parser.add_argument("--quick", action="store_true", help="~50k sessions, one fetch each")
    parser.add_argument("--month", default=MONTH, help="reported month (UTC)")
    parser.add_argument("--repeat", type=int, default=None, help="fetches of each kind (3)")
    parser.add_argument("--skip-run", action="store_true", help="only the fetch figures")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        / "portal-reports"
        / "benchmarks",
        help="where the sandbox databases are kept between runs",
    )
    args = parser.parse_args()
    target = 50_000 if args.quick else args.sessions
    repeat = args.repeat or (1 if args.quick else 3)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up as on Ctrl-C

    began = time.perf_counter()
    print(f"machine: {machine()}")
    print(f"load average at start: {load_average()}")
    scale, at_one = probe_scale(args.month, target)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    db = args.cache_dir / f"account-{args.month}-seed{SEED}-scale{scale:g}.db"
    reused = db.exists()
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="bench-account-") as tmp,
        sandbox_process(args.month, scale, db, Path(tmp)) as server,
    ):
        tmpdir = Path(tmp)
        setup = time.perf_counter() - started
        n = server.sessions
        print(
            f"sandbox: {n:,} sessions in the whole account's {args.month} (scale {scale:g}; "
            f"{at_one:,} at scale 1), {MONTHS} months to {args.month}, seed {SEED}; "
            f"{'reused' if reused else 'generated'} {db} and started in {setup:.0f}s"
        )

        start, end = (format_utc(x) for x in month_range(args.month))
        bare, client_t = Timing(), Timing()
        with PortalClient(server.url, server.secret, progress=False) as client:
            slices = (
                f"slices of {getattr(client, 'slice_size', '?'):,}, "
                f"{getattr(client, 'slice_concurrency', '?')} at a time"
            )
            for _ in range(repeat):  # alternate, so drifting load hits both alike
                ids_bare = timed_fetch(
                    server, lambda: bare_loop(server.url, server.secret, start, end), bare
                )
                ids_client = timed_fetch(
                    server, lambda: client.sessions(start, end, progress=False), client_t
                )
                if not (len(ids_bare) == n and ids_client == ids_bare):
                    raise SystemExit(
                        f"fetches disagree: {n} expected, bare {len(ids_bare)}, "
                        f"client {len(ids_client)} ({len(ids_client ^ ids_bare)} differ)"
                    )
                del ids_bare, ids_client
        print()
        fetch_table(n, repeat, bare, client_t, slices)

        env = clean_environment(PORTAL_BASE_URL=server.url, PORTAL_SECRET=server.secret)
        cli_fetches = []
        work = tmpdir / "fetch"
        fetch_cmd = [str(BIN / "portal-reports"), "fetch", "sessions", "--month", args.month,
                     "--out", str(work / "sessions.parquet"), "--no-progress"]  # fmt: skip
        for _ in range(repeat):
            work.mkdir()
            cli_fetches.append(run_measured(fetch_cmd, env, work))
            shutil.rmtree(work, ignore_errors=True)
        seconds = statistics.median(m.seconds for m in cli_fetches)
        print(
            f"{'portal-reports fetch sessions --out .parquet':<{W}} {seconds:8.2f} "
            f"{n / seconds:11,.0f}   (the CLI process: start-up, fetch, frame, Parquet; "
            f"exit {max(m.code for m in cli_fetches)}, peak "
            f"{max(m.maxrss_kib for m in cli_fetches) / 1024:.0f} MiB)"
        )
        for m in cli_fetches:
            if m.code != 0:
                print(tail(m.stdout + m.stderr))
                break

        if not args.skip_run:
            work = tmpdir / "run"
            work.mkdir()
            cmd = [str(BIN / "portal-reports"), "run", "--month", args.month,
                   "--out", str(work / "out"), "--format", "html,pdf"]  # fmt: skip
            print(f"\nload average before the run: {load_average()}")
            job = run_measured(cmd, env, work)
            print(
                f"portal-reports run --month {args.month} --format html,pdf (whole account, "
                f"{n:,} sessions): exit {job.code}, wall {job.seconds:.1f}s "
                f"(the CLI reports {reported_seconds(job.stdout)}s)"
            )
            over = process_table(job)
            print(
                f"peak memory: {over} of {len(job.procs)} processes over {LIMIT_MIB} MiB -> "
                f"{'FAIL' if over else 'PASS'}"
            )
            if job.code != 0:
                print(tail(job.stdout + job.stderr))
            print(f"load average after the run: {load_average()}")
    print(f"\ntotal {time.perf_counter() - began:.0f}s")


if __name__ == "__main__":
    main()
