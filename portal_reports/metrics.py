"""Report figures computed from a :class:`~portal_reports.dataset.MonthData`: pure functions.

Summary figures (revenue, ASR, leads, ...) are presented as the Portal computes them in
``/sessions/info``; only session and lead counts are cross-checked against listed sessions.
Formatting helpers and the small HTML blocks (KPI headline, callouts) live here too, so the
notebooks only call functions and display their results.
"""

from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from .dates import month_days, month_label

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

    from .dataset import MonthData
    from .frames import SessionsInfo

ENV_CURRENCY = "PORTAL_CURRENCY"
REPORTS = ("leads", "revenue", "asr")
Direction = Literal["up", "down", "flat", "new", "na"]
MAX_TABLE_ROWS = 30

# --------------------------------------------------------------------------- formatting


def currency_symbol() -> str:
    """Currency symbol prefixed to money (env ``PORTAL_CURRENCY``, default none)."""
    return os.environ.get(ENV_CURRENCY, "").strip()


def fmt_int(value: float | None) -> str:
    """``1234`` -> ``"1,234"``; None/NaN -> ``"–"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{round(value):,}"


def fmt_amount(value: float | None, decimals: int = 2) -> str:
    """``1234.5`` -> ``"1,234.50"`` (ASR amounts and other plain quantities)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{decimals}f}"


def fmt_money(value: float | None, decimals: int = 2) -> str:
    """``12345.5`` -> ``"12,345.50"``, prefixed with ``PORTAL_CURRENCY`` when set."""
    text = fmt_amount(value, decimals)
    symbol = currency_symbol()
    if text == "–" or not symbol:
        return text
    return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"


