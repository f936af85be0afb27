"""The one setup call of a report notebook: settings, data, display, and Lab looking like the report.

    report = kit.setup(month, customer_id, data_path)   # in the notebook's setup cell
    data = report.data
    report.headline("sessions", "leads", "conversion_rate")   # with the customer's targets
    report.trend("sessions", "leads")                        # the last 12 months

``setup`` finds the project's ``.env`` from the working directory upwards (a notebook in
``project/notebooks/`` reads ``project/.env``, as the CLI does), loads the runner's
``data.json`` or fetches the month live (starting the embedded sandbox only when no Portal is
configured), activates the customer's language (locale and currency, from ``data.json``:
numbers, dates, labels and charts follow it), sets up inline charts, and in JupyterLab styles
headline cards, callouts and tables with the export template's own ``components.css`` and
the brand's accent. Demo data is always announced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..dates import parse_month, previous_month
from ..errors import ConfigError
from ..i18n import N_, _

if TYPE_CHECKING:
    from ..data.month import MonthData

SANDBOX_NOTICE = N_(
    "Demo data from the built-in sandbox: these figures are not from a real Portal."
)
LAB_MARKER = "portal-reports-lab"
#: Report styles apply only inside notebooks showing the marker the setup cell outputs.
LAB_SCOPE = f".jp-Notebook:has(.{LAB_MARKER}) .jp-OutputArea-output"
_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def components_css() -> str:
    """The export template's ``static/components.css`` (project override first)."""
    from ..project import current_project

    for base in current_project().template_dirs:
        path = base / "portal" / "static" / "components.css"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


def _blocks(css: str) -> list[tuple[str, str]]:
    """Top-level ``(prelude, body)`` pairs of a stylesheet, braces matched (nesting kept)."""
    out, depth, start, prelude = [], 0, 0, ""
    for i, ch in enumerate(css):
        if ch == "{":
            if depth == 0:
                prelude, start = css[start:i].strip(), i + 1
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                out.append((prelude, css[start:i].strip()))
                start = i + 1
    return out


def scoped_css(css: str, scope: str = LAB_SCOPE) -> str:
    """``css`` limited to the output cells of notebooks that called :func:`setup`.

    Selectors are prefixed with ``scope``; ``:root`` variables are declared on the scope;
    ``@media``/``@supports`` blocks are scoped inside; ``@page`` is dropped (print only);
    other at-rules (``@font-face``) pass unchanged. Nothing reaches JupyterLab's own UI or
    other notebooks.
    """
    out = []
    for prelude, body in _blocks(_COMMENT.sub("", css)):
        if prelude.startswith(("@media", "@supports")):
            out.append(f"{prelude} {{{scoped_css(body, scope)}}}")
        elif prelude.startswith("@page"):
            continue
        elif prelude.startswith("@"):
            out.append(f"{prelude} {{{body}}}")
        else:
            selectors = []
            for selector in (s.strip() for s in prelude.split(",")):
                if selector == ":root":
                    selectors.append(scope.split(" ")[0])
                elif selector:
                    selectors.append(f"{scope} {selector}")
            out.append(f"{', '.join(selectors)} {{{body}}}")
    return "\n".join(out)


#: Lab only: four cards always share a row, whatever the panel's width.
_LAB_EXTRA = ".kpis { flex-wrap: nowrap; } .kpi { min-width: 0; }"


def banner_html() -> str:
    """The demo-data banner (``div.sandbox-banner``), in the active language."""
    import html

    text = _(SANDBOX_NOTICE)
    return f'<div class="sandbox-banner">{html.escape(text)}</div>'


def accent_css(accent: str | None) -> str:
    """CSS variables for a brand's accent colour (``""`` without one: the house colours)."""
    if not accent:
        return ""
    from .charts import _mix

    return f":root {{ --accent: {accent}; --accent-soft: {_mix(accent, '#ffffff', 0.88)}; }}"


