"""Report charts: matplotlib ``Figure`` objects sized for an A4 page, in one house style.

No pyplot: every function builds a standalone ``Figure`` (safe under any backend, nothing
leaks into global state) that notebooks ``display()``. Every chart has a title and labelled
axes with units; a month without sessions gives a chart that says so instead of failing.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .._io import atomic_write
from ..i18n import N_, _, current, month_label, using
from .figures import (
    channel_name,
    checked_value,
    conversion_rate,
    daily_series,
    summary_value,
)
from .format import fmt_amount, fmt_int, fmt_money, fmt_pct
from .svgfont import embed_font

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..data.month import MonthData
    from ..period import ReportMonth

FIGSIZE = (7.0, 3.2)
EMPTY_HEIGHT = 1.6
EMPTY_TEXT = N_("No sessions this month")
MAX_CHANNELS = 8  # bars in the channel chart; the rest are one "Other" bar
PALETTE = {
    "sessions": "#9bb8d9",  # light blue bars
    "leads": "#1f6f4a",  # deep green
    "working": "#2f5d8c",  # navy
    "after": "#e08a2c",  # amber: after-hours
    "other": "#a9b1ba",  # grey: non-lead
    "asr": "#6a4c93",  # violet
    "line": "#c0392b",  # red accent line
}
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "axes.labelcolor": "#333333",
    "axes.edgecolor": "#888888",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e3e6ea",
    "grid.linewidth": 0.7,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "text.usetex": False,  # Portal text is never handed to LaTeX
}
# metric -> (panel title, axis unit, formatter); English msgids, translated when drawn
_METRIC_LABELS = {
    "sessions": (N_("Sessions"), N_("Sessions"), fmt_int),
    "leads": (N_("Leads"), N_("Leads"), fmt_int),
    "revenue": (N_("Revenue"), N_("Revenue"), fmt_money),
    "asr": (N_("ASR amount"), N_("ASR amount"), fmt_amount),
    "opportunity_value": (N_("Opportunity value"), N_("Opportunity value"), fmt_money),
    "opportunity_sessions": (N_("Opportunity sessions"), N_("Sessions"), fmt_int),
    "additional_deal": (N_("Additional deals"), N_("Deals"), fmt_int),
    "units": (N_("Units"), N_("Units"), fmt_int),
}


def _mix(colour: str, other: str, amount: float) -> str:
    """``colour`` moved ``amount`` (0..1) of the way towards ``other`` (both ``#rrggbb``)."""
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b, strict=True))


