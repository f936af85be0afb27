"""The last 12 months: one value per month for the figures a report shows, and the change
against the same month last year.

Values come from the month's history (:mod:`portal_reports.data.history`, one
``/sessions/info`` per month) through the same :data:`~.figures.FIGURES` as the headline, so a
trend point of the report month equals its headline figure. Months before the customer's data
begins are missing (NaN), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..dates import shift_month
from ..i18n import _, current
from .figures import AFTER, FIGURES, Kpi, _kpi, checked_value, not_sent

if TYPE_CHECKING:
    from ..data.frames import SessionsInfo
    from ..data.month import MonthData

TREND_MONTHS = 12

#: The manifest's ``history`` entry: field -> how it is read from a month's statistics.
HISTORY_FIELDS: dict[str, Any] = {
    "sessions_total": FIGURES["sessions"].value,
    "sessions_after_hours": lambda i: checked_value(i, "sessions", AFTER),
    "leads_total": FIGURES["leads"].value,
    "leads_after_hours": FIGURES["leads_after_hours"].value,
    "conversion_rate": FIGURES["conversion_rate"].value,
    "revenue_total": FIGURES["revenue"].value,
    "revenue_after_hours": FIGURES["revenue_after_hours"].value,
    "opportunity_value_total": FIGURES["opportunity_value"].value,
    "units_total": FIGURES["units"].value,
    "asr_total": FIGURES["asr"].value,
}  # NaN (a figure left out or unusable) is written as null, as the month's own figures are


def _check(keys: tuple[str, ...] | list[str]) -> None:
    unknown = [k for k in keys if k not in FIGURES]
    if unknown:
        raise ValueError(
            f"unknown trend figure(s) {', '.join(map(repr, unknown))}: "
            f"expected some of {', '.join(FIGURES)}"
        )


def month_infos(data: MonthData) -> dict[str, SessionsInfo | None]:
    """Each history month's statistics as a :class:`SessionsInfo` (None: no data), oldest first."""
    history = data.history
    if history is None or not history.months:  # data.json from before history: the month only
        return {data.month: data.info}
    return {
        m.month: (data.info if m.month == data.month else m.frames) if m.has_data else None
        for m in history.months
    }


def trend_frame(data: MonthData, keys: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """The last 12 months (index ``YYYY-MM``, oldest first) x ``keys``; NaN = no data."""
    _check(keys)
    infos = month_infos(data)
    months = [shift_month(data.month, -back) for back in range(TREND_MONTHS - 1, -1, -1)]
    rows = []
    for month in months:
        info = infos.get(month)
        row = {}
        for key in keys:
            value = FIGURES[key].value(info) if info is not None else None
            row[key] = float("nan") if value is None else float(value)
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index(months, name="month"), columns=list(keys))


@dataclass(frozen=True)
class YearOnYear:
    """A figure this month, the same month a year before, and the 12-month average."""

    kpi: Kpi  # value vs the same month last year (``previous`` is last year's value)
    change: str  # the change alone (``+38,3 %``), for a table whose header names the months
    year_ago_month: str
    year_ago_formatted: str
    average: float | None
    average_formatted: str


def short_month(month: str) -> str:
    """``2025-11`` -> ``Nov 2025`` / ``Nov. 2025`` / ``nov. 2025``: the month abbreviated as
    the active language abbreviates it (CLDR), for "vs Nov 2025"."""
    year, mon = map(int, month.split("-"))
    return current().date(date(year, mon, 1), "yMMM")


def change_only(text: str, month: str) -> str:
    """A Kpi's ``delta_text`` without its "vs <month>" (``+38.3% vs Nov 2025`` -> ``+38.3%``),
    cut by the active language's own wording of "{change} vs {month}"; other texts (``n/a
    (none in Nov 2025)``) stay whole."""
    prefix, _sep, suffix = current().gettext("{change} vs {month}").partition("{change}")
    suffix = suffix.format(month=month)
    prefix = prefix.format(month=month)
    if suffix and text.startswith(prefix) and text.endswith(suffix):
        return text[len(prefix) : len(text) - len(suffix)]
    return text


def year_on_year(data: MonthData, keys: list[str] | tuple[str, ...]) -> list[YearOnYear]:
    """For each figure: this month against the same month last year (n/a without data then),
    labels and numbers in the active language."""
    _check(keys)
    infos = month_infos(data)
    year_ago = shift_month(data.month, -12)
    ago_info = infos.get(year_ago)
    short = short_month(year_ago)
    frame = trend_frame(data, keys)
    out = []
    for key in keys:
        spec = FIGURES[key]
        value = spec.value(data.info)
        before = spec.value(ago_info) if ago_info is not None else None
        missing = (
            not_sent(data.info, spec.cells),
            ago_info is not None and not_sent(ago_info, spec.cells),
        )
        kpi = _kpi(_(spec.label), value, before, spec.fmt, short, rate=spec.rate, not_sent=missing)
        if ago_info is None:
            kpi = Kpi(kpi.label, value, kpi.formatted, None, None, None, "na", "–")
        column = frame[key].dropna()
        average = float(column.mean()) if len(column) else None
        out.append(
            YearOnYear(
                kpi=kpi,
                change=change_only(kpi.delta_text, short),
                year_ago_month=year_ago,
                year_ago_formatted=spec.fmt(before) if ago_info is not None else _("no data"),
                average=average,
                average_formatted=spec.fmt(average),
            )
        )
    return out


def _number(value: float | None) -> int | float | None:
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 4)


def history_entries(data: MonthData) -> list[dict[str, Any]]:
    """The manifest's ``history``: one entry per month (oldest first), figures null when the
    month has no data (before the customer's data begins)."""
    out = []
    for month, info in month_infos(data).items():
        entry: dict[str, Any] = {"month": month}
        for name, read in HISTORY_FIELDS.items():
            entry[name] = None if info is None else _number(read(info))
        out.append(entry)
    return out
