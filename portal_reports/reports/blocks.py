"""HTML the notebooks display: KPI cards, callouts, the data check, the title, styled tables.

Styled by the ``portal`` template's CSS, in exported reports and (via the notebook setup
call) in JupyterLab alike.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ..i18n import _, month_label
from .figures import (
    CrossCheck,
    Kpi,
    after_hours_share,
    checked_value,
    crosscheck,
    hours_split,
    split_columns,
    summary_value,
)
from .format import fmt_amount, fmt_int, fmt_money, fmt_pct
from .notes import NOTE_LABEL

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

    from ..data.frames import SessionsInfo
    from ..data.month import MonthData
    from .targets import TargetProgress

MAX_TABLE_ROWS = 30


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
            + (target_html(k.target) if k.target is not None else "")
            + "</div>"
        )
    return '<div class="kpis">' + "".join(cards) + "</div>"


def target_html(target: TargetProgress) -> str:
    """A headline card's target line: a progress bar and ``Target 600 · 95% · behind``
    (``div.kpi-target.met|behind``)."""
    width = 0.0 if target.progress is None else max(0.0, min(1.0, target.progress)) * 100
    return (
        f'<div class="kpi-target {target.status}">'
        f'<div class="kpi-bar"><span style="width: {width:.0f}%"></span></div>'
        f"{html.escape(target.text)}</div>"
    )


def callout_html(text: str, kind: Literal["ok", "warn", "info"] = "info") -> str:
    """A callout box (``div.callout.ok|warn|info``; warn also ``.warning``) with escaped text."""
    classes = "callout warn warning" if kind == "warn" else f"callout {kind}"
    return f'<div class="{classes}">{html.escape(text)}</div>'


def crosscheck_html(check: CrossCheck) -> str:
    """The cross-check as a small OK note or a visible warning box (never "passed" while a
    value from the Portal could not be used)."""
    if check.ok:
        return callout_html(_("Data check passed: {message}").format(message=check.message), "ok")
    if check.status == "invalid":
        return callout_html(
            _(
                "Data check not passed: the Portal sent values that could not be used. {message}"
            ).format(message=check.message[:1].upper() + check.message[1:]),
            "warn",
        )
    message = check.message[:1].upper() + check.message[1:]
    return callout_html(
        _(
            "Data check: the figures disagree. {message} "
            "Totals in this report are the Portal's statistics."
        ).format(message=message),
        "warn",
    )


MAX_PROBLEMS_SHOWN = 8


def data_quality_html(problems: list[str]) -> str:
    """The data-quality warning: what the Portal sent that could not be used ("" if nothing)."""
    if not problems:
        return ""
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems[:MAX_PROBLEMS_SHOWN])
    if len(problems) > MAX_PROBLEMS_SHOWN:
        more = _("… and {count} more").format(count=fmt_int(len(problems) - MAX_PROBLEMS_SHOWN))
        items += f"<li>{html.escape(more)}</li>"
    heading = _("Data quality warning:")
    text = _(
        "the Portal sent values this report could not use. They are left out of the figures "
        "and charts below (shown as “–” where a headline figure is affected):"
    )
    return (
        '<div class="callout warn warning data-quality">'
        f"<strong>{html.escape(heading)}</strong> {html.escape(text)}<ul>{items}</ul></div>"
    )


def notices_html(data: MonthData, *, crosscheck_mismatch: bool = True) -> str:
    """Notes a reader must see near the top: values that could not be used, an empty month,
    a failed data check ("" if none).

    The leads report has its own data-check section, so it passes ``crosscheck_mismatch=False``
    (the data-quality warning is shown either way).
    """
    blocks = [data_quality_html(list(getattr(data, "problems", [])))]
    if summary_value(data.info, "sessions") == 0 and data.sessions_count == 0:
        blocks.append(
            callout_html(
                _("No sessions were recorded in {month}, so the charts below are empty.").format(
                    month=data.period.label()
                ),
                "info",
            )
        )
    if crosscheck_mismatch:
        check = crosscheck(data)
        if check.status == "mismatch":  # "invalid" is the data-quality warning above
            blocks.append(crosscheck_html(check))
    return "".join(blocks)


def trend_table_html(data: MonthData, keys: list[str] | tuple[str, ...]) -> str:
    """This month against the same month last year and the 12-month average, per figure
    (``table.report.trend``)."""
    from .trend import year_on_year

    rows = year_on_year(data, keys)
    if not rows:
        return ""
    this, ago = month_label(data.month), month_label(rows[0].year_ago_month)
    head = "".join(
        f'<th class="{c}">{html.escape(t)}</th>'
        for c, t in (
            ("text", _("Figure")),
            ("num", this),
            ("num", ago),
            ("num", _("Change")),
            ("num", _("Monthly average")),
        )
    )
    body = []
    for row in rows:
        k = row.kpi
        body.append(
            "<tr>"
            f'<td class="text">{html.escape(k.label)}</td>'
            f'<td class="num this-month">{html.escape(k.formatted)}</td>'
            f'<td class="num">{html.escape(row.year_ago_formatted)}</td>'
            f'<td class="num {k.direction}">{html.escape(row.change)}</td>'
            f'<td class="num">{html.escape(row.average_formatted)}</td>'
            "</tr>"
        )
    return (
        f'<table class="report trend"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def figure_html(fig: Any, alt: str) -> str:
    """A matplotlib figure as an inline SVG image (``figure.output-image``), so it can share
    a block with other HTML (the same SVG as a displayed chart: :func:`charts.figure_svg`)."""
    import base64

    from .charts import figure_svg

    payload = base64.b64encode(figure_svg(fig).encode("utf-8")).decode("ascii")
    return (
        '<figure class="output-image output-svg">'
        f'<img src="data:image/svg+xml;base64,{payload}" alt="{html.escape(alt)}"></figure>'
    )


def trend_html(data: MonthData, keys: list[str] | tuple[str, ...]) -> str:
    """The trend section's content: the 12-month chart and the year-on-year table, kept
    together (``div.trend.keep-together``)."""
    from .charts import trend_chart

    chart = figure_html(trend_chart(data, keys), _("The last 12 months, one bar per month"))
    return f'<div class="trend keep-together">{chart}{trend_table_html(data, keys)}</div>'


def note_html(html_text: str) -> str:
    """The account manager's note (already rendered HTML) as the report template shows it
    under the header (``aside.account-note``), its heading in the active language; used in
    JupyterLab."""
    return (
        '<aside class="account-note"><div class="account-note-label">'
        f"{html.escape(_(NOTE_LABEL))}</div>{html_text}</aside>"
    )


def title_html(data: MonthData, report_title: str) -> str:
    """Report heading: title, business name and the customer's month with its time zone."""
    return (
        f'<h1 class="report-title">{html.escape(_(report_title))}</h1>'
        f'<p class="report-subtitle">{html.escape(data.customer_name)} · '
        f"{html.escape(data.period.heading())}</p>"
    )