def _luminance(colour: str) -> float:
    """Relative luminance (0 black .. 1 white) of ``#rrggbb``."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def palette(accent: str | None = None) -> dict[str, str]:
    """The chart colours: the house palette, or one built on a brand's accent colour (session
    bars in a light tint of it, working hours and chat in the accent, voice and ASR a step
    lighter, or darker for a light accent). Leads (green), after hours (amber) and non-leads
    (grey) keep their meaning."""
    if not accent:
        return dict(PALETTE)
    second = (
        _mix(accent, "#ffffff", 0.35) if _luminance(accent) < 0.4 else _mix(accent, "#000000", 0.3)
    )
    return {**PALETTE, "sessions": _mix(accent, "#ffffff", 0.55), "working": accent, "asr": second}


def _colours(data: MonthData) -> dict[str, str]:
    return palette(data.settings.brand.accent)


# --------------------------------------------------------------------------- plumbing


@contextmanager
def _styled() -> Iterator[None]:
    """Apply the house style while a figure is being built (global rcParams untouched)."""
    with matplotlib.rc_context(STYLE):
        yield


def _figure(ncols: int = 1, figsize: tuple[float, float] = FIGSIZE) -> tuple[Figure, list[Axes]]:
    """A constrained-layout Figure with ``ncols`` styled axes."""
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0].tolist()
    for ax in axes:
        ax.tick_params(labelsize=STYLE["xtick.labelsize"], colors="#444444", length=3)
        ax.grid(axis="x", visible=False)
    return fig, axes


def portal_label(value: Any, width: int = 40) -> str:
    """Text from the Portal made safe for a chart label: one line, no control characters,
    at most ``width`` characters, and every ``$`` escaped so matplotlib never reads it as
    mathtext (``quote $5 to $10`` stays upright; ``$\\undefined{x}$`` cannot fail a report)."""
    text = " ".join(str(value).split())
    text = "".join(ch for ch in text if ch.isprintable())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.replace("$", r"\$")


def _label(ax: Axes, title: str, xlabel: str, ylabel: str) -> None:
    ax.set_title(title, fontsize=STYLE["axes.titlesize"], fontweight="bold", loc="left")
    ax.set_xlabel(xlabel, fontsize=STYLE["axes.labelsize"])
    ax.set_ylabel(ylabel, fontsize=STYLE["axes.labelsize"])


def _empty(ax: Axes, message: str | None = None, height: float = EMPTY_HEIGHT) -> None:
    """Turn ``ax`` into a short 'nothing to show' panel (title and labels stay)."""
    message = message or _(EMPTY_TEXT)
    fig = ax.get_figure()
    if fig is not None:
        fig.set_size_inches(fig.get_size_inches()[0], height)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=11,
        color="#666666",
    )


def _so_far(daily: pd.DataFrame, data: MonthData) -> pd.DataFrame:
    """The days the data covers: up to the day it was fetched in a month not over then (no
    line of zeros over days to come), every day otherwise. Attributes kept."""
    days = data.period.month_to_date(data.fetched_at)
    if days is None:
        return daily
    covered = daily.loc[: pd.Timestamp(days[1])]
    covered.attrs = dict(daily.attrs)
    return covered


def _has_sessions(data: MonthData) -> bool:
    return summary_value(data.info, "sessions") > 0 or data.info.total_sessions > 0


def _date_axis(ax: Axes, period: ReportMonth) -> None:
    """The customer's local days: ticks on the 1st, 8th, 15th, 22nd, 29th in the locale's
    words ("Oct 8", "8. Okt."), minor ticks daily."""
    days = period.days()
    ax.set_xlim(
        mdates.date2num(pd.Timestamp(days[0]) - pd.Timedelta(hours=18)),
        mdates.date2num(pd.Timestamp(days[-1]) + pd.Timedelta(hours=18)),
    )
    lang = current()  # captured: the figure may be drawn after the language changed
    ax.xaxis.set_major_locator(mdates.DayLocator(bymonthday=(1, 8, 15, 22, 29)))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: lang.day_label(mdates.num2date(x).date()))
    )
    ax.xaxis.set_minor_locator(mdates.DayLocator())
    ax.tick_params(axis="x", which="minor", length=2)


def _thousands(ax: Axes, axis: str = "y", *, counts: bool = False) -> None:
    """Tick labels with the locale's separators; decimals only when the axis range is small
    and it shows amounts (``counts``: whole ticks only, never "1.0")."""
    limits = ax.get_ylim if axis == "y" else ax.get_xlim
    lang = current()
    target = ax.yaxis if axis == "y" else ax.xaxis
    if counts:
        target.set_major_locator(MaxNLocator(integer=True))

    def fmt(value: float, _pos: int | None) -> str:
        span = abs(limits()[1] - limits()[0])
        decimals = 0 if counts or span >= 10 else 1 if span >= 1 else 2
        return lang.decimal(value, decimals)

    target.set_major_formatter(FuncFormatter(fmt))


def _percent_axis(ax: Axes, axis: str = "y") -> None:
    """Percentage tick labels (values 0..100) as the locale writes them (``20%``, ``20 %``)."""
    lang = current()
    formatter = FuncFormatter(lambda value, _pos: lang.percent(value / 100, 0))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


# --------------------------------------------------------------------------- charts


def sessions_leads_by_day(data: MonthData) -> Figure:
    """Sessions per local day (bars) with leads per day (line): the month's key chart."""
    colours = _colours(data)
    with _styled():
        fig, (ax,) = _figure()
        _label(
            ax,
            _("Sessions and leads by day — {month}").format(month=data.period.label()),
            _("Date"),
            _("Sessions per day"),
        )
        if not _has_sessions(data):
            _empty(ax)
            return fig
        daily = _so_far(daily_series(data), data)
        x = mdates.date2num(daily.index.to_pydatetime())
        ax.bar(x, daily["sessions"], width=0.75, color=colours["sessions"], label=_("Sessions"))
        if daily.attrs["leads_known"]:  # no line of zeros when leads by day are not known
            ax.plot(
                x,
                daily["leads"],
                color=colours["leads"],
                marker="o",
                markersize=3,
                linewidth=1.6,
                label=_("Leads"),
            )
        _date_axis(ax, data.period)
        _thousands(ax, counts=True)
        ax.legend(loc="lower right", ncols=2, bbox_to_anchor=(1.0, 1.0))
        ax.set_ylim(0, max(1, daily["sessions"].max()) * 1.15)
    return fig


