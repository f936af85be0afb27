"""The agency's overview of a month: every customer on one page, from the month's manifests.

``portal-reports portfolio --month 2026-09`` reads ``<out>/2026-09/*/manifest.json`` (nothing
is fetched again) and writes ``<out>/2026-09/portfolio.html`` and ``portfolio.pdf``: per
customer sessions, leads, conversion rate, revenue and after-hours share with their change
against the previous month (from the manifest's history), targets met, the data check and
the report status; a totals row; the biggest drops flagged and listed first. The files sit
beside the customers' folders, never inside one, so ``email`` never sends them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from .._io import atomic_write
from ..customers import Brand, CustomersConfig
from ..dates import format_utc, parse_month, shift_month
from ..errors import ConfigError, ManifestError, ReportError, TemplateError
from ..i18n import DEFAULT_LOCALE, N_, _, current, language_for, month_label, using
from .manifest import MANIFEST, Manifest

PORTFOLIO = "portfolio"
ACCOUNT_DIR = "all"  # the whole-account run: not a customer of the overview
#: A fall of this much (or more) against the previous month is flagged as a drop.
DROP_PCT = -0.15
#: A conversion rate this many points (or more) lower is flagged as a drop.
DROP_PTS = -0.05
#: The biggest drops listed above the table (all of them are flagged in it).
LISTED_DROPS = 5
SORTS = ("change", "revenue", "leads", "sessions", "name")
_LABELS = {
    "sessions": N_("Sessions"),
    "leads": N_("Leads"),
    "revenue": N_("Revenue"),
    "conversion": N_("Conversion"),
}
#: The footnote's last sentence, by ``--sort``.
_SORTED_BY = {
    "change": N_("Sorted by the change in leads, biggest drop first."),
    "revenue": N_("Sorted by revenue."),
    "leads": N_("Sorted by leads."),
    "sessions": N_("Sorted by sessions."),
    "name": N_("Sorted by name."),
}


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass(frozen=True)
class Figures:
    """The overview's figures of one month (None: unknown or no data)."""

    sessions: float | None = None
    leads: float | None = None
    revenue: float | None = None
    sessions_after_hours: float | None = None
    revenue_after_hours: float | None = None

    @property
    def conversion(self) -> float | None:
        return _ratio(self.leads, self.sessions)

    @property
    def after_hours_share(self) -> float | None:
        """Share of the month's sessions started outside working hours."""
        return _ratio(self.sessions_after_hours, self.sessions)

    def get(self, key: str) -> float | None:
        return self.conversion if key == "conversion" else getattr(self, key)

    @classmethod
    def of(cls, entry: Mapping[str, Any] | None) -> Figures | None:
        """From manifest ``figures`` or a ``history`` entry (None when there is no data: no
        entry, or none of its figures; one the Portal did not report is None on its own)."""
        if not entry:
            return None
        figures = cls(
            _num(entry.get("sessions_total")),
            _num(entry.get("leads_total")),
            _num(entry.get("revenue_total")),
            _num(entry.get("sessions_after_hours")),
            _num(entry.get("revenue_after_hours")),
        )
        return None if all(v is None for v in vars(figures).values()) else figures

    @classmethod
    def total(cls, items: Iterable[Figures | None]) -> Figures:
        """Sums over customers (a customer without data counts as nothing)."""
        found = [f for f in items if f is not None]

        def add(name: str) -> float | None:
            values = [getattr(f, name) for f in found if getattr(f, name) is not None]
            return sum(values) if values else None

        return cls(*(add(n) for n in cls.__dataclass_fields__))


def change(key: str, now: Figures | None, before: Figures | None) -> float | None:
    """Relative change (rates: difference in points as a fraction); None when not comparable."""
    if now is None or before is None:
        return None
    a, b = now.get(key), before.get(key)
    if a is None or b is None:
        return None
    if key == "conversion":
        return a - b
    return None if b == 0 else (a - b) / abs(b)


