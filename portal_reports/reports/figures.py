"""Report figures computed from a month of data: pure functions returning numbers and frames.

Summary figures are presented as the Portal computes them in ``/sessions/info``; only session
and lead counts are cross-checked against the listed sessions. Turning them into HTML is
:mod:`.blocks`' job.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ..i18n import N_, _, current
from .format import fmt_amount, fmt_int, fmt_money, fmt_pct

if TYPE_CHECKING:
    from ..data.frames import SessionsInfo
    from ..data.month import MonthData
    from .targets import TargetProgress

Direction = Literal["up", "down", "flat", "new", "na"]


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


# --------------------------------------------------------------------------- summary access

AFTER = "non_working_hours"  # the summary column of what happened outside working hours


def summary_value(info: SessionsInfo, metric: str, column: str = "total") -> float:
    """One figure of ``/sessions/info`` summary (0.0 when the Portal left it out or sent an
    invalid value; :func:`checked_value` tells those apart)."""
    summary = info.summary
    if metric not in summary.index or column not in summary.columns:
        return 0.0
    value = summary.loc[metric, column]
    return 0.0 if pd.isna(value) else float(value)


def checked_value(info: SessionsInfo, metric: str, column: str = "total") -> float:
    """:func:`summary_value`, but NaN when the Portal left the value out, sent null or sent a
    value that could not be used (see ``SessionsInfo.invalid``): cards, tables and the
    manifest show "–" or null for it, never 0."""
    summary = info.summary
    if metric not in summary.index or column not in summary.columns:
        return math.nan
    return float(summary.loc[metric, column])  # NaN for a cell left out or invalid


def not_sent(info: SessionsInfo, cells: Sequence[tuple[str, str]]) -> bool:
    """True when one of the summary ``cells`` (metric, column) was left out or null (rather
    than sent but invalid)."""
    invalid = getattr(info, "invalid", frozenset())
    return any(
        math.isnan(checked_value(info, metric, column)) and (metric, column) not in invalid
        for metric, column in cells
    )


def _checked_ratio(info: SessionsInfo, numerator: str, denominator: str) -> float | None:
    """``numerator / denominator`` of two summary totals; NaN when either was invalid."""
    top, bottom = checked_value(info, numerator), checked_value(info, denominator)
    if math.isnan(top) or math.isnan(bottom):
        return math.nan
    return _ratio(top, bottom)


def conversion_rate(info: SessionsInfo) -> float | None:
    """Leads per session (0..1); None when there were no sessions, NaN for invalid data."""
    return _checked_ratio(info, "leads", "sessions")


def voice_share(info: SessionsInfo) -> float | None:
    """Share of sessions on voice channels (0..1); None when there were no sessions."""
    channels = info.channels
    total = float(channels["count"].sum()) if len(channels) else 0.0
    voice = float(channels.loc[channels["channel"].astype(str) == "voice", "count"].sum())
    return _ratio(voice, total)


def revenue_per_lead(info: SessionsInfo) -> float | None:
    """Revenue divided by leads; None without leads, NaN for invalid data."""
    return _checked_ratio(info, "revenue", "leads")


def average_opportunity_value(info: SessionsInfo) -> float | None:
    """Opportunity value per opportunity session; None without opportunities."""
    return _checked_ratio(info, "opportunity_value", "opportunity_sessions")


def after_hours_share(info: SessionsInfo, metric: str) -> float | None:
    """Share of ``metric`` outside working hours (0..1); None when the total is 0, NaN when
    either figure is missing or invalid."""
    after, total = checked_value(info, metric, "non_working_hours"), checked_value(info, metric)
    if math.isnan(after) or math.isnan(total):
        return math.nan
    return _ratio(after, total)


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
    not_sent: tuple[bool, bool] = (False, False),
) -> Kpi:
    """A Kpi; counts compare in %, rates (0..1) in percentage points. Text in the active
    language, changes signed with a real minus sign (``−4.2% vs September``). NaN (a value
    the Portal did not send, ``not_sent`` for this and the previous month, or sent but could
    not be used) shows as "–" with no comparison."""
    lang = current()

    def versus(change: str) -> str:
        return lang.gettext("{change} vs {month}").format(change=change, month=previous_label)

    if _is_nan(value) or _is_nan(previous):
        where = lang.gettext("this month") if _is_nan(value) else previous_label
        if not_sent[0 if _is_nan(value) else 1]:
            text = lang.gettext("n/a (not reported by the Portal, {where})").format(where=where)
        else:
            text = lang.gettext("n/a (invalid data, {where})").format(where=where)
        return Kpi(label, None, fmt(None), None, None, None, "na", text)
    if value is None or previous is None:
        text = (
            lang.gettext("n/a")
            if value is None
            else lang.gettext("n/a (none in {month})").format(month=previous_label)
        )
        return Kpi(label, value, fmt(value), previous, None, None, "na", text)
    delta_abs = value - previous
    direction: Direction = "up" if delta_abs > 0 else "down" if delta_abs < 0 else "flat"
    if rate:
        pts = delta_abs * 100
        if abs(pts) < 0.05:  # shown as "no change": no arrow either
            direction = "flat"
        text = lang.gettext("no change") if abs(pts) < 0.05 else lang.signed_points(pts)
        return Kpi(label, value, fmt(value), previous, delta_abs, None, direction, versus(text))
    if previous == 0:
        if value == 0:
            text = versus(lang.gettext("no change"))
            return Kpi(label, value, fmt(value), previous, 0.0, None, "flat", text)
        text = lang.gettext("new (none in {month})").format(month=previous_label)
        return Kpi(label, value, fmt(value), previous, delta_abs, None, "new", text)
    delta_pct = delta_abs / abs(previous)
    if abs(delta_pct) < 0.0005:
        direction = "flat"
    text = lang.gettext("no change") if abs(delta_pct) < 0.0005 else lang.signed_percent(delta_pct)
    return Kpi(label, value, fmt(value), previous, delta_abs, delta_pct, direction, versus(text))


@dataclass(frozen=True)
class FigureSpec:
    """A headline figure a report can declare by key: label, how to compute it, how to show it.

    ``rate`` figures (0..1) compare in percentage points, the others in per cent. ``label``
    is English (the catalogs' msgid), translated when shown.
    """

    key: str
    label: str
    value: Callable[[SessionsInfo], float | None]
    fmt: Callable[[float | None], str]
    rate: bool = False
    #: The summary cells (metric, column) the value is computed from.
    cells: tuple[tuple[str, str], ...] = ()


def _is_nan(value: float | None) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _summary(
    key: str, label: str, metric: str, fmt: Callable[[float | None], str], column: str = "total"
) -> FigureSpec:
    """A headline figure that is one cell of the summary."""
    return FigureSpec(
        key, label, lambda info: checked_value(info, metric, column), fmt, cells=((metric, column),)
    )


#: Every figure a report may put in its headline, by key (a report lists the keys it shows).
FIGURES: dict[str, FigureSpec] = {
    spec.key: spec
    for spec in (
        _summary("sessions", N_("Sessions"), "sessions", fmt_int),
        _summary("leads", N_("Leads"), "leads", fmt_int),
        FigureSpec(
            "conversion_rate",
            N_("Conversion rate"),
            conversion_rate,
            fmt_pct,
            rate=True,
            cells=(("leads", "total"), ("sessions", "total")),
        ),
        _summary("leads_after_hours", N_("Leads after hours"), "leads", fmt_int, AFTER),
        _summary("revenue", N_("Revenue"), "revenue", fmt_money),
        _summary("revenue_after_hours", N_("Revenue after hours"), "revenue", fmt_money, AFTER),
        _summary(
            "opportunity_sessions", N_("Opportunity sessions"), "opportunity_sessions", fmt_int
        ),
        _summary("opportunity_value", N_("Opportunity value"), "opportunity_value", fmt_money),
        _summary("additional_deals", N_("Additional deals"), "additional_deal", fmt_int),
        _summary("units", N_("Units"), "units", fmt_int),
        _summary("asr", N_("ASR amount"), "asr", fmt_amount),
        _summary("asr_working_hours", N_("ASR working hours"), "asr", fmt_amount, "working_hours"),
        _summary("asr_after_hours", N_("ASR after hours"), "asr", fmt_amount, AFTER),
        FigureSpec("voice_share", N_("Voice share"), voice_share, fmt_pct, rate=True),
        FigureSpec(
            "revenue_per_lead",
            N_("Revenue per lead"),
            revenue_per_lead,
            fmt_money,
            cells=(("revenue", "total"), ("leads", "total")),
        ),
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
    prev_label = data.previous_period.month_name()
    targets = target_progress(data)
    kpis = []
    for key in keys:
        spec = FIGURES[key]
        kpi = _kpi(
            _(spec.label),
            spec.value(data.info),
            spec.value(data.previous_info),
            spec.fmt,
            prev_label,
            rate=spec.rate,
            not_sent=(not_sent(data.info, spec.cells), not_sent(data.previous_info, spec.cells)),
        )
        kpis.append(replace(kpi, key=key, target=targets.get(key)))
    return kpis


# --------------------------------------------------------------------------- series and tables


#: The only session columns the reports read (from Parquet alone, however large the month).
SESSION_COLUMNS_USED = ("created_at", "arg_is_lead", "arg_asr_amount")


def daily_series(data: MonthData) -> pd.DataFrame:
    """Sessions, leads, conversion and ASR for every local day of the customer's month.

    Counted from the listed sessions' ``created_at`` in the customer's time zone (leads from
    their ``is_lead`` argument, ASR from ``asr_amount``), not from ``/sessions/info``'s
    ``date`` buckets: the API does not say which zone those use, so they cannot be trusted to
    be the customer's days. :func:`crosscheck` checks that the days add up to the Portal's
    month totals. The spec does not promise those arguments, though: when no session carries
    one, leads (and the daily conversion, leads over the same rows' sessions) or ASR come from
    the Portal's per-date rows (``sessions_by_leads.items``, ``sessions_by_asr``), matched to
    the local days by date. Index: the local dates (naive), 0 on quiet days.
    ``attrs["leads_source"]`` and ``attrs["asr_source"]`` say where each came from:
    ``"sessions"``, ``"portal"`` or None (not available: all 0); ``attrs["month_conversion"]``
    is the month's leads over the sessions of the same rows (None without sessions).
    """
    period = data.period
    days = pd.DatetimeIndex(pd.to_datetime(period.days()), name="date")
    sessions = data.session_columns(*SESSION_COLUMNS_USED)
    created = sessions["created_at"]
    start, after = pd.Timestamp(period.start_utc), pd.Timestamp(period.shift(1).start_utc)
    inside = (created >= start) & (created < after)  # the whole last second, fractions too
    local_day = created[inside].dt.tz_convert(period.tz).dt.tz_localize(None).dt.normalize()
    out = pd.DataFrame(index=days)
    out["sessions"] = local_day.value_counts().reindex(days, fill_value=0).astype("int64")
    rate_sessions = out["sessions"]
    info = data.info
    leads = _lead_flags(sessions)
    leads_source = "sessions" if leads is not None else None
    if leads is not None:
        out["leads"] = leads[inside].groupby(local_day).sum().reindex(days, fill_value=0)
    elif len(info.leads_by_date):
        by_date = info.leads_by_date.set_index("date")
        out["leads"] = _on_days(by_date["total_sessions_leads"], days)
        rate_sessions = _on_days(by_date["total_sessions"], days)
        leads_source = "portal"
    else:
        out["leads"] = 0
    out["leads"] = out["leads"].astype("int64")
    asr = _asr_amounts(sessions)
    asr_source = "sessions" if asr is not None else None
    if asr is not None:
        out["asr_amount"] = asr[inside].groupby(local_day).sum().reindex(days, fill_value=0.0)
    elif len(info.asr_by_date):
        amounts = info.asr_by_date.set_index("date")["asr_amount"].fillna(0.0)
        out["asr_amount"] = _on_days(amounts, days)
        asr_source = "portal"
    else:
        out["asr_amount"] = 0.0
    out["asr_amount"] = out["asr_amount"].astype("float64")
    counted = rate_sessions.where(rate_sessions > 0)
    out["conversion_rate"] = (out["leads"] / counted).astype("float64")
    total = int(rate_sessions.sum())
    out.attrs["month_conversion"] = int(out["leads"].sum()) / total if total else None
    out.attrs["leads_known"] = leads_source is not None
    out.attrs["asr_known"] = asr_source is not None
    out.attrs["leads_source"] = leads_source
    out.attrs["asr_source"] = asr_source
    return out


def _on_days(values: pd.Series, days: pd.DatetimeIndex) -> pd.Series:
    """A per-date Portal series on the month's local days (0 where the Portal has no row;
    rows dated outside them left out)."""
    values = values.groupby(level=0).sum()
    values.index = pd.DatetimeIndex(values.index).tz_localize(None).normalize()
    return values.reindex(days, fill_value=0)


def _lead_flags(sessions: pd.DataFrame) -> pd.Series | None:
    """1 per session marked ``is_lead`` "true" (None when no session carries the argument)."""
    if "arg_is_lead" not in sessions.columns:
        return None if len(sessions) else pd.Series(0, index=sessions.index, dtype="int64")
    flags = sessions["arg_is_lead"].astype("string").str.strip().str.lower()
    return (flags == "true").fillna(False).astype("int64")


def _asr_amounts(sessions: pd.DataFrame) -> pd.Series | None:
    """Each session's ``asr_amount`` argument as a number (None when no session has one)."""
    if "arg_asr_amount" not in sessions.columns:
        return None if len(sessions) else pd.Series(0.0, index=sessions.index)
    return pd.to_numeric(sessions["arg_asr_amount"], errors="coerce").fillna(0.0).astype(float)


def types_table(info: SessionsInfo, limit: int = 12) -> pd.DataFrame:
    """Session types split into leads / non-leads, with each type's share of its group."""
    rows = []
    for is_lead, group in (True, _("Lead")), (False, _("Not a lead")):
        part = info.types[info.types["is_lead"] == is_lead].sort_values(
            "total_sessions", ascending=False, kind="stable"
        )
        total = int(part["total_sessions"].sum())
        shown, rest = part.iloc[:limit], part.iloc[limit:]
        for argument, count in zip(shown["argument"], shown["total_sessions"], strict=True):
            rows.append((group, _type_label(argument), int(count), _ratio(count, total)))
        if len(rest):
            count = int(rest["total_sessions"].sum())
            other = _("Other ({n} types)").format(n=len(rest))
            rows.append((group, other, count, _ratio(count, total)))
    columns = [_("Group"), _("Session type"), _("Sessions"), _("Share of group")]
    return pd.DataFrame(rows, columns=columns)


def _type_label(argument: Any, width: int = 80) -> str:
    """``quote_request`` -> ``Quote request`` (the Portal's own names, not translated): one
    line, at most ``width`` characters."""
    text = " ".join(str(argument).replace("_", " ").split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text[:1].upper() + text[1:] if text else _("(unnamed)")


#: Metric -> its English name (the msgid), translated when shown.
METRIC_LABELS = {
    "sessions": N_("Sessions"),
    "leads": N_("Leads"),
    "revenue": N_("Revenue"),
    "asr": N_("ASR amount"),
    "opportunity_sessions": N_("Opportunity sessions"),
    "opportunity_value": N_("Opportunity value"),
    "additional_deal": N_("Additional deals"),
    "units": N_("Units"),
}


def metric_label(metric: str) -> str:
    """A summary metric's name in the active language."""
    return _(METRIC_LABELS[metric]) if metric in METRIC_LABELS else metric


def split_columns() -> dict[str, str]:
    """The columns of :func:`hours_split` in the active language, by role."""
    return {
        "metric": _("Metric"),
        "working": _("Working hours"),
        "after": _("Outside working hours"),
        "total": _("Total"),
        "share": _("After-hours share"),
    }


def hours_split(
    info: SessionsInfo, metrics: tuple[str, ...] = ("sessions", "leads", "revenue", "asr")
) -> pd.DataFrame:
    """Working vs outside working hours per metric, with the after-hours share (NaN for a
    figure the Portal left out or sent invalid: shown as "–").

    Column names are in the active language (:func:`split_columns`); ``attrs["metrics"]``
    keeps the metric keys of the rows.
    """
    rows = []
    for metric in metrics:
        working = checked_value(info, metric, "working_hours")
        after = checked_value(info, metric, AFTER)
        total = checked_value(info, metric, "total")
        rows.append((metric_label(metric), working, after, total, after_hours_share(info, metric)))
    frame = pd.DataFrame(rows, columns=list(split_columns().values()))
    frame.attrs["metrics"] = list(metrics)
    return frame


def channel_name(channel: Any) -> str:
    """``voice`` -> ``Voice`` (``Telefon`` in German); other channels capitalised."""
    known = {"chat": N_("Chat"), "voice": N_("Voice")}
    text = str(channel)
    return _(known[text]) if text in known else text.capitalize()


def channel_table(info: SessionsInfo) -> pd.DataFrame:
    """Sessions per channel with shares, largest first."""
    channels = info.channels.sort_values("count", ascending=False, kind="stable")
    total = int(channels["count"].sum())
    return pd.DataFrame(
        {
            _("Channel"): [channel_name(c) for c in channels["channel"]],
            _("Sessions"): [int(c) for c in channels["count"]],
            _("Share"): [_ratio(c, total) for c in channels["count"]],
        }
    )


def opportunity_table(info: SessionsInfo) -> pd.DataFrame:
    """Deal figures (opportunities, value, additional deals, units, revenue per lead)."""
    rows = [
        (_("Opportunity sessions"), fmt_int(checked_value(info, "opportunity_sessions"))),
        (_("Opportunity value"), fmt_money(checked_value(info, "opportunity_value"))),
        (_("Average opportunity value"), fmt_money(average_opportunity_value(info))),
        (_("Additional deals"), fmt_int(checked_value(info, "additional_deal"))),
        (_("Units"), fmt_int(checked_value(info, "units"))),
        (_("Leads"), fmt_int(checked_value(info, "leads"))),
        (_("Revenue per lead"), fmt_money(revenue_per_lead(info))),
    ]
    return pd.DataFrame(rows, columns=[_("Figure"), _("Value")])


# --------------------------------------------------------------------------- cross-check

#: How far the ASR of the days may be from the month's total (each figure has 2 decimals).
ASR_TOLERANCE = 0.01


@dataclass(frozen=True)
class CrossCheck:
    """Listed sessions (and leads counted from them) compared with ``/sessions/info``, and the
    customer's local days added up against the month's totals."""

    sessions_listed: int
    sessions_info: int
    leads_counted: int | None
    leads_info: int
    status: Literal["ok", "mismatch", "invalid"]
    message: str
    days: int = 0
    days_sessions: int = 0
    days_leads: int | None = None
    days_asr: float | None = None
    asr_info: float = 0.0
    problems: tuple[str, ...] = ()  # values from the Portal that could not be used

    @property
    def ok(self) -> bool:
        """True when every available comparison agrees and every value was usable."""
        return self.status == "ok"

    @property
    def days_ok(self) -> bool:
        """The local days add up to the month's sessions, leads and ASR."""
        return (
            self.days_sessions == self.sessions_info
            and (self.days_leads is None or self.days_leads == self.leads_info)
            and (self.days_asr is None or abs(self.days_asr - self.asr_info) <= ASR_TOLERANCE)
        )


def crosscheck(data: MonthData) -> CrossCheck:
    """Compare sessions listed vs info total, leads counted (``is_lead``) vs info leads, and
    the sum of the daily series (the customer's local days) vs the month's totals."""
    lang = current()
    listed = data.sessions_count
    info_sessions = int(summary_value(data.info, "sessions") or data.info.total_sessions)
    info_leads = int(summary_value(data.info, "leads") or data.info.total_leads)
    info_asr = summary_value(data.info, "asr")
    flags = _lead_flags(data.session_columns(*SESSION_COLUMNS_USED))
    counted = None if flags is None else int(flags.sum())
    daily = daily_series(data)
    days_sessions = int(daily["sessions"].sum())
    # only days counted from the sessions check anything: the Portal's own per-date rows
    # need not be the customer's days
    from_sessions = daily.attrs["leads_source"] == "sessions"
    days_leads = int(daily["leads"].sum()) if from_sessions else None
    days_asr = float(daily["asr_amount"].sum()) if daily.attrs["asr_source"] == "sessions" else None
    sessions_ok = listed == info_sessions
    leads_ok = counted is None or counted == info_leads
    values = {"listed": fmt_int(listed), "info": fmt_int(info_sessions)}
    problems = tuple(getattr(data, "problems", ()))
    parts = [
        (
            lang.gettext("{listed} sessions listed match the {info} in the Portal's statistics")
            if sessions_ok
            else lang.gettext(
                "{listed} sessions listed do not match the {info} in the Portal's statistics"
            )
        ).format(**values)
    ]
    if counted is None:
        parts.append(lang.gettext("leads could not be counted from the sessions (not available)"))
        if daily.attrs["leads_source"] == "portal":
            parts.append(lang.gettext("leads by day are shown on the Portal's own dates"))
    else:
        values = {"counted": fmt_int(counted), "info": fmt_int(info_leads)}
        parts.append(
            (
                lang.gettext("{counted} leads counted from them match the {info} reported")
                if counted == info_leads
                else lang.gettext(
                    "{counted} leads counted from them do not match the {info} reported"
                )
            ).format(**values)
        )
    if daily.attrs["asr_source"] == "portal":
        parts.append(lang.gettext("the ASR amount by day is shown on the Portal's own dates"))
    check = CrossCheck(
        listed,
        info_sessions,
        counted,
        info_leads,
        "ok",
        "",
        len(daily),
        days_sessions,
        days_leads,
        days_asr,
        info_asr,
    )
    zone = data.period.zone_label()
    if check.days_ok:
        parts.append(
            lang.gettext("the {days} days ({zone}) add up to the month's totals").format(
                days=len(daily), zone=zone
            )
        )
    else:
        parts.append(
            lang.gettext(
                "the {days} days ({zone}) add up to {sessions} sessions, {leads} leads and "
                "an ASR amount of {asr}, not the month's totals"
            ).format(
                days=len(daily),
                zone=zone,
                sessions=fmt_int(days_sessions),
                leads=fmt_int(days_leads),
                asr=fmt_amount(days_asr),
            )
        )
    if problems:
        parts.append(
            lang.gettext(
                "{count} kind(s) of value from the Portal could not be used "
                "(see the data-quality warning)"
            ).format(count=len(problems))
        )
    status: Literal["ok", "mismatch", "invalid"] = (
        "ok" if sessions_ok and leads_ok and check.days_ok else "mismatch"
    )
    if status == "ok" and problems:
        status = "invalid"
    message = "; ".join(parts) + "."
    return dataclasses.replace(check, status=status, message=message, problems=problems)


# --------------------------------------------------------------------------- manifest


def _number(value: float) -> int | float | None:
    """An int when integral, else a float rounded to 2 decimals; None for NaN (invalid)."""
    value = float(value)
    if math.isnan(value):
        return None
    return int(value) if value.is_integer() else round(value, 2)


def manifest_figures(data: MonthData) -> dict[str, int | float | None]:
    """The manifest's ``figures``: summary totals plus the number of sessions listed
    (``null`` for a total the Portal sent but that could not be used)."""
    info = data.info
    return {
        "sessions_total": _number(checked_value(info, "sessions")),
        "leads_total": _number(checked_value(info, "leads")),
        "revenue_total": _number(checked_value(info, "revenue")),
        "asr_total": _number(checked_value(info, "asr")),
        "opportunity_value_total": _number(checked_value(info, "opportunity_value")),
        "units_total": _number(checked_value(info, "units")),
        "sessions_after_hours": _number(checked_value(info, "sessions", "non_working_hours")),
        "revenue_after_hours": _number(checked_value(info, "revenue", "non_working_hours")),
        "sessions_listed": data.sessions_count,
    }
