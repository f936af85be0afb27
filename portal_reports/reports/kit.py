"""The one setup call of a report notebook: settings, data, display, and Lab looking like the report.

    report = kit.setup(month, customer_id, data_path)   # in the notebook's setup cell
    data = report.data
    report.headline("sessions", "leads", "conversion_rate")

``setup`` finds the project's ``.env`` from the working directory upwards (a notebook in
``project/notebooks/`` reads ``project/.env``, as the CLI does), loads the runner's
``data.json`` or fetches the month live (starting the embedded sandbox only when no Portal is
configured), sets up inline charts, and in JupyterLab styles headline cards, callouts and tables
with the export template's own ``components.css``. Demo data is always announced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..dates import month_label, parse_month, previous_month
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..data.month import MonthData

SANDBOX_NOTICE = "Demo data from the built-in sandbox: these figures are not from a real Portal."
_SCOPE = ".jp-OutputArea-output"
_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def components_css() -> str:
    """The export template's ``static/components.css`` (project override first)."""
    from ..project import current_project

    for base in current_project().template_dirs:
        path = base / "portal" / "static" / "components.css"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


def scoped_css(css: str, scope: str = _SCOPE) -> str:
    """``css`` with every selector limited to notebook output cells (``:root`` kept), so the
    report styles never touch JupyterLab's own interface."""
    out = []
    for block in _COMMENT.sub("", css).split("}"):
        if "{" not in block:
            continue
        selectors, body = block.split("{", 1)
        scoped = []
        for selector in selectors.split(","):
            selector = selector.strip()
            if not selector:
                continue
            scoped.append(selector if selector == ":root" else f"{scope} {selector}")
        out.append(f"{', '.join(scoped)} {{{body.strip()}}}")
    return "\n".join(out)


def banner_html() -> str:
    """The demo-data banner (``div.sandbox-banner``)."""
    return f'<div class="sandbox-banner">{SANDBOX_NOTICE}</div>'


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
    from ..settings import load_dotenv_file
    from .charts import setup_notebook

    load_dotenv_file()
    month = parse_month(month) if month is not None else previous_month()
    if customer_id is not None and not isinstance(customer_id, str):
        raise ConfigError(f"customer_id must be a string or None, got {customer_id!r}")
    data = load_month(month, customer_id, data_path)
    setup_notebook()
    if _interactive():
        _display_html(_lab_header(data))
    return ReportKit(data)


def _lab_header(data: MonthData) -> str:
    """Styles and the header line shown in JupyterLab (the setup cell is removed on export)."""
    import html

    style = scoped_css(components_css())
    parts = [f"<style>{style}</style>"] if style else []
    parts.append(
        f'<p class="muted">{html.escape(data.customer_name)} · '
        f"{html.escape(month_label(data.month))}</p>"
    )
    if data.is_sandbox:
        parts.append(banner_html())
    return "".join(parts)