def conversion_by_day(data: MonthData) -> Figure:
    """Daily conversion rate (leads / sessions) with the month's overall rate."""
    colours = _colours(data)
    with _styled():
        fig, (ax,) = _figure(figsize=(FIGSIZE[0], 2.8))
        _label(ax, _("Conversion rate by day"), _("Date"), _("Leads per session (%)"))
        if not _has_sessions(data):
            _empty(ax)
            return fig
        daily = _so_far(daily_series(data), data)
        if not daily.attrs["leads_known"]:
            _empty(ax, _("Leads by day are not available from the Portal"))
            return fig
        x = mdates.date2num(daily.index.to_pydatetime())
        rate = daily["conversion_rate"] * 100
        ax.plot(
            x,
            rate,
            color=colours["leads"],
            marker="o",
            markersize=3,
            linewidth=1.4,
            label=_("Daily rate"),
        )
        month = conversion_rate(data.info)  # as the headline card shows it
        if month is None or math.isnan(month):
            month = daily.attrs["month_conversion"] or 0.0
        overall = month * 100
        ax.axhline(
            overall,
            color=colours["line"],
            linestyle="--",
            linewidth=1,
            label=_("Month: {rate}").format(rate=fmt_pct(overall / 100)),
        )
        _date_axis(ax, data.period)
        _percent_axis(ax)
        ax.set_ylim(0, max(10.0, float(np.nanmax(rate.to_numpy(dtype=float, na_value=0))) * 1.15))
        ax.legend(loc="lower right", ncols=2, bbox_to_anchor=(1.0, 1.0))
    return fig


def session_types_chart(data: MonthData, limit: int = 8) -> Figure:
    """Session types as horizontal bars: lead types in green, other types in grey."""
    colours = _colours(data)
    types = data.info.types.sort_values("total_sessions", ascending=False, kind="stable")
    lead = types[types["is_lead"]].head(limit)
    other = types[~types["is_lead"]].head(limit)
    rows = pd.concat([lead, other])
    height = min(5.5, max(2.4, 0.9 + 0.26 * len(rows)))
    with _styled():
        fig, (ax,) = _figure(figsize=(FIGSIZE[0], height))
        _label(
            ax,
            _("Session types: leads and other conversations"),
            _("Sessions"),
            _("Session type"),
        )
        if rows.empty:
            _empty(ax, None if not _has_sessions(data) else _("The Portal sent no session types"))
            return fig
        labels = [portal_label(str(a).replace("_", " ").capitalize()) for a in rows["argument"]]
        counts = rows["total_sessions"].to_numpy()
        colors = [colours["leads"] if is_lead else colours["other"] for is_lead in rows["is_lead"]]
        gap = np.where(np.arange(len(rows)) >= len(lead), 0.6, 0.0) if len(lead) else 0.0
        y = -(np.arange(len(rows)) + gap)  # lead types on top, a gap, then the others
        bars = ax.barh(y, counts, color=colors, height=0.7)
        ax.set_yticks(y, labels)
        ax.bar_label(bars, labels=[fmt_int(c) for c in counts], padding=3, fontsize=8)
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
        ax.set_xlim(0, max(1, counts.max()) * 1.15)
        _thousands(ax, "x", counts=True)
        from matplotlib.patches import Patch

        ax.legend(
            handles=[
                Patch(color=colours["leads"], label=_("Lead")),
                Patch(color=colours["other"], label=_("Not a lead")),
            ],
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncols=2,
        )
    return fig


