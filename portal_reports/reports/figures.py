"""Report figures computed from a month of data: pure functions returning numbers and frames.

Summary figures are presented as the Portal computes them in ``/sessions/info``; only session
and lead counts are cross-checked against the listed sessions. Turning them into HTML is
:mod:`.blocks`' job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ..dates import month_days, month_label
from .format import fmt_amount, fmt_int, fmt_money, fmt_pct

if TYPE_CHECKING:
    from ..data.frames import SessionsInfo
    from ..data.month import MonthData
    from .targets import TargetProgress

Direction = Literal["up", "down", "flat", "new", "na"]


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


# --------------------------------------------------------------------------- summary access


def summary_value(info: SessionsInfo, metric: str, column: str = "total") -> float:
    """One figure of ``/sessions/info`` summary (0.0 when the Portal left it out)."""
    summary = info.summary
    if metric not in summary.index or column not in summary.columns:
        return 0.0
    value = summary.loc[metric, column]
    return 0.0 if pd.isna(value) else float(value)


def conversion_rate(info: SessionsInfo) -> float | None:
    """Leads per session (0..1); None when there were no sessions."""
    return _ratio(summary_value(info, "leads"), summary_value(info, "sessions"))


def voice_share(info: SessionsInfo) -> float | None:
    """Share of sessions on voice channels (0..1); None when there were no sessions."""
    channels = info.channels
    total = float(channels["count"].sum()) if len(channels) else 0.0
    voice = float(channels.loc[channels["channel"].astype(str) == "voice", "count"].sum())
    return _ratio(voice, total)


def revenue_per_lead(info: SessionsInfo) -> float | None:
    """Revenue divided by leads; None without leads."""
    return _ratio(summary_value(info, "revenue"), summary_value(info, "leads"))


def average_opportunity_value(info: SessionsInfo) -> float | None:
    """Opportunity value per opportunity session; None without opportunities."""
    return _ratio(
        summary_value(info, "opportunity_value"), summary_value(info, "opportunity_sessions")
    )


def after_hours_share(info: SessionsInfo, metric: str) -> float | None:
    """Share of ``metric`` outside working hours (0..1); None when the total is 0."""
    return _ratio(
        summary_value(info, metric, "non_working_hours"), summary_value(info, metric, "total")
    )


# --------------------------------------------------------------------------- headline KPIs


@dataclass(frozen=True)
class Kpi:
    """One headline figure with its change against the previous month."""

    label: str
    value: float | None
    formatted: str
    previous: float | None
    delta_abs: float | None
    delta_pct: float | None
    direction: Direction
    delta_text: str
    key: str = ""
    target: TargetProgress | None = None  # the monthly target, when customers.toml sets one


def _kpi(
    label: str,
    value: float | None,
    previous: float | None,
    fmt: Any,
    previous_label: str,
    *,
    rate: bool = False,
) -> Kpi:
    """A Kpi; counts compare in %, rates (0..1) in percentage points."""
    vs = f"vs {previous_label}"
    if value is None or previous is None:
        text = "n/a" if value is None else f"n/a (none in {previous_label})"
        return Kpi(label, value, fmt(value), previous, None, None, "na", text)
    delta_abs = value - previous
    direction: Direction = "up" if delta_abs > 0 else "down" if delta_abs < 0 else "flat"
    if rate:
        pts = delta_abs * 100
        text = "no change" if abs(pts) < 0.05 else f"{pts:+.1f} pts"
        return Kpi(label, value, fmt(value), previous, delta_abs, None, direction, f"{text} {vs}")
    if previous == 0:
        if value == 0:
            return Kpi(label, value, fmt(value), previous, 0.0, None, "flat", f"no change {vs}")
        text = f"new (none in {previous_label})"
        return Kpi(label, value, fmt(value), previous, delta_abs, None, "new", text)
    delta_pct = delta_abs / abs(previous)
    text = "no change" if abs(delta_pct) < 0.0005 else f"{delta_pct * 100:+.1f}%"
    return Kpi(label, value, fmt(value), previous, delta_abs, delta_pct, direction, f"{text} {vs}")


@dataclass(frozen=True)
class FigureSpec:
    """A headline figure a report can declare by key: label, how to compute it, how to show it.

    ``rate`` figures (0..1) compare in percentage points, the others in per cent.
    """

    key: str
    label: str
    value: Callable[[SessionsInfo], float | None]
    fmt: Callable[[float | None], str]
    rate: bool = False


def _summary(metric: str, column: str = "total") -> Callable[[SessionsInfo], float]:
    return lambda info: summary_value(info, metric, column)


#: Every figure a report may put in its headline, by key (a report lists the keys it shows).
FIGURES: dict[str, FigureSpec] = {
    spec.key: spec
    for spec in (
        FigureSpec("sessions", "Sessions", _summary("sessions"), fmt_int),
        FigureSpec("leads", "Leads", _summary("leads"), fmt_int),
        FigureSpec("conversion_rate", "Conversion rate", conversion_rate, fmt_pct, rate=True),
        FigureSpec(
            "leads_after_hours",
            "Leads after hours",
            _summary("leads", "non_working_hours"),
            fmt_int,
        ),
        FigureSpec("revenue", "Revenue", _summary("revenue"), fmt_money),
        FigureSpec(
            "revenue_after_hours",
            "Revenue after hours",
            _summary("revenue", "non_working_hours"),
            fmt_money,
        ),
        FigureSpec(
            "opportunity_sessions",
            "Opportunity sessions",
            _summary("opportunity_sessions"),
            fmt_int,
        ),
        FigureSpec(
            "opportunity_value", "Opportunity value", _summary("opportunity_value"), fmt_money
        ),
        FigureSpec("additional_deals", "Additional deals", _summary("additional_deal"), fmt_int),
        FigureSpec("units", "Units", _summary("units"), fmt_int),
        FigureSpec("asr", "ASR amount", _summary("asr"), fmt_amount),
        FigureSpec(
            "asr_working_hours", "ASR working hours", _summary("asr", "working_hours"), fmt_amount
        ),
        FigureSpec(
            "asr_after_hours", "ASR after hours", _summary("asr", "non_working_hours"), fmt_amount
        ),
        FigureSpec("voice_share", "Voice share", voice_share, fmt_pct, rate=True),
        FigureSpec("revenue_per_lead", "Revenue per lead", revenue_per_lead, fmt_money),
    )
}


def headline(data: MonthData, keys: Sequence[str]) -> list[Kpi]:
    """The headline figures ``keys`` (see :data:`FIGURES`) with previous-month deltas.

    Each report declares its own keys, e.g. ``headline(data, ["sessions", "leads"])``; a
    figure with a monthly target in ``customers.toml`` carries its progress (``Kpi.target``).
    """
    from dataclasses import replace

    from .targets import target_progress

    unknown = [k for k in keys if k not in FIGURES]
    if unknown:
        raise ValueError(
            f"unknown headline figure(s) {', '.join(map(repr, unknown))}: "
            f"expected some of {', '.join(FIGURES)}"
        )
    prev_label = month_label(data.previous_month).split()[0]
    targets = target_progress(data)
    kpis = []
    for key in keys:
        spec = FIGURES[key]
        kpi = _kpi(
            spec.label,
            spec.value(data.info),
            spec.value(data.previous_info),
            spec.fmt,
            prev_label,
            rate=spec.rate,
        )
        kpis.append(replace(kpi, key=key, target=targets.get(key)))
    return kpis


# --------------------------------------------------------------------------- series and tables


def daily_series(data: MonthData) -> pd.DataFrame:
    """Sessions, leads, conversion and ASR for every day of the month (0 on quiet days)."""
    days = pd.DatetimeIndex(pd.to_datetime(month_days(data.month)), name="date")
    by_date = data.info.leads_by_date.set_index("date")
    asr = data.info.asr_by_date.set_index("date")["asr_amount"]
    out = pd.DataFrame(index=days)
    out["sessions"] = by_date["total_sessions"].reindex(days, fill_value=0).astype("int64")
    out["leads"] = by_date["total_sessions_leads"].reindex(days, fill_value=0).astype("int64")
    out["asr_amount"] = asr.reindex(days, fill_value=0.0).astype("float64")
    sessions = out["sessions"].where(out["sessions"] > 0)
    out["conversion_rate"] = (out["leads"] / sessions).astype("float64")
    return out


def types_table(info: SessionsInfo, limit: int = 12) -> pd.DataFrame:
    """Session types split into leads / non-leads, with each type's share of its group."""
    rows = []
    for is_lead, group in (True, "Lead"), (False, "Not a lead"):
        part = info.types[info.types["is_lead"] == is_lead].sort_values(
            "total_sessions", ascending=False, kind="stable"
        )
        total = int(part["total_sessions"].sum())
        shown, rest = part.iloc[:limit], part.iloc[limit:]
        for argument, count in zip(shown["argument"], shown["total_sessions"], strict=True):
            rows.append((group, _type_label(argument), int(count), _ratio(count, total)))
        if len(rest):
            count = int(rest["total_sessions"].sum())
            rows.append((group, f"Other ({len(rest)} types)", count, _ratio(count, total)))
    return pd.DataFrame(rows, columns=["Group", "Session type", "Sessions", "Share of group"])