@dataclass(frozen=True)
class Row:
    """One customer of the overview."""

    customer: str
    name: str
    status: str  # ok | failed | no manifest | unreadable manifest | not run
    reports: str  # "3 ok", "failed: asr", ...
    data_check: str  # ok | mismatch | "" (unknown)
    figures: Figures | None
    previous: Figures | None
    targets: Mapping[str, Any] = field(default_factory=dict)
    data_source: str = ""
    note: bool = False
    currency: str | None = None  # the customer's ISO 4217 code (revenue is in it)

    def change(self, key: str) -> float | None:
        return change(key, self.figures, self.previous)

    @property
    def drops(self) -> list[tuple[str, float]]:
        """``(figure, change)`` for each flagged drop against the previous month, worst first."""
        out = []
        for key in ("sessions", "leads", "revenue", "conversion"):
            delta = self.change(key)
            limit = DROP_PTS if key == "conversion" else DROP_PCT
            if delta is not None and delta <= limit:
                out.append((key, delta))
        return sorted(out, key=lambda item: item[1])

    @property
    def flagged(self) -> bool:
        return bool(self.drops)

    @property
    def targets_met(self) -> tuple[int, int]:
        statuses = [t.get("status") for t in self.targets.values() if isinstance(t, Mapping)]
        return sum(1 for s in statuses if s == "met"), len(statuses)


@dataclass(frozen=True)
class Portfolio:
    """Every customer of a month, sorted, with totals."""

    month: str
    rows: tuple[Row, ...]
    sort: str
    generated_at: str
    out_dir: Path
    #: The agency's look and formats: ``[defaults]`` of ``customers.toml`` (brand, locale).
    brand: Brand = field(default_factory=Brand)
    locale: str = DEFAULT_LOCALE

    @property
    def total(self) -> Figures:
        return Figures.total(r.figures for r in self.rows)

    @property
    def previous_total(self) -> Figures:
        return Figures.total(r.previous for r in self.rows)

    def total_change(self, key: str) -> float | None:
        return change(key, self.total, self.previous_total)

    @property
    def drops(self) -> list[Row]:
        """Flagged customers, biggest drop first."""
        flagged = [r for r in self.rows if r.flagged]
        return sorted(flagged, key=lambda r: r.drops[0][1])

    @property
    def sandbox(self) -> bool:
        return any(r.data_source == "sandbox" for r in self.rows)


def _report_status(manifest: Manifest) -> tuple[str, str]:
    if manifest.failed_reports:
        return "failed", "failed: " + ", ".join(f.report for f in manifest.failed_reports)
    if manifest.status != "ok":
        return "failed", f"status {manifest.status}"
    count = len(manifest.reports) or len({o.report for o in manifest.outputs if o.format == "pdf"})
    return "ok", f"{count} ok"


def _previous(manifest: Manifest, out_dir: Path, customer: str) -> Figures | None:
    """The previous month's figures: the manifest's history, else that month's manifest."""
    before = shift_month(manifest.month, -1)
    for entry in manifest.history:
        if entry.get("month") == before:
            return Figures.of(entry)
    try:
        return Figures.of(Manifest.load(out_dir / before / customer).figures)
    except ManifestError:
        return None


def _row(out_dir: Path, month: str, customer: str) -> Row:
    folder = out_dir / month / customer
    try:
        manifest = Manifest.load(folder)
    except ManifestError:  # absent (a run that never finished), or there but unreadable
        status = "unreadable manifest" if (folder / MANIFEST).exists() else "no manifest"
        return Row(customer, customer, status, status, "", None, None)
    status, reports = _report_status(manifest)
    check = str(manifest.data_check.get("status") or "")
    return Row(
        customer=customer,
        name=manifest.customer_name or customer,
        status=status,
        reports=reports,
        data_check=check,
        figures=Figures.of(manifest.figures),
        previous=_previous(manifest, out_dir, customer),
        targets=manifest.targets,
        data_source=manifest.data_source,
        note=bool(manifest.note),
        currency=manifest.currency,
    )


def _sort_key(sort: str):  # noqa: ANN202 - a key function
    def number(row: Row, key: str) -> float:
        value = row.figures.get(key) if row.figures else None
        return float("-inf") if value is None else value

    if sort == "name":
        return lambda r: r.name.casefold()
    if sort == "change":  # biggest drop first; customers without a comparison last
        return lambda r: (r.change("leads") is None, r.change("leads") or 0.0, r.name.casefold())
    return lambda r: (-number(r, sort), r.name.casefold())