def hours_split_chart(
    data: MonthData, metrics: Sequence[str] = ("sessions", "leads"), title: str | None = None
) -> Figure:
    """One small panel per metric: working hours vs outside working hours, values on bars."""
    colours = _colours(data)
    with _styled():
        fig, axes = _figure(ncols=len(metrics), figsize=(FIGSIZE[0], 2.9))
        heading = title or _("Working hours vs after hours")
        if len(metrics) > 1:
            # the figure title leads; panel titles are a step smaller, with room between them
            fig.suptitle(
                heading, x=0.01, ha="left", fontsize=STYLE["axes.titlesize"], fontweight="bold"
            )
            fig.get_layout_engine().set(h_pad=0.1)
        for ax, metric in zip(axes, metrics, strict=True):
            name, unit, fmt = _METRIC_LABELS.get(metric, (metric, metric, fmt_amount))
            name, unit = _(name), _(unit)
            if len(metrics) > 1:
                panel = name
            elif title:
                panel = _("{metric}: {heading}").format(metric=name, heading=title)
            else:
                panel = _("{metric}: working hours vs after hours").format(metric=name)
            _label(ax, panel, _("When the session started"), unit)
            if len(metrics) > 1:
                ax.title.set(fontsize=STYLE["axes.labelsize"], color="#333333")
            if not _has_sessions(data):
                # tall enough for a y label such as "Opportunity value" under two titles
                short = _(EMPTY_TEXT) if len(metrics) == 1 else _("No sessions")
                _empty(ax, short, EMPTY_HEIGHT if len(metrics) == 1 else 2.2)
                continue
            sent = [
                checked_value(data.info, metric, "working_hours"),
                checked_value(data.info, metric, "non_working_hours"),
            ]
            values = [0.0 if math.isnan(v) else v for v in sent]  # no bar for "–"
            total = checked_value(data.info, metric)  # the Portal's total, else the two parts
            total = sum(values) if math.isnan(total) or total < sum(values) else total
            bars = ax.bar(
                [_("Working hours"), _("After hours")],
                values,
                width=0.6,
                color=[colours["working"], colours["after"]],
            )
            shares = ["" if not total or math.isnan(v) else fmt_pct(v / total) for v in sent]
            ax.bar_label(
                bars,
                labels=[f"{fmt(v)}\n{s}" for v, s in zip(sent, shares, strict=True)],
                padding=2,
                fontsize=8,
            )
            ax.set_ylim(0, max(1.0, max(values)) * 1.3)
            _thousands(ax, counts=metric not in ("revenue", "asr", "opportunity_value"))
    return fig


def hours_share_chart(
    data: MonthData, metrics: Sequence[str] = ("sessions", "leads", "revenue", "asr")
) -> Figure:
    """100% stacked bars: the share of each metric earned in and outside working hours."""
    colours = _colours(data)
    height = max(2.2, 0.9 + 0.45 * len(metrics))
    with _styled():
        fig, (ax,) = _figure(figsize=(FIGSIZE[0], height))
        _label(
            ax,
            _("Working hours vs after hours, share of the month"),
            _("Share of month total (%)"),
            _("Figure"),
        )
        if not _has_sessions(data):
            _empty(ax)
            return fig
        names, work, after = [], [], []
        for metric in metrics:
            w = checked_value(data.info, metric, "working_hours")
            a = checked_value(data.info, metric, "non_working_hours")
            total = w + a  # NaN when either is missing: no bar, rather than a false 100%
            total = 0.0 if math.isnan(total) else total
            names.append(_(_METRIC_LABELS.get(metric, (metric,))[0]))
            work.append(100 * w / total if total else 0.0)
            after.append(100 * a / total if total else 0.0)
        y = np.arange(len(metrics))[::-1]
        b1 = ax.barh(y, work, color=colours["working"], height=0.6, label=_("Working hours"))
        b2 = ax.barh(
            y, after, left=work, color=colours["after"], height=0.6, label=_("After hours")
        )
        for bars in (b1, b2):
            ax.bar_label(
                bars,
                labels=[fmt_pct(v / 100, 0) if v >= 6 else "" for v in bars.datavalues],
                label_type="center",
                color="white",
                fontsize=8,
            )
        ax.set_yticks(y, names)
        ax.set_xlim(0, 100)
        _percent_axis(ax, "x")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=2)
    return fig