def after_hours_sentence(data: MonthData) -> str:
    """What after-hours coverage earned, in one sentence."""
    info = data.info
    earned = checked_value(info, "revenue", "non_working_hours")
    share = after_hours_share(info, "revenue")
    if share is not None and math.isnan(share):
        return _("Revenue outside working hours was not reported for {month}.").format(
            month=data.period.label()
        )
    if share is None:
        return _("No revenue was recorded in {month}.").format(month=data.period.label())
    return _(
        "Your AI agent earned {amount} outside working hours, {share} of the month's revenue."
    ).format(amount=fmt_money(earned), share=fmt_pct(share))


# --------------------------------------------------------------------------- tables


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
    # escape="html": cells may hold Portal text (session types), shown as text, never markup
    styler = frame.head(MAX_TABLE_ROWS).style.format(formats, escape="html").hide(axis="index")
    styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    return _report_table(styler, frame)


def _report_table(styler: Styler, frame: pd.DataFrame) -> Styler:
    """A ``table.report`` with ids derived from its content, so the same data renders the
    same HTML in every run (pandas would pick random ids)."""
    import hashlib

    digest = hashlib.sha256(frame.to_json().encode("utf-8")).hexdigest()[:10]
    return styler.set_uuid(digest).set_table_attributes('class="report"')


def hours_split_styled(info: SessionsInfo, metrics: tuple[str, ...] | None = None) -> Styler:
    """:func:`hours_split` formatted per row (money for revenue, amounts for ASR)."""
    frame = hours_split(info, metrics) if metrics else hours_split(info)
    cols = split_columns()
    fmt_by_metric = {"revenue": fmt_money, "opportunity_value": fmt_money, "asr": fmt_amount}
    text = frame.copy().astype(object)
    for i, metric in enumerate(frame.attrs["metrics"]):
        fmt = fmt_by_metric.get(metric, fmt_int)
        for col in (cols["working"], cols["after"], cols["total"]):
            text.at[i, col] = fmt(frame.at[i, col])
        text.at[i, cols["share"]] = fmt_pct(frame.at[i, cols["share"]])
    numeric = [cols["working"], cols["after"], cols["total"], cols["share"]]
    styler = text.style.format(escape="html").hide(axis="index")
    styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    return _report_table(styler, text)