def build_portfolio(
    month: str,
    out_dir: str | os.PathLike[str] = "reports",
    *,
    customers: Sequence[str] = (),
    sort: str = "change",
    config: str | os.PathLike[str] | None = None,
) -> Portfolio:
    """Read every customer folder of ``<out>/<month>/`` (and ``customers``, the configured
    ones, listed as "not run" when they have no folder) into a :class:`Portfolio`, in the
    agency's brand and locale: ``[defaults]`` of ``config`` (default: the project's
    ``customers.toml``)."""
    month = parse_month(month)
    agency = CustomersConfig.load(config).defaults
    if sort not in SORTS:
        raise ConfigError(f"unknown sort {sort!r}: accepted are {', '.join(SORTS)}")
    root = Path(out_dir)
    month_dir = root / month
    if not month_dir.is_dir():
        raise ReportError(
            f"no reports for {month}: {month_dir} does not exist (run the reports first)"
        )
    found = sorted(
        p.name
        for p in month_dir.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and p.name != ACCOUNT_DIR
        and ((p / MANIFEST).is_file() or (p / "data.json").is_file())
    )
    rows = [_row(root, month, c) for c in found]
    for customer in customers:
        if customer not in found and customer != ACCOUNT_DIR:
            rows.append(Row(customer, customer, "not run", "not run", "", None, None))
    if not rows:
        raise ReportError(f"no customer reports in {month_dir}")
    rows.sort(key=_sort_key(sort))
    generated = format_utc(datetime.now(UTC))
    locale = agency.locale or DEFAULT_LOCALE
    return Portfolio(month, tuple(rows), sort, generated, root, agency.brand, locale)


# --------------------------------------------------------------------------- output


def _fmt_change(key: str, value: float | None) -> str:
    """``+3.8%``, ``−2.0%``, ``+1.2 pts`` (conversion), ``–`` when not comparable."""
    from ..reports.format import fmt_amount, fmt_pct

    if value is None:
        return "–"
    sign = "±" if abs(value) < 0.0005 else "+" if value > 0 else "−"
    if key == "conversion":
        return _("{value} pts").format(value=f"{sign}{fmt_amount(abs(value) * 100, 1)}")
    return f"{sign}{fmt_pct(abs(value))}"


def _direction(key: str, value: float | None) -> str:
    if value is None:
        return "na"
    limit = DROP_PTS if key == "conversion" else DROP_PCT
    if value <= limit:
        return "drop"
    return "up" if value > 0 else "down" if value < 0 else "flat"


def _context(portfolio: Portfolio) -> dict[str, Any]:
    """The template's context: numbers, months and dates in the agency's locale."""
    with using(language_for(portfolio.locale)):
        return _context_in_locale(portfolio)