def channel_chart(data: MonthData) -> Figure:
    """Share of sessions per channel (chat, voice) as bars labelled with counts."""
    colours = _colours(data)
    channels = data.info.channels.sort_values("count", ascending=False, kind="stable")
    channels = channels[channels["count"] > 0]
    if len(channels) > MAX_CHANNELS:  # a Portal may name any number of channels
        rest = channels.iloc[MAX_CHANNELS - 1 :]
        other = pd.DataFrame(
            {
                "channel": [_("Other ({count} channels)").format(count=len(rest))],
                "count": [rest["count"].sum()],
            }
        )
        top = channels.iloc[: MAX_CHANNELS - 1].assign(channel=lambda f: f["channel"].astype(str))
        channels = pd.concat([top, other], ignore_index=True)
    with _styled():
        fig, (ax,) = _figure(figsize=(FIGSIZE[0], 1.0 + 0.45 * max(2, len(channels))))
        _label(ax, _("Share of sessions by channel"), _("Share of sessions (%)"), _("Channel"))
        if channels.empty:
            _empty(ax, None if not _has_sessions(data) else _("The Portal sent no channels"))
            return fig
        total = channels["count"].sum()
        shares = channels["count"].to_numpy() / total * 100
        keys = [str(c) for c in channels["channel"]]
        names = [portal_label(channel_name(c)) for c in keys]
        y = np.arange(len(names))[::-1]
        colors = [colours["asr"] if k == "voice" else colours["working"] for k in keys]
        bars = ax.barh(y, shares, color=colors, height=0.55)
        ax.bar_label(
            bars,
            labels=[
                _("{count} sessions ({share})").format(count=fmt_int(c), share=fmt_pct(s / 100))
                for c, s in zip(channels["count"], shares, strict=True)
            ],
            padding=3,
            fontsize=8,
        )
        ax.set_yticks(y, names)
        ax.set_xlim(0, 100)
        _percent_axis(ax, "x")
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
    return fig


def asr_by_day(data: MonthData) -> Figure:
    """ASR amount per local day of the customer's month."""
    colours = _colours(data)
    with _styled():
        fig, (ax,) = _figure()
        _label(
            ax,
            _("ASR amount by day — {month}").format(month=data.period.label()),
            _("Date"),
            _("ASR amount per day"),
        )
        if not _has_sessions(data):
            _empty(ax)
            return fig
        daily = _so_far(daily_series(data), data)
        if not daily.attrs["asr_known"]:
            _empty(ax, _("ASR amounts by day are not available from the Portal"))
            return fig
        x = mdates.date2num(daily.index.to_pydatetime())
        ax.bar(x, daily["asr_amount"], width=0.75, color=colours["asr"], label=_("ASR amount"))
        _date_axis(ax, data.period)
        ax.set_ylim(0, max(1.0, float(daily["asr_amount"].max())) * 1.15)
        _thousands(ax)
    return fig


#: Fewest ticks between the first month and the next January for both to carry a year:
#: "2025" is about 2.3 ticks wide in the narrowest (three-panel) trend chart.
_YEAR_GAP = 3


def _month_ticks(months: Sequence[str]) -> list[str]:
    """``J``, ``F``, ... with the year under each January and under the first month, unless
    a January follows too closely (two years side by side would run into each other)."""
    january = next((i for i, month in enumerate(months) if month.endswith("-01")), None)
    labels = []
    for i, month in enumerate(months):
        year, mon = month.split("-")
        initial = month_label(month)[0]
        first = i == 0 and (january is None or january >= _YEAR_GAP)
        labels.append(f"{initial}\n{year}" if first or mon == "01" else initial)
    return labels