@dataclass
class ReportKit:
    """What a report notebook works with after :func:`setup`: the month's data and helpers
    that display the standard blocks."""

    data: MonthData

    def headline(self, *keys: str) -> None:
        """Display the headline cards for the figures ``keys`` (see ``figures.FIGURES``)."""
        from .blocks import kpi_html
        from .figures import headline

        _display_html(kpi_html(headline(self.data, list(keys))))

    def notices(self, *, crosscheck_mismatch: bool = True) -> None:
        """Display what a reader must see near the top (an empty month, a failed data check)."""
        from .blocks import notices_html

        html = notices_html(self.data, crosscheck_mismatch=crosscheck_mismatch)
        if html:
            _display_html(html)

    def trend(self, *keys: str) -> None:
        """Display the last 12 months of the figures ``keys``: the chart and, below it, this
        month against the same month last year, kept together on one page. Each report names
        the figures that fit it, e.g. ``report.trend("sessions", "leads")``."""
        from .blocks import trend_html

        _display_html(trend_html(self.data, keys))

    def show(self, html: str) -> None:
        """Display an HTML block (e.g. one of :mod:`.blocks`)."""
        _display_html(html)

    def callout(self, text: str, kind: str = "info") -> None:
        """Display a callout box with ``text`` (escaped)."""
        from .blocks import callout_html

        _display_html(callout_html(text, kind))  # type: ignore[arg-type]


def _display_html(html: str) -> None:
    from IPython.display import HTML, display

    display(HTML(html))


def _interactive() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return False
    return get_ipython() is not None


def setup(
    month: str | None = None,
    customer_id: str | None = None,
    data_path: str | Path | None = None,
) -> ReportKit:
    """Prepare a report notebook: returns a :class:`ReportKit` holding the month's data.

    ``month`` defaults to the previous calendar month; ``data_path`` is the runner's
    ``data.json`` (None: fetch live with the settings of the project's ``.env``/environment).
    """
    from ..data.month import load_month
    from ..i18n import activate
    from ..settings import load_dotenv_file
    from .charts import setup_notebook

    if data_path is None:  # only a live fetch needs the Portal's address and secret
        load_dotenv_file()
    month = parse_month(month) if month is not None else previous_month()
    if customer_id is not None and not isinstance(customer_id, str):
        raise ConfigError(f"customer_id must be a string or None, got {customer_id!r}")
    data = load_month(month, customer_id, data_path)
    if data_path is None or not Path(data_path).is_file():  # live: the project's targets, note
        from .context import MonthContext

        data = MonthContext.load(month, [customer_id]).apply(customer_id, data)
    activate(data.language)  # this kernel serves this customer: its locale and currency
    setup_notebook()
    if _interactive():
        _display_html(_lab_header(data))
    return ReportKit(data)


def _lab_header(data: MonthData) -> str:
    """Styles and the header line shown in JupyterLab (the setup cell is removed on export)."""
    import html

    style = scoped_css(components_css() + accent_css(data.settings.brand.accent) + _LAB_EXTRA)
    parts = [f'<div class="{LAB_MARKER}" hidden></div>']
    if style:
        parts.append(f"<style>{style}</style>")
    logo = data.settings.brand.logo
    if logo is not None:
        parts.append(f'<img src="{logo.data_uri()}" alt="" style="height:28px; float:right">')
    parts.append(
        f'<p class="muted">{html.escape(data.customer_name)} · '
        f"{html.escape(data.period.heading())}</p>"
    )
    if data.is_sandbox:
        parts.append(banner_html())
    notice = data.period.month_to_date_notice(data.fetched_at)
    if notice:  # as the exported header shows it
        parts.append(f'<div class="callout info month-to-date">{html.escape(notice)}</div>')
    if data.note:
        from .blocks import note_html

        parts.append(note_html(data.note.get("html", "")))
    return "".join(parts)
