"""A year of history for one customer-month: one ``/sessions/info`` per month, cached.

The history of ``2026-09`` is the 13 months ``2025-09`` .. ``2026-09``: the twelve the reports'
trend section shows, and the same month a year before (for the year-on-year change). Each month
is asked for once per customer and reused by later runs from a cache under the output folder
(``<out>/.cache/history/``), keyed by source, customer, month and time zone. A month that can
no longer change (older than the previous calendar month) is read from the cache; the current
and previous calendar months (and any later one) are always fetched again.

Months before the customer's data begins (before the first month with sessions) are kept as
``None``: the reports show them as "no data", never as zero. Only the statistics the reports
need are kept per month (summary, totals, channels, hours), so ``data.json`` stays small.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._io import atomic_write, remove_stale_temp_files
from ..dates import parse_month, previous_month, shift_month

if TYPE_CHECKING:
    from ..portal.client import PortalClient
    from .frames import SessionsInfo

HISTORY_MONTHS = 13
DEFAULT_TIME_ZONE = "UTC"
CACHE_DIR = Path(".cache") / "history"
_CACHE_FORMAT = 1
_KEPT = ("summary", "sessions_by_channel", "sessions_by_hours")


def history_range(month: str, time_zone: str = DEFAULT_TIME_ZONE) -> list[tuple[str, Any, Any]]:
    """``(month, start, end)`` of every month of ``month``'s history, oldest first.

    The one place that says what a history month's range is: the customer's local calendar
    months (UTC instants of their first and last second), like the report month itself.
    """
    from ..period import ReportMonth

    month = parse_month(month)
    out = []
    for back in range(HISTORY_MONTHS - 1, -1, -1):
        name = shift_month(month, -back)
        start, end = ReportMonth.parse(name, time_zone).range_utc
        out.append((name, start, end))
    return out


def compact_info(info: Mapping[str, Any]) -> dict[str, Any]:
    """What a history month keeps of a ``/sessions/info`` answer: the summary, the totals,
    channels and hours (no per-day or per-type rows)."""
    out: dict[str, Any] = {k: info[k] for k in _KEPT if k in info}
    by_leads = info.get("sessions_by_leads") or {}
    out["sessions_by_leads"] = {
        k: by_leads[k] for k in ("total_sessions", "total_sessions_leads") if k in by_leads
    }
    return out


def _sessions(info: Mapping[str, Any]) -> float:
    """The month's session count, read as the frames read it (numeric strings too)."""
    summary = info.get("summary")
    sessions = summary.get("sessions") if isinstance(summary, Mapping) else None
    from .frames import _as_number

    total = _as_number(sessions.get("total")) if isinstance(sessions, Mapping) else None
    if total is not None:
        return total
    by_leads = info.get("sessions_by_leads")
    fallback = _as_number(by_leads.get("total_sessions")) if isinstance(by_leads, Mapping) else None
    return fallback or 0.0


@dataclass(frozen=True)
class HistoryMonth:
    """One month of history: its compact statistics, or ``None`` before the data begins."""

    month: str
    info: dict[str, Any] | None

    @property
    def has_data(self) -> bool:
        return self.info is not None

    @functools.cached_property
    def frames(self) -> SessionsInfo | None:
        """``info`` as typed frames, converted once: a report's trend chart, its table and
        the year-on-year figures all read every month of them (so they share one object:
        change a copy, not these)."""
        from .frames import info_frames

        return None if self.info is None else info_frames(self.info)


@dataclass(frozen=True)
class History:
    """The months of a customer-month's history, oldest first; the last is the month itself."""

    month: str
    time_zone: str
    months: tuple[HistoryMonth, ...]

    def get(self, month: str) -> HistoryMonth | None:
        """The entry of ``month`` (None when it is outside the history)."""
        for entry in self.months:
            if entry.month == month:
                return entry
        return None

    def to_json(self) -> dict[str, Any]:
        """As stored in ``data.json`` (``history``)."""
        return {
            "month": self.month,
            "time_zone": self.time_zone,
            "months": [{"month": m.month, "info": m.info} for m in self.months],
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None, month: str) -> History:
        """Read ``data.json``'s ``history``; an older file without one gives an empty history."""
        if not isinstance(raw, Mapping):
            return cls(month, DEFAULT_TIME_ZONE, ())
        months = tuple(
            HistoryMonth(
                str(m["month"]), m.get("info") if isinstance(m.get("info"), dict) else None
            )
            for m in raw.get("months") or []
            if isinstance(m, Mapping) and m.get("month")
        )
        return cls(str(raw.get("month") or month), str(raw.get("time_zone") or "UTC"), months)


# --------------------------------------------------------------------------- cache