def _no_data_spans(values: Sequence[float]) -> list[tuple[int, int]]:
    """``(first, last)`` index of each run of months without data."""
    spans, start = [], None
    for i, value in enumerate(values):
        missing = value is None or bool(np.isnan(value))
        if missing and start is None:
            start = i
        if not missing and start is not None:
            spans.append((start, i - 1))
            start = None
    if start is not None:
        spans.append((start, len(values) - 1))
    return spans


def trend_chart(data: MonthData, keys: Sequence[str] = ("sessions", "leads")) -> Figure:
    """The last 12 months of each figure in ``keys``, one small panel each: a bar per month,
    the report month highlighted and labelled, months before the data begins shaded
    "no data" (never drawn as zero). Text in the active language; bars in the brand's
    colours, as the other charts (the report month in the accent, the others a tint of it)."""
    from .trend import trend_frame

    frame = trend_frame(data, list(keys))
    months = list(frame.index)
    with _styled():
        fig, axes = _figure(ncols=len(keys), figsize=(FIGSIZE[0], 2.2))
        fig.suptitle(
            _("Month by month, {first} to {last}").format(
                first=month_label(months[0]), last=month_label(months[-1])
            ),
            x=0.01,
            ha="left",
            fontsize=STYLE["axes.titlesize"],
            fontweight="bold",
        )
        fig.get_layout_engine().set(h_pad=0.1, w_pad=0.12)
        for ax, key in zip(axes, keys, strict=True):
            _trend_panel(ax, data, key, frame[key], _TREND_TITLE_CHARS // len(keys))
    return fig


#: Characters of a trend panel's title per line across the whole width: a title longer than
#: its panel's share ("Umsatz außerhalb der Geschäftszeiten") is wrapped, never cut off.
_TREND_TITLE_CHARS = 60


def _trend_panel(ax: Axes, data: MonthData, key: str, column: pd.Series, title_chars: int) -> None:
    """One figure's panel of :func:`trend_chart`: its title (wrapped after ``title_chars``),
    12 bars, the "no data" shading, the report month's value above the tallest bar, and
    localised axes."""
    import textwrap

    from .figures import FIGURES

    spec = FIGURES[key]
    colours = _colours(data)
    months = list(column.index)
    scale = 100.0 if spec.rate else 1.0
    values = column.to_numpy(dtype=float) * scale
    title = textwrap.fill(_(spec.label), max(12, title_chars), break_long_words=False)
    ax.set_title(title, fontsize=STYLE["axes.labelsize"], color="#333333", loc="left")
    x = np.arange(len(months))
    colors = [colours["working"] if m == data.month else colours["sessions"] for m in months]
    bars = ax.bar(x, np.nan_to_num(values, nan=0.0), width=0.72, color=colors)
    for i, value in enumerate(values):
        if np.isnan(value):
            bars[i].set_visible(False)
    top = float(np.nanmax(values)) if not np.all(np.isnan(values)) else 0.0
    ax.set_ylim(0, max(1.0 if not spec.rate else 10.0, top) * 1.3)
    _no_data_shading(ax, values)
    current = values[-1]
    if not np.isnan(current):
        text = spec.fmt(current / scale) if _has_sessions(data) else _("No sessions")
        ax.annotate(  # above the tallest bar, so it never covers a taller neighbour
            text,
            (x[-1] + 0.4, top),
            xytext=(0, 3),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=7.5,
            fontweight="bold",
            color=colours["working"],
        )
    ax.set_xlabel(_("Month"), fontsize=7.5)
    ax.set_ylabel("%" if spec.rate else _("per month"), fontsize=7.5)
    ax.set_xticks(x, _month_ticks(months))
    ax.tick_params(axis="x", labelsize=7, length=0)
    ax.set_xlim(-0.6, len(months) - 0.4)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=not spec.rate))
    if spec.rate:
        _percent_axis(ax)
    else:
        _trend_numbers(ax)