def _type_label(argument: Any) -> str:
    """``quote_request`` -> ``Quote request``."""
    text = str(argument).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "(unnamed)"


_SPLIT_METRICS = {
    "sessions": "Sessions",
    "leads": "Leads",
    "revenue": "Revenue",
    "asr": "ASR amount",
    "opportunity_sessions": "Opportunity sessions",
    "opportunity_value": "Opportunity value",
    "additional_deal": "Additional deals",
    "units": "Units",
}


def hours_split(
    info: SessionsInfo, metrics: tuple[str, ...] = ("sessions", "leads", "revenue", "asr")
) -> pd.DataFrame:
    """Working vs outside working hours per metric, with the after-hours share."""
    rows = []
    for metric in metrics:
        working = summary_value(info, metric, "working_hours")
        after = summary_value(info, metric, "non_working_hours")
        total = summary_value(info, metric, "total")
        rows.append(
            (_SPLIT_METRICS.get(metric, metric), working, after, total, _ratio(after, total))
        )
    frame = pd.DataFrame(
        rows,
        columns=["Metric", "Working hours", "Outside working hours", "Total", "After-hours share"],
    )
    frame.attrs["metrics"] = list(metrics)
    return frame


def channel_table(info: SessionsInfo) -> pd.DataFrame:
    """Sessions per channel with shares, largest first."""
    channels = info.channels.sort_values("count", ascending=False, kind="stable")
    total = int(channels["count"].sum())
    return pd.DataFrame(
        {
            "Channel": [str(c).capitalize() for c in channels["channel"]],
            "Sessions": [int(c) for c in channels["count"]],
            "Share": [_ratio(c, total) for c in channels["count"]],
        }
    )