def fmt_pct(value: float | None, decimals: int = 1) -> str:
    """A ratio as a percentage: ``0.1234`` -> ``"12.3%"``; None -> ``"n/a"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value * 100:.{decimals}f}%"


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


def headline(data: MonthData, report: str) -> list[Kpi]:
    """Headline KPIs of ``report`` ("leads", "revenue", "asr") with previous-month deltas."""
    cur, prev = data.info, data.previous_info
    prev_label = month_label(data.previous_month).split()[0]

    def s(metric: str, column: str = "total") -> tuple[float, float]:
        return summary_value(cur, metric, column), summary_value(prev, metric, column)

    if report == "leads":
        return [
            _kpi("Sessions", *s("sessions"), fmt_int, prev_label),
            _kpi("Leads", *s("leads"), fmt_int, prev_label),
            _kpi(
                "Conversion rate",
                conversion_rate(cur),
                conversion_rate(prev),
                fmt_pct,
                prev_label,
                rate=True,
            ),
            _kpi("Leads after hours", *s("leads", "non_working_hours"), fmt_int, prev_label),
        ]
    if report == "revenue":
        return [
            _kpi("Revenue", *s("revenue"), fmt_money, prev_label),
            _kpi("Revenue after hours", *s("revenue", "non_working_hours"), fmt_money, prev_label),
            _kpi("Opportunity sessions", *s("opportunity_sessions"), fmt_int, prev_label),
            _kpi("Opportunity value", *s("opportunity_value"), fmt_money, prev_label),
            _kpi("Additional deals", *s("additional_deal"), fmt_int, prev_label),
            _kpi("Units", *s("units"), fmt_int, prev_label),
        ]
    if report == "asr":
        return [
            _kpi("ASR amount", *s("asr"), fmt_amount, prev_label),
            _kpi("ASR working hours", *s("asr", "working_hours"), fmt_amount, prev_label),
            _kpi("ASR after hours", *s("asr", "non_working_hours"), fmt_amount, prev_label),
            _kpi(
                "Voice share",
                voice_share(cur),
                voice_share(prev),
                fmt_pct,
                prev_label,
                rate=True,
            ),
        ]
    raise ValueError(f"unknown report {report!r}: expected one of {', '.join(REPORTS)}")


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


def styled_table(
    frame: pd.DataFrame,
    *,
    money: tuple[str, ...] = (),
    amount: tuple[str, ...] = (),
    pct: tuple[str, ...] = (),
    ints: tuple[str, ...] = (),
) -> Styler:
    """A display-ready table: formatted numbers, numbers right-aligned, no index."""
    formats: dict[str, Any] = {}
    formats.update({c: fmt_money for c in money})
    formats.update({c: fmt_amount for c in amount})
    formats.update({c: fmt_pct for c in pct})
    formats.update({c: fmt_int for c in ints})
    numeric = [c for c in frame.columns if c in formats]
    styler = frame.head(MAX_TABLE_ROWS).style.format(formats).hide(axis="index")
    styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    return styler.set_table_attributes('class="report"')


def hours_split_styled(info: SessionsInfo, metrics: tuple[str, ...] | None = None) -> Styler:
    """:func:`hours_split` formatted per row (money for revenue, amounts for ASR)."""
    frame = hours_split(info, metrics) if metrics else hours_split(info)
    fmt_by_metric = {"revenue": fmt_money, "opportunity_value": fmt_money, "asr": fmt_amount}
    text = frame.copy().astype(object)
    for i, metric in enumerate(frame.attrs["metrics"]):
        fmt = fmt_by_metric.get(metric, fmt_int)
        for col in ("Working hours", "Outside working hours", "Total"):
            text.at[i, col] = fmt(frame.at[i, col])
        text.at[i, "After-hours share"] = fmt_pct(frame.at[i, "After-hours share"])
    numeric = ["Working hours", "Outside working hours", "Total", "After-hours share"]
    styler = text.style.hide(axis="index").set_properties(subset=numeric, **{"text-align": "right"})
    return styler.set_table_attributes('class="report"')


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
        "sessions_listed": len(data.sessions),
    }


# --------------------------------------------------------------------------- HTML blocks


def kpi_html(kpis: list[Kpi], per_row: int = 4) -> str:
    """The KPI headline block (``div.kpis > div.kpi``) styled by the export template.

    More than ``per_row`` cards are split into balanced rows (6 -> 3 + 3), one block each.
    """
    rows = max(1, math.ceil(len(kpis) / per_row))
    size = max(1, math.ceil(len(kpis) / rows))
    if rows > 1:
        return "".join(kpi_html(kpis[i : i + size], per_row) for i in range(0, len(kpis), size))
    cards = []
    for k in kpis:
        cards.append(
            '<div class="kpi">'
            f'<div class="kpi-label">{html.escape(k.label)}</div>'
            f'<div class="kpi-value">{html.escape(k.formatted)}</div>'
            f'<div class="kpi-delta {k.direction}">{html.escape(k.delta_text)}</div>'
            "</div>"
        )
    return '<div class="kpis">' + "".join(cards) + "</div>"


def callout_html(text: str, kind: Literal["ok", "warn", "info"] = "info") -> str:
    """A callout box (``div.callout.ok|warn|info``; warn also ``.warning``) with escaped text."""
    classes = "callout warn warning" if kind == "warn" else f"callout {kind}"
    return f'<div class="{classes}">{html.escape(text)}</div>'


def crosscheck_html(check: CrossCheck) -> str:
    """The cross-check as a small OK note or a visible warning box."""
    if check.ok:
        return callout_html(f"Data check passed: {check.message}", "ok")
    return callout_html(
        f"Data check: the figures disagree. {check.message[:1].upper()}{check.message[1:]} "
        "Totals in this report are the Portal's statistics.",
        "warn",
    )


def notices_html(data: MonthData, *, crosscheck_mismatch: bool = True) -> str:
    """Notes a reader must see near the top: an empty month, a failed data check ("" if none).

    The leads report has its own data-check section, so it passes ``crosscheck_mismatch=False``.
    """
    blocks = []
    if summary_value(data.info, "sessions") == 0 and len(data.sessions) == 0:
        blocks.append(
            callout_html(
                f"No sessions were recorded in {month_label(data.month)}, "
                "so the charts below are empty.",
                "info",
            )
        )
    if crosscheck_mismatch:
        check = crosscheck(data)
        if not check.ok:
            blocks.append(crosscheck_html(check))
    return "".join(blocks)


def title_html(data: MonthData, report_title: str) -> str:
    """Report heading: title, business name and month."""
    return (
        f'<h1 class="report-title">{html.escape(report_title)}</h1>'
        f'<p class="report-subtitle">{html.escape(data.customer_name)} · '
        f"{html.escape(month_label(data.month))}</p>"
    )


def after_hours_sentence(data: MonthData) -> str:
    """What after-hours coverage earned, in one sentence."""
    info = data.info
    earned = summary_value(info, "revenue", "non_working_hours")
    share = after_hours_share(info, "revenue")
    if share is None:
        return f"No revenue was recorded in {month_label(data.month)}."
    return (
        f"Your AI agent earned {fmt_money(earned)} outside working hours, "
        f"{fmt_pct(share)} of the month's revenue."
    )