def _no_data_shading(ax: Axes, values: Sequence[float]) -> None:
    """Shade each run of months without data and say so ("no data", or "–" for one month)."""
    for start, end in _no_data_spans(values):
        ax.axvspan(start - 0.45, end + 0.45, color="#eef1f4", zorder=0, linewidth=0)
        ax.text(
            (start + end) / 2,
            ax.get_ylim()[1] * 0.5,
            _("no data") if end > start else "–",
            ha="center",
            va="center",
            rotation=0 if end - start >= 2 else 90,
            fontsize=7.5,
            color="#8a96a3",
        )


#: From this axis top on, trend ticks are short words (``1,5 Mio.``): full numbers would
#: not fit a narrow panel. Below it they are written in full, as on every other chart.
_COMPACT_FROM = 1_000_000


def _trend_numbers(ax: Axes) -> None:
    """Y tick labels of a trend panel in the locale's numbers: in full (``1.800``, ``1,800``,
    ``1 800``) like the other charts' axes, or CLDR's short form (``1,5 Mio.``, ``1.5M``)
    when the axis reaches a million."""
    if ax.get_ylim()[1] < _COMPACT_FROM:
        _thousands(ax)
        return
    lang = current()  # captured: the figure may be drawn after the language changed
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: lang.compact(value)))


def all_figures(data: MonthData) -> dict[str, Figure]:
    """Every chart of the reports, by name (used by tests and previews)."""
    return {
        "sessions_leads_by_day": sessions_leads_by_day(data),
        "conversion_by_day": conversion_by_day(data),
        "session_types": session_types_chart(data),
        "hours_split": hours_split_chart(data),
        "revenue_split": hours_split_chart(data, ("revenue", "opportunity_value")),
        "hours_share": hours_share_chart(data),
        "channels": channel_chart(data),
        "asr_by_day": asr_by_day(data),
        "trend": trend_chart(data, ("sessions", "leads", "conversion_rate")),
    }


# --------------------------------------------------------------------------- output


def key_chart_bytes(data: MonthData, dpi: int = 150) -> bytes:
    """The month's key chart (sessions and leads by day) as PNG bytes, in the customer's
    language: the picture at the top of the report email."""
    buf = io.BytesIO()
    with using(data.language):
        sessions_leads_by_day(data).savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def key_chart_png(data: MonthData, path: str | os.PathLike[str], dpi: int = 150) -> Path:
    """Write :func:`key_chart_bytes` to ``path``, atomically."""
    return atomic_write(path, key_chart_bytes(data, dpi))


#: How report SVGs are written: stable element ids (the same data gives the same bytes) and
#: text kept as text, drawn in the chart font that :func:`figure_svg` embeds.
SVG_RC = {"svg.hashsalt": "portal-reports", "svg.fonttype": "none"}


def figure_svg(fig: Figure) -> str:
    """A chart as report SVG: no timestamp, stable ids, labels as ``<text>`` in the embedded
    DejaVu Sans subset. A figure with a layout engine (every chart here) is saved whole, as
    laid out; one without is cropped to its drawing, as notebooks show figures."""
    crop = None if fig.get_layout_engine() is not None else "tight"
    buf = io.BytesIO()
    with matplotlib.rc_context(SVG_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches=crop)
    return embed_font(buf.getvalue()).decode("utf-8")


def setup_notebook(image_format: str = "svg") -> None:
    """Notebook presentation: crisp inline charts (:func:`figure_svg`: the same SVG in
    JupyterLab, HTML and PDF), readable pandas output."""
    matplotlib.rcParams.update(SVG_RC)
    pd.set_option("display.max_rows", 40)
    pd.set_option("display.max_columns", 20)
    pd.set_option("display.width", 120)
    pd.set_option("styler.format.thousands", ",")
    pd.set_option("styler.format.precision", 2)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats(image_format, metadata={"Date": None})  # no timestamp inside SVGs
    if image_format == "svg":  # the same drawing, with the chart font embedded
        svg = shell.display_formatter.formatters["image/svg+xml"]
        svg.for_type(Figure, figure_svg)
