"""Benchmark: fetch a month of sessions (PortalClient vs a naive loop) and build the frame.

Run: ``.venv/bin/python benchmarks/fetch.py`` (under a minute on 2 cores).

1. A sandbox Portal in its own process with one month of >= 50k sessions.
2. Fetch the month (best of 2) with ``PortalClient.sessions`` (one keep-alive session,
   per=100) and with a naive loop of bare ``requests.get`` calls (per=100, a new connection
   for every page). Client and server share this process (and its GIL).
3. Build a 100k-row frame with ``sessions_frame`` and with ``pandas.json_normalize`` (raw
   object columns, and again with the minimal post-processing to comparable dtypes).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import requests

from portal_reports.data.frames import sessions_frame
from portal_reports.dates import format_utc, month_range
from portal_reports.portal.client import PortalClient
from portal_reports.portal.paging import SESSIONS_PATH
from portal_reports.sandbox import DEFAULT_SECRET

MONTH = "2026-10"
SCALE = 11.0  # ~4.8k sessions per month at scale 1 -> ~53k
MIN_SESSIONS = 50_000
FRAME_ROWS = 100_000


def naive_fetch(
    url: str, secret: str, start: str, end: str, per: int = 100, http: Any = requests
) -> list[dict]:
    """What a first script does: ``GET`` page after page until the total is reached, through
    ``http`` (``requests`` itself: a new connection per page; or a ``requests.Session``)."""
    items: list[dict] = []
    page = 1
    while True:
        resp = http.get(
            url + SESSIONS_PATH,
            params={"page": page, "per": per, "from_datetime": start, "to_datetime": end},
            headers={"x-portal-secret": secret},
            timeout=60,
        )
        resp.raise_for_status()
        data = resp.json()
        items.extend(data["items"])
        if not data["items"] or len(items) >= data["metadata"]["total"]:
            return items
        page += 1


def best_of(runs: int, func: Callable[[], object]) -> tuple[float, object]:
    """Fastest wall time of ``runs`` calls (and the last result)."""
    best, result = float("inf"), None
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


def replicate(items: list[dict], rows: int) -> list[dict]:
    """``rows`` items: the fetched ones, then copies with fresh ids."""
    out = list(items)
    while len(out) < rows:
        for item in items[: rows - len(out)]:
            out.append({**item, "id": str(uuid.uuid4())})
    return out


def normalize_with_dtypes(items: list[dict]) -> pd.DataFrame:
    """``json_normalize`` plus the minimal conversions to dtypes comparable to sessions_frame."""
    frame = pd.json_normalize(items)
    for col in ("created_at", "ended_at", "latest_message_datetime", "latest_event_datetime"):
        frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
    for col in ("integration_idn", "connector_idn"):
        frame[col] = frame[col].astype("category")
    for col in ("user_messages_count", "agent_messages_count", "messages_count", "events_count"):
        frame[col] = frame[col].astype("Int64")
    for col in [c for c in frame.columns if c.startswith(("arguments.", "persona."))]:
        if col != "persona.is_deleted":
            frame[col] = frame[col].astype("string")
    return frame


class _Server:
    def __init__(self, url: str) -> None:
        self.url, self.secret = url, DEFAULT_SECRET


@contextlib.contextmanager
def sandbox_process(scale: float) -> Iterator[_Server]:
    """The sandbox in its own process (as a real Portal would be), so the server's Python
    work does not compete with the client's for one GIL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cmd = [
        sys.executable,
        "-c",
        "from portal_reports.cli import main; main()",
        "sandbox",
        "--port",
        str(port),
        "--seed",
        "1",
        "--end-month",
        MONTH,
        "--months",
        "1",
        "--scale",
        str(scale),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = _Server(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(server.url + "/", timeout=1)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the sandbox did not start") from None
                time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=SCALE)
    parser.add_argument("--rows", type=int, default=FRAME_ROWS)
    args = parser.parse_args()

    started = time.perf_counter()
    with sandbox_process(args.scale) as sb:
        setup = time.perf_counter() - started
        start, end = (format_utc(x) for x in month_range(MONTH))
        with PortalClient(sb.url, sb.secret, progress=False) as client:
            expected = client.sessions_info(start, end)["sessions_by_leads"]["total_sessions"]
            if expected < MIN_SESSIONS:
                raise SystemExit(f"only {expected} sessions in {MONTH}: raise --scale")
            t_client, items = best_of(2, lambda: client.sessions(start, end, progress=False))
        t_naive, naive = best_of(2, lambda: naive_fetch(sb.url, sb.secret, start, end))
    assert len(items) == expected, (len(items), expected)
    assert len(naive) == expected and {i["id"] for i in naive} == {i["id"] for i in items}

    rows = replicate(items, args.rows)
    t_frame, frame = best_of(3, lambda: sessions_frame(rows))
    t_norm, _ = best_of(3, lambda: pd.json_normalize(rows))
    t_norm_typed, _ = best_of(3, lambda: normalize_with_dtypes(rows))
    assert len(frame) == args.rows

    n = len(items)
    print(f"sandbox: {n:,} sessions in {MONTH} (scale {args.scale:g}), built in {setup:.1f}s")
    print()
    print(
        f"{'fetch ' + format(n, ',') + ' sessions (best of 2)':<46} {'seconds':>8} {'sessions/s':>11}"
    )
    print(
        f"{'PortalClient.sessions (keep-alive, per=100)':<46} {t_client:8.2f} {n / t_client:11,.0f}"
    )
    print(
        f"{'naive requests.get loop (new conn, per=100)':<46} {t_naive:8.2f} {n / t_naive:11,.0f}"
    )
    print(f"{'ratio (client speed / naive speed)':<46} {t_naive / t_client:8.2f}x")
    print()
    print(
        f"{'frame of ' + format(args.rows, ',') + ' sessions (best of 3)':<46} {'seconds':>8} {'ratio':>11}"
    )
    print(f"{'sessions_frame (typed, contract dtypes)':<46} {t_frame:8.3f} {1:11.2f}x")
    print(
        f"{'pd.json_normalize (object columns only)':<46} {t_norm:8.3f} {t_norm / t_frame:11.2f}x"
    )
    print(
        f"{'pd.json_normalize + dtype conversions':<46} {t_norm_typed:8.3f}"
        f" {t_norm_typed / t_frame:11.2f}x"
    )
    print(f"\ntotal {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