def can_change(month: str, today: date | None = None) -> bool:
    """Whether a month's statistics may still change: the previous calendar month, the
    current one and any later one (late sessions, sessions still running)."""
    return parse_month(month) >= previous_month(today)


def _safe(text: str) -> str:
    """A file-name-safe rendering of an id or a time zone (``America/New_York`` ->
    ``America~New_York``)."""
    return re.sub(r"[^A-Za-z0-9_.+-]", "~", text) or "~"


class HistoryCache:
    """``<root>/<customer>/<YYYY-MM>@<time zone>.json``: one month's compact statistics, with
    the source it came from (the Portal's address, or the sandbox's dataset)."""

    def __init__(self, root: str | os.PathLike[str], today: date | None = None) -> None:
        self.root = Path(root)
        self.today = today

    @classmethod
    def for_output(cls, out_dir: str | os.PathLike[str]) -> HistoryCache:
        """The cache of an output folder (``<out>/.cache/history``)."""
        return cls(Path(out_dir) / CACHE_DIR)

    def path(self, customer: str | None, month: str, time_zone: str) -> Path:
        return self.root / _safe(customer or "all") / f"{month}@{_safe(time_zone)}.json"

    def sweep(self, customer: str | None) -> None:
        """Remove temporary files that runs killed while writing left in ``customer``'s cache."""
        remove_stale_temp_files(self.root / _safe(customer or "all"))

    def get(
        self, source: str, customer: str | None, month: str, time_zone: str
    ) -> dict[str, Any] | None:
        """The cached statistics, or None (missing, unreadable, another source, or a month
        that can still change)."""
        if can_change(month, self.today):
            return None
        try:
            entry = json.loads(self.path(customer, month, time_zone).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        key = {"format": _CACHE_FORMAT, "source": source, "customer": customer, "month": month}
        if not isinstance(entry, dict) or any(entry.get(k) != v for k, v in key.items()):
            return None
        if entry.get("time_zone") != time_zone or not isinstance(entry.get("info"), dict):
            return None
        return entry["info"]

    def put(
        self,
        source: str,
        customer: str | None,
        month: str,
        time_zone: str,
        info: Mapping[str, Any],
    ) -> None:
        """Store one month (atomically; a failure to write only costs a later refetch)."""
        entry = {
            "format": _CACHE_FORMAT,
            "source": source,
            "customer": customer,
            "month": month,
            "time_zone": time_zone,
            "info": dict(info),
        }
        with contextlib.suppress(OSError):
            atomic_write(
                self.path(customer, month, time_zone), json.dumps(entry, sort_keys=True) + "\n"
            )


def source_id(client: PortalClient) -> str:
    """Where a client's data comes from, for the cache: the Portal's address, or the embedded
    sandbox's dataset (its address changes from process to process, its data does not)."""
    if getattr(client, "sandbox", False):
        from ..sandbox import default_sandbox

        sb = default_sandbox()
        if sb.url == client.base_url:
            return (
                f"sandbox seed={sb.seed} end_month={sb.end_month} months={sb.months} "
                f"scale={sb.scale:g}"
            )
    return client.base_url


# --------------------------------------------------------------------------- fetch


def fetch_history(
    client: PortalClient,
    month: str,
    customer: str | None,
    *,
    known: Mapping[str, Mapping[str, Any]] | None = None,
    cache: HistoryCache | None = None,
    time_zone: str = DEFAULT_TIME_ZONE,
    on_fetch: Callable[[str], None] | None = None,
) -> History:
    """The history of ``month`` for the client's customer: ``known`` months (already fetched
    ``/sessions/info`` answers, e.g. the month and the one before) are used as they are, the
    others come from ``cache`` when they can no longer change, else from the Portal."""
    known = known or {}
    source = source_id(client) if cache is not None else ""
    infos: list[tuple[str, dict[str, Any]]] = []
    for name, start, end in history_range(month, time_zone):
        info: dict[str, Any] | None = None
        if name in known:
            info = compact_info(known[name])
        elif cache is not None:
            info = cache.get(source, customer, name, time_zone)
        if info is None:
            if on_fetch is not None:
                on_fetch(name)
            info = compact_info(client.sessions_info(start, end))
        if cache is not None and not can_change(name, cache.today):
            cache.put(source, customer, name, time_zone, info)
        infos.append((name, info))
    return History(month, time_zone, _with_no_data(infos, month))


def _with_no_data(
    infos: Sequence[tuple[str, dict[str, Any]]], month: str
) -> tuple[HistoryMonth, ...]:
    """Months before the first one with sessions become "no data" (the month itself never)."""
    first = next((i for i, (_, info) in enumerate(infos) if _sessions(info) > 0), len(infos))
    return tuple(
        HistoryMonth(name, info if i >= first or name == month else None)
        for i, (name, info) in enumerate(infos)
    )