def opportunity_table(info: SessionsInfo) -> pd.DataFrame:
    """Deal figures (opportunities, value, additional deals, units, revenue per lead)."""
    rows = [
        ("Opportunity sessions", fmt_int(summary_value(info, "opportunity_sessions"))),
        ("Opportunity value", fmt_money(summary_value(info, "opportunity_value"))),
        ("Average opportunity value", fmt_money(average_opportunity_value(info))),
        ("Additional deals", fmt_int(summary_value(info, "additional_deal"))),
        ("Units", fmt_int(summary_value(info, "units"))),
        ("Leads", fmt_int(summary_value(info, "leads"))),
        ("Revenue per lead", fmt_money(revenue_per_lead(info))),
    ]
    return pd.DataFrame(rows, columns=["Figure", "Value"])


# --------------------------------------------------------------------------- cross-check


@dataclass(frozen=True)
class CrossCheck:
    """Listed sessions (and leads counted from them) compared with ``/sessions/info``."""

    sessions_listed: int
    sessions_info: int
    leads_counted: int | None
    leads_info: int
    status: Literal["ok", "mismatch"]
    message: str

    @property
    def ok(self) -> bool:
        """True when every available comparison agrees."""
        return self.status == "ok"


def crosscheck(data: MonthData) -> CrossCheck:
    """Compare sessions listed vs info total, and leads counted (``is_lead``) vs info leads."""
    listed = len(data.sessions)
    info_sessions = int(summary_value(data.info, "sessions") or data.info.total_sessions)
    info_leads = int(summary_value(data.info, "leads") or data.info.total_leads)
    counted: int | None = 0 if listed == 0 else None  # no sessions listed: no leads either
    if listed and "arg_is_lead" in data.sessions.columns:
        flags = data.sessions["arg_is_lead"].astype("string").str.strip().str.lower()
        counted = int((flags == "true").fillna(False).sum())
    sessions_ok = listed == info_sessions
    leads_ok = counted is None or counted == info_leads
    status: Literal["ok", "mismatch"] = "ok" if sessions_ok and leads_ok else "mismatch"
    parts = [
        f"{fmt_int(listed)} sessions listed "
        + ("match" if sessions_ok else "do not match")
        + f" the {fmt_int(info_sessions)} in the Portal's statistics"
    ]
    if counted is None:
        parts.append("leads could not be counted from the sessions (not available)")
    else:
        parts.append(
            f"{fmt_int(counted)} leads counted from them "
            + ("match" if counted == info_leads else "do not match")
            + f" the {fmt_int(info_leads)} reported"
        )
    message = "; ".join(parts) + "."
    return CrossCheck(listed, info_sessions, counted, info_leads, status, message)


# --------------------------------------------------------------------------- manifest


def _number(value: float) -> int | float:
    """An int when integral, else a float rounded to 2 decimals."""
    value = float(value)
    return int(value) if value.is_integer() else round(value, 2)


def manifest_figures(data: MonthData) -> dict[str, int | float]:
    """The manifest's ``figures``: summary totals plus the number of sessions listed."""
    info = data.info
    return {
        "sessions_total": _number(summary_value(info, "sessions")),
        "leads_total": _number(summary_value(info, "leads")),
        "revenue_total": _number(summary_value(info, "revenue")),
        "asr_total": _number(summary_value(info, "asr")),
        "opportunity_value_total": _number(summary_value(info, "opportunity_value")),
        "units_total": _number(summary_value(info, "units")),
        "sessions_after_hours": _number(summary_value(info, "sessions", "non_working_hours")),
        "revenue_after_hours": _number(summary_value(info, "revenue", "non_working_hours")),
        "sessions_listed": len(data.sessions),
    }