def _context_in_locale(portfolio: Portfolio) -> dict[str, Any]:
    from ..reports.format import fmt_int, fmt_pct
    from .export import css_string, page_counter_css

    fmts = {"sessions": fmt_int, "leads": fmt_int, "conversion": fmt_pct}
    # Revenue is in each customer's own currency: one total only when they all share one,
    # else a total per currency (euros and rupees added up mean nothing).
    currencies = {r.currency for r in portfolio.rows if r.figures is not None}
    common = next(iter(currencies)) if len(currencies) == 1 else None

    def money(currency: str | None) -> Any:
        return language_for(current().locale, currency).money  # "–" for None

    def cells(
        now: Figures | None, before: Figures | None, currency: str | None = None, total=False
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("sessions", "leads", "conversion", "revenue"):
            fmt = money(currency) if key == "revenue" else fmts[key]
            value = now.get(key) if now else None
            delta = change(key, now, before)
            out[key] = {
                "value": fmt(value) if value is not None else "–",
                "change": _fmt_change(key, delta),
                "direction": _direction(key, delta),
                "by_currency": [],
            }
        if total and len(currencies) > 1:
            by_currency = [
                cells(
                    Figures.total(r.figures for r in portfolio.rows if r.currency == c),
                    Figures.total(r.previous for r in portfolio.rows if r.currency == c),
                    c,
                )["revenue"]
                for c in sorted(currencies, key=lambda c: (c is None, c or ""))
            ]
            out["revenue"] = {
                "value": " · ".join(c["value"] for c in by_currency),
                "change": "–",  # per currency: see by_currency
                "direction": "na",
                "by_currency": by_currency,
            }
        share = now.after_hours_share if now else None
        out["after_hours"] = fmt_pct(share) if share is not None else "–"
        return out

    rows = []
    for row in portfolio.rows:
        met, total = row.targets_met
        rows.append(
            {
                "customer": row.customer,
                "name": row.name,
                "status": row.status,
                "reports": row.reports,
                "data_check": row.data_check or "–",
                "targets": _("{met}/{total} met").format(met=met, total=total) if total else "–",
                "targets_class": "" if not total else "met" if met == total else "behind",
                "flagged": row.flagged,
                "note": row.note,
                **cells(row.figures, row.previous, row.currency),
            }
        )
    drops = []
    for row in portfolio.drops:
        parts = []
        for key, delta in row.drops:
            before = row.previous.get(key) if row.previous else None
            now = row.figures.get(key) if row.figures else None
            fmt = money(row.currency) if key == "revenue" else fmts[key]
            parts.append(
                f"{_(_LABELS[key])} {_fmt_change(key, delta)} ({fmt(before)} \u2192 {fmt(now)})"
            )
        drops.append({"name": row.name, "text": "; ".join(parts)})
    total = cells(portfolio.total, portfolio.previous_total, common, total=True)
    statuses = [r.status for r in portfolio.rows]
    when = datetime.fromisoformat(portfolio.generated_at.replace("Z", "+00:00"))
    return {
        "month": portfolio.month,
        "month_label": month_label(portfolio.month),
        "previous_label": month_label(shift_month(portfolio.month, -1)),
        "rows": rows,
        "total": total,
        "drops": drops[:LISTED_DROPS],
        "more_drops": max(0, len(drops) - LISTED_DROPS),
        "count": len(portfolio.rows),
        "attention": sum(
            1 for r in portfolio.rows if r.flagged or r.status != "ok" or r.data_check == "mismatch"
        ),
        "failed": sum(1 for s in statuses if s != "ok"),
        "mismatches": sum(1 for r in portfolio.rows if r.data_check == "mismatch"),
        "sort": portfolio.sort,
        "sort_text": _(_SORTED_BY[portfolio.sort]),
        # the PDF's page footers, as CSS strings (the stylesheet is part of the template)
        "footer_css": css_string(_("Portfolio overview · agency only")),
        "page_css": page_counter_css(_("Page {page} of {pages}")),
        "lang": current().html_lang,
        "drop_pct": f"{abs(DROP_PCT) * 100:.0f}%",
        "drop_pts": f"{abs(DROP_PTS) * 100:.0f}",
        "sandbox": portfolio.sandbox,
        "mixed_currencies": len(currencies) > 1,
        "generated_at": portfolio.generated_at,
        "generated_label": current().date(when),  # the agency's way: December 6, 2026
        "version": __version__,
        "accent": portfolio.brand.accent or "",
        "logo": portfolio.brand.logo.data_uri() if portfolio.brand.logo else "",
    }


def _template_dirs() -> list[str]:
    from ..project import current_project

    dirs = [str(d / PORTFOLIO) for d in current_project().template_dirs if (d / PORTFOLIO).is_dir()]
    if not dirs:
        raise ReportError("portfolio templates not found (expected templates/portfolio/)")
    return dirs


def render_html(portfolio: Portfolio) -> str:
    """The overview as one self-contained HTML page (``templates/portfolio/``)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dirs()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    try:
        with using(language_for(portfolio.locale)):  # the agency's language, words and numbers
            env.install_gettext_translations(current().translations, newstyle=True)  # type: ignore[attr-defined]
            return env.get_template("portfolio.html.j2").render(_context_in_locale(portfolio))
    except jinja2.TemplateSyntaxError as exc:  # the project's template: bad input (exit 2)
        from .export import template_error

        raise TemplateError(f"portfolio template cannot be loaded: {template_error(exc)}") from None
    except jinja2.TemplateError as exc:
        raise ReportError(f"portfolio template error: {exc}") from None


def write_portfolio(
    portfolio: Portfolio, formats: Sequence[str] = ("html", "pdf")
) -> dict[str, Path]:
    """Write ``<out>/<month>/portfolio.<fmt>`` atomically; returns the paths by format."""
    from .export import html_to_pdf

    html = render_html(portfolio)
    folder = portfolio.out_dir / portfolio.month
    written: dict[str, Path] = {}
    for fmt in formats:
        payload: bytes | str = html if fmt == "html" else html_to_pdf(html, base_url=folder)
        written[fmt] = atomic_write(folder / f"{PORTFOLIO}.{fmt}", payload)
    return written
