"""Export executed report notebooks to self-contained HTML and A4 PDF with the ``portal`` template.

The template (``templates/portal/``) shows only what a customer reads: Markdown and rich outputs,
never code, prompts, stderr, tracebacks or cells tagged ``parameters``/``injected-parameters``/
``remove``/``hide``. The PDF is the same HTML laid out by WeasyPrint, so both formats match.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import HTMLExporter
from nbformat import NotebookNode
from traitlets import default

from .. import __version__
from .._io import atomic_write
from ..dates import format_utc, parse_month, to_utc
from ..errors import ConfigError, ExportError, PortalError, TemplateError
from ..i18n import (
    DEFAULT_LOCALE,
    Language,
    _,
    language_for,
    parse_locale,
    translate_markdown,
    using,
)
from ..period import ReportMonth
from ..reports import svgfont
from ..reports.notes import NOTE_LABEL
from ..reports.registry import report_title

__all__ = [
    "FORMATS",
    "PDF_INFO_KEYS",
    "PortalHTMLExporter",
    "PortalPDFExporter",
    "export_formats",
    "export_notebook",
    "html_to_pdf",
    "render_html",
    "report_header",
    "templates_dir",
]

FORMATS = ("html", "pdf")

#: ``<meta name>`` written by the template -> key in the PDF document information dictionary.
PDF_INFO_KEYS = {
    "portal-report": "PortalReport",
    "portal-customer": "PortalCustomer",
    "portal-month": "PortalMonth",
    "portal-time-zone": "PortalTimeZone",
    "portal-provenance": "Provenance",
}

_NOISY_LOGGERS = ("weasyprint", "weasyprint.progress", "fontTools", "fontTools.subset")


def template_dirs() -> list[Path]:
    """Template base folders holding ``portal/``, first match wins: ``PORTAL_REPORTS_TEMPLATES``,
    the project's ``templates/``, the package's (see :class:`~portal_reports.project.Project`)."""
    from ..project import current_project

    return current_project().template_dirs


def templates_dir() -> Path:
    """The folder whose ``portal/`` template is used first (kept for callers wanting one path)."""
    dirs = [d for d in template_dirs() if (d / "portal").is_dir()]
    return dirs[0] if dirs else template_dirs()[-1]


def check_templates() -> None:
    """Load the ``portal`` template now, so a missing or broken one is a one-line
    :class:`ExportError` before anything is fetched: a :class:`TemplateError` (bad input,
    exit 2, naming the file and line) when Jinja cannot compile it (see
    :meth:`~portal_reports.project.Project.check_report_template` for the checks made first)."""
    import jinja2

    from ..project import current_project

    current_project().check_report_template()
    try:
        PortalHTMLExporter().template  # noqa: B018 - loading is the check
    except jinja2.TemplateError as exc:  # the template's own fault: bad input (exit 2)
        raise TemplateError(
            f"report template 'portal' cannot be loaded: {template_error(exc)}"
        ) from None
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise ExportError(
            f"report template 'portal' cannot be loaded: {type(exc).__name__}: {detail}"
        ) from None


def template_error(exc: BaseException) -> str:
    """A Jinja error as one line naming the file and line: ``templates/portal/index.html.j2,
    line 21: unexpected '}', expected ')'`` (a path under the working directory is relative)."""
    import jinja2

    message = " ".join(str(getattr(exc, "message", None) or exc).split())
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"template {exc.name!r} not found"
    if not isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{type(exc).__name__}: {message}"
    where = exc.filename or exc.name or "template"
    with contextlib.suppress(ValueError, OSError):
        where = str(Path(where).resolve().relative_to(Path.cwd().resolve()))
    return f"{where}, line {exc.lineno}: {message}"


# ---- header data ----------------------------------------------------------------------------


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes, backslashes and line breaks escaped)."""
    escaped = "".join(
        ch if ch.isprintable() and ch not in '"\\<>' else f"\\{ord(ch):x} " for ch in text
    )
    return f'"{escaped}"'


def page_counter_css(template: str) -> str:
    """A ``content`` value from ``"Page {page} of {pages}"`` (translated): the words as CSS
    strings around ``counter(page)`` and ``counter(pages)``."""
    parts = []
    for piece in re.split(r"(\{page\}|\{pages\})", template):
        if piece == "{page}":
            parts.append("counter(page)")
        elif piece == "{pages}":
            parts.append("counter(pages)")
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts) or '""'


def _language(meta: dict[str, Any]) -> Language:
    """The report's language from its metadata (``locale``, ``currency``); en_US if unusable."""
    try:
        locale = parse_locale(meta.get("locale") or DEFAULT_LOCALE)
    except ConfigError:
        locale = DEFAULT_LOCALE
    currency = meta.get("currency")
    return language_for(locale, currency if isinstance(currency, str) and currency else None)


def _period(month: str, meta: dict[str, Any]) -> ReportMonth | None:
    if not month:
        return None
    zone = meta.get("time_zone") or (meta.get("period") or {}).get("time_zone") or "UTC"
    try:
        return ReportMonth.parse(month, zone)
    except PortalError:
        return None


def _brand_css(accent: str | None) -> str:
    if not isinstance(accent, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", accent):
        return ""
    from ..reports.kit import accent_css

    return accent_css(accent.lower())


def report_header(nb: NotebookNode, name: str | None = None) -> dict[str, Any]:
    """Header and document metadata for a notebook, in the report's language.

    Reads ``nb.metadata["portal_reports"]`` (set by the runner: title, customer, month,
    ``time_zone``, ``locale``, ``currency``, ``brand``); falls back to papermill's parameters
    (``month``, ``customer_id``) and ``name`` (the notebook's file stem).
    """
    meta = nb.metadata.get("portal_reports") or {}
    papermill = nb.metadata.get("papermill") or {}
    params = papermill.get("parameters") or {}
    month = meta.get("month") or params.get("month") or ""
    with contextlib.suppress(PortalError):
        month = parse_month(month) if month else ""
    lang = _language(meta)
    period = _period(str(month), meta)
    zoned = bool(meta.get("time_zone") or (meta.get("period") or {}).get("time_zone"))
    with using(lang):
        customer = (
            meta.get("customer") or meta.get("customer_id") or params.get("customer_id") or ""
        )
        customer_name = meta.get("customer_name") or params.get("customer_name") or customer
        if not customer_name or customer_name == "All customers":
            customer_name = _("All customers")
        title = _(meta.get("title") or nb.metadata.get("title") or report_title(nb, name))
        # with a time zone recorded, the header says it ("October 2026 · New York time")
        label = meta.get("month_label") or (
            "" if period is None else period.heading() if zoned else period.label()
        )
        generated = meta.get("generated_at") or papermill.get("end_time")
        try:
            generated_dt = to_utc(generated) if generated else datetime.now(UTC)
        except PortalError:
            generated_dt = datetime.now(UTC)
        local_generated = generated_dt.astimezone(period.tz) if period else generated_dt
        generated_label = lang.date(local_generated.date())
        generated_text = _("Generated {date}").format(date=generated_label)
        subject = (
            _("{title} for {customer}, {month}").format(
                title=title, customer=customer_name, month=label
            )
            if label
            else _("{title} for {customer}").format(title=title, customer=customer_name)
        )
        sandbox_text = _(
            "Demo data from the built-in sandbox: these figures are not from a real Portal."
        )
        page_css = page_counter_css(_("Page {page} of {pages}"))
        note_label = _(NOTE_LABEL)
        fetched = (meta.get("provenance") or {}).get("fetched_at")
        month_to_date = period.month_to_date_notice(fetched) if period and fetched else ""
    provenance = meta.get("provenance") or {}
    report = meta.get("report") or name or title
    brand = meta.get("brand") if isinstance(meta.get("brand"), dict) else {}
    logo = brand.get("logo") if isinstance(brand.get("logo"), str) else None
    if logo and not logo.startswith(("data:image/svg+xml;base64,", "data:image/png;base64,")):
        logo = None
    style = [_brand_css(brand.get("accent"))]
    style.append(f"@page {{ @bottom-right {{ content: {page_css}; }} }}")
    if logo:
        style.append("@page { @top-left { content: element(portal-running-header); } }")
    parts = [p for p in (title, customer_name, label) if p]
    keywords = [k for k in ("portal-reports", str(report), str(customer), str(month)) if k]
    pdf_meta = {
        "portal-report": str(report),
        "portal-customer": str(customer or "all"),
        "portal-month": str(month),
    }
    if period is not None and zoned:
        pdf_meta["portal-time-zone"] = period.time_zone
    if provenance:
        pdf_meta["portal-provenance"] = json.dumps(provenance, sort_keys=True, default=str)
    return {
        "title": str(title),
        "customer": str(customer),
        "customer_name": str(customer_name),
        "month": str(month),
        "month_label": str(label),
        "time_zone": period.time_zone if period and zoned else "",
        "generated_at": format_utc(generated_dt),
        "generated_label": generated_label,
        "generated_text": generated_text,
        "provenance": provenance,
        "document_title": " \u2014 ".join(parts),
        "subject": subject,
        "keywords": keywords,
        "generator": f"portal-reports {__version__}",
        "meta": {k: v for k, v in pdf_meta.items() if v},
        "sandbox": meta.get("data_source") == "sandbox",
        "sandbox_text": sandbox_text,
        "language": lang.html_lang,
        "logo": logo,
        "style": "\n".join(s for s in style if s),
        "note_html": meta.get("note_html") or "",
        "note_label": note_label,
        "month_to_date": month_to_date,
    }


def translated_notebook(nb: NotebookNode) -> NotebookNode:
    """``nb`` with its Markdown prose in the report's language (``metadata.portal_reports.
    locale``): each paragraph and heading the catalogs translate is replaced, the rest stays
    as written (see :func:`portal_reports.i18n.translate_markdown`). ``nb`` is not changed."""
    lang = _language(nb.metadata.get("portal_reports") or {})
    if not lang.has_catalog:
        return nb
    copied = copy.deepcopy(nb)
    for cell in copied.cells:
        if cell.get("cell_type") == "markdown" and isinstance(cell.get("source"), str):
            cell.source = translate_markdown(cell.source, lang)
    return copied


# ---- table polish --------------------------------------------------------------------------

#: One number as a locale writes it: digits with the locale's group and decimal marks between
#: them (``1,234.50``, ``1.234,50``, ``1 234,50`` with no-break or narrow no-break spaces,
#: ``1'234.50``, ``12,34,567.50``, Arabic marks; see :meth:`_NumberWords.of`), text around it.
_NUMBER = r"^(?P<pre>\D*?)(?P<number>\d(?:[\d\s{marks}]*\d)?)(?P<post>\D*)$"
_MARKS = ".,'\u2019\u066b\u066c\u060c"  # and each locale's own
_TIME_RE = re.compile(r"^\d+:\d{2}(:\d{2})?$")
#: Signs around a number: plus, hyphen-minus, minus, dashes used as minus.
_SIGNS = str.maketrans("", "", "+-\u2212\u2012\u2013\ufe63\uff0b\uff0d")
#: Direction marks that Babel puts around numbers in right-to-left locales (ar, he, fa).
_BIDI = str.maketrans("", "", "\u200e\u200f\u061c\u2066\u2067\u2068\u2069")
_UNITS = frozenset({"%", "\u2030", "\u2031", "\u066a"})
_COMPACT = frozenset({"k", "K", "M", "B"})  # 1.2k, 3M: after the number only
_NEUTRAL = {"", "nan", "<na>", "nat", "none", "-", "\u2013", "\u2014", "n/a", "no data"}


@dataclass(frozen=True)
class _NumberWords:
    """How numbers look in a report's tables: its locale's group and decimal marks, and what
    may stand around a number: currency symbols (``kr``, ``₹``, ``zł``, ``ج.م.``) and ISO
    codes, percent and per-mille signs, the points unit; and the words of an empty cell
    (``n/a``) in its language."""

    number: re.Pattern[str]
    affixes: frozenset[str]
    neutral: frozenset[str]

    @classmethod
    def of(cls, lang: Language) -> _NumberWords:
        from babel.numbers import get_currency_symbol, list_currencies

        locale = lang.babel
        words = {*locale.currency_symbols.values(), lang.gettext("{value} pts").format(value="")}
        words |= list_currencies()
        marks = set(_MARKS)
        for system in {"latn", locale.default_numbering_system}:  # Babel writes latn digits
            symbols = locale.number_symbols.get(system) or {}
            words |= {symbols.get("percentSign", "%"), symbols.get("perMille", "\u2030")}
            marks |= {symbols.get("group", ","), symbols.get("decimal", ".")}
        if lang.currency:
            words |= {lang.currency, get_currency_symbol(lang.currency, locale)}
        marks_class = re.escape("".join(sorted(m for m in marks if len(m) == 1)))
        return cls(
            re.compile(_NUMBER.format(marks=marks_class)),
            frozenset(w for w in (_bare(w) for w in words) if w),
            frozenset(_NEUTRAL | {lang.gettext("n/a").lower()}),
        )

    def is_number(self, text: str) -> bool:
        """``text`` is one number with at most a sign, a currency or a unit around it."""
        text = text.translate(_BIDI).strip()
        if _TIME_RE.match(text):
            return True
        match = self.number.match(text)
        if not match:
            return False
        pre, post = _bare(match["pre"]), _bare(match["post"])
        return self._affix(pre) and (post in _COMPACT or self._affix(post))

    def _affix(self, affix: str) -> bool:
        if not affix or affix in _UNITS or affix in self.affixes:
            return True
        # another locale's symbol of a currency: $, US$, R$, NT$ (a sign and a few letters)
        others = [c for c in affix if unicodedata.category(c) != "Sc"]
        return len(others) < len(affix) and len(others) <= 3 and all(c.isalpha() for c in others)


def _bare(affix: str) -> str:
    """An affix without its sign, spaces and direction marks."""
    return "".join(affix.translate(_BIDI).translate(_SIGNS).split())


def _row_cells(tr: Any) -> list[Any]:
    return tr.find_all(["th", "td"], recursive=False)


def _drop_range_index(table: Any) -> None:
    """Remove a pandas default 0..n-1 index column: it is clutter in a business table."""
    body = table.find("tbody")
    head = table.find("thead")
    if body is None:
        return
    rows = body.find_all("tr", recursive=False)
    firsts = [_row_cells(tr)[:1] for tr in rows]
    if not rows or any(not f or f[0].name != "th" for f in firsts):
        return
    if [f[0].get_text(strip=True) for f in firsts] != [str(i) for i in range(len(rows))]:
        return
    head_rows = head.find_all("tr", recursive=False) if head else []
    head_firsts = [_row_cells(tr)[:1] for tr in head_rows]
    if any(
        not f or f[0].get_text(strip=True) or int(f[0].get("colspan", 1)) > 1 for f in head_firsts
    ):
        return
    for f in firsts + head_firsts:
        f[0].decompose()


def _merge_index_name_row(table: Any) -> None:
    """Fold pandas' extra header row holding only the index name into the column-header row."""
    head = table.find("thead")
    rows = head.find_all("tr", recursive=False) if head else []
    if len(rows) != 2:
        return
    top, bottom = (_row_cells(r) for r in rows)
    if len(top) != len(bottom) or not bottom or top[0].get_text(strip=True):
        return
    if any(c.get_text(strip=True) for c in bottom[1:]) or int(top[0].get("colspan", 1)) > 1:
        return
    top[0].string = bottom[0].get_text(strip=True)
    rows[1].decompose()


def _kind(cell: Any) -> str | None:
    """``num`` or ``text`` when the cell's author classed it already (a report block)."""
    classes = cell.get("class") or []
    return "num" if "num" in classes else "text" if "text" in classes else None


def _mark_numbers(table: Any, words: _NumberWords) -> None:
    """Class numeric cells ``num`` (right-aligned) and text cells ``text``, per column; cells
    already classed keep their class."""
    body = table.find("tbody")
    if body is None:
        return
    rows = [_row_cells(tr) for tr in body.find_all("tr", recursive=False)]
    width = max((len(r) for r in rows), default=0)
    kinds: list[set[str]] = [set() for _ in range(width)]
    for cells in rows:
        for i, cell in enumerate(cells):
            text = cell.get_text(strip=True)
            if _kind(cell):
                kinds[i].add(_kind(cell))  # type: ignore[arg-type]
            elif text.lower() not in words.neutral:
                kinds[i].add("num" if words.is_number(text) else "text")
    # a column of only blanks/"n/a" (e.g. shares in an empty month) stays a numeric column
    numeric = [k <= {"num"} for k in kinds]
    for cells in rows:
        for i, cell in enumerate(cells):
            if cell.name == "td" and len(cells) == width and not _kind(cell):
                cell["class"] = [*cell.get("class", []), "num" if numeric[i] else "text"]
    head = table.find("thead")
    if head is not None:
        last = head.find_all("tr", recursive=False)[-1:]
        for row in last:
            cells = _row_cells(row)
            if len(cells) == width:
                for i, cell in enumerate(cells):
                    if numeric[i] and not _kind(cell):
                        cell["class"] = [*cell.get("class", []), "num"]


def _polish_tables(html: str, lang: Language | None = None) -> str:
    """Tables made readable: no pandas RangeIndex, numbers (as ``lang`` writes them, default
    en_US) right-aligned."""
    if "<table" not in html:
        return html
    words = _NumberWords.of(lang or language_for(DEFAULT_LOCALE))
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, features="html.parser")
    for table in soup.find_all("table"):
        if "dataframe" in (table.get("class") or []):
            _drop_range_index(table)
            _merge_index_name_row(table)
        _mark_numbers(table, words)
    return str(soup)


# ---- exporters -----------------------------------------------------------------------------


class PortalHTMLExporter(HTMLExporter):
    """Self-contained business-report HTML (``--to portal_html``): no code, prompts or noise."""

    export_from_notebook = "Portal report (HTML)"

    @default("template_name")
    def _template_name_default(self) -> str:
        return "portal"

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self) -> list[str]:
        return [str(d) for d in template_dirs()]

    @default("exclude_input")
    def _default_exclude_input(self) -> bool:
        return True

    @default("exclude_input_prompt")
    def _default_exclude_input_prompt(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _default_exclude_output_prompt(self) -> bool:
        return True

    @default("exclude_anchor_links")
    def _default_exclude_anchor_links(self) -> bool:
        return True

    @default("embed_images")
    def _default_embed_images(self) -> bool:
        return True

    def render_html(
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """Render ``nb`` to HTML with the header data in ``resources['portal_report']``."""
        resources = dict(resources or {})
        name = (resources.get("metadata") or {}).get("name")
        resources["portal_report"] = report_header(nb, name)
        nb = translated_notebook(nb)
        html, resources = HTMLExporter.from_notebook_node(self, nb, resources, **kw)
        return _polish_tables(html, _language(nb.metadata.get("portal_reports") or {})), resources

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """Convert a notebook to the report HTML."""
        return self.render_html(nb, resources, **kw)


class PortalPDFExporter(PortalHTMLExporter):
    """A4 PDF of the same report (``--to portal_pdf``), laid out by WeasyPrint."""

    export_from_notebook = "Portal report (PDF)"
    output_mimetype = "application/pdf"

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self) -> str:
        return ".html.j2"

    @default("raw_mimetypes")
    def _raw_mimetypes_default(self) -> list[str]:
        return ["text/html", ""]

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[bytes, dict[str, Any]]:
        """Convert a notebook to PDF bytes."""
        html, resources = self.render_html(nb, resources, **kw)
        base = (resources.get("metadata") or {}).get("path") or None
        pdf = html_to_pdf(html, base_url=base)
        resources["output_extension"] = ".pdf"
        return pdf, resources


_EXPORTERS = threading.local()  # one per thread: an exporter registers filters as it renders


def _template_files() -> tuple[Any, ...]:
    """The template folders and each file of their ``portal/`` template, with its mtime."""
    dirs = template_dirs()
    files = [
        (str(path), path.stat().st_mtime_ns)
        for d in dirs
        if (d / "portal").is_dir()
        for path in sorted((d / "portal").rglob("*"))
        if path.is_file()
    ]
    return (tuple(str(d) for d in dirs), tuple(files))


def _html_exporter() -> PortalHTMLExporter:
    """This thread's :class:`PortalHTMLExporter`, its Jinja templates compiled once; a new one
    when the template folders or a file of the ``portal`` template changed."""
    key = _template_files()
    cached = getattr(_EXPORTERS, "cached", None)
    if cached is None or cached[0] != key:
        cached = _EXPORTERS.cached = (key, PortalHTMLExporter())
    return cached[1]


# ---- PDF -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Silence WeasyPrint/fontTools warnings (unsupported CSS in pandas' inline styles, subsetting)."""
    saved = {}
    for name in _NOISY_LOGGERS:
        log = logging.getLogger(name)
        saved[name] = log.level
        log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _add_pdf_info(document: Any, pdf: Any) -> None:
    import pydyf

    for name, key in PDF_INFO_KEYS.items():
        value = document.metadata.custom.get(name)
        if value:
            pdf.info[key] = pydyf.String(value)


def html_to_pdf(html: str, *, base_url: str | os.PathLike[str] | None = None) -> bytes:
    """Lay out report HTML as an A4 PDF; only ``data:`` and local ``file:`` URLs are fetched."""
    with warnings.catch_warnings():  # "HarfBuzz-Subset will be required by future versions"
        warnings.simplefilter("ignore", DeprecationWarning)
        import weasyprint
        from weasyprint.urls import URLFetcher

    from weasyprint.text.fonts import FontConfiguration

    fetcher = URLFetcher(allowed_protocols={"data", "file"})
    fonts = FontConfiguration()  # the charts' font, once for the document (svgfont)
    with _quiet_logs():
        chart_font = weasyprint.CSS(
            string=svgfont.pdf_font_css(), font_config=fonts, url_fetcher=fetcher
        )
        doc = weasyprint.HTML(
            string=svgfont.without_embedded_font(html),
            base_url=str(base_url or os.getcwd()),
            url_fetcher=fetcher,
        )
        return doc.write_pdf(stylesheets=[chart_font], font_config=fonts, finisher=_add_pdf_info)


# ---- one-call API --------------------------------------------------------------------------


def _load(nb: NotebookNode | str | os.PathLike[str]) -> tuple[NotebookNode, str | None, str]:
    if isinstance(nb, (str, os.PathLike)):
        path = Path(nb)
        return nbformat.read(str(path), as_version=4), path.stem, str(path.parent.resolve())
    return copy.deepcopy(nb), None, os.getcwd()


def _render(
    nb: NotebookNode | str | os.PathLike[str], stem: str, metadata: dict[str, Any] | None
) -> tuple[str, str]:
    """Render the report HTML once; returns it with the base URL for relative resources."""
    node, name, base = _load(nb)
    if metadata:
        merged = {**(node.metadata.get("portal_reports") or {}), **metadata}
        node.metadata["portal_reports"] = merged
    resources = {"metadata": {"name": name or stem, "path": base}}
    html, _ = _html_exporter().from_notebook_node(node, resources)
    return html, base


@contextlib.contextmanager
def _export_errors(stem: str, fmt: str) -> Iterator[None]:
    """Turn any failure into a one-line :class:`ExportError`."""
    try:
        yield
    except ExportError:
        raise
    except Exception as exc:
        text = " ".join(str(exc).split())
        detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        raise ExportError(f"cannot export {stem!r} to {fmt}: {detail}") from exc


def _check_formats(formats: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(formats))
    for fmt in wanted:
        if fmt not in FORMATS:
            raise ExportError(
                f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}"
            )
    return wanted


def render_html(
    nb: NotebookNode | str | os.PathLike[str],
    *,
    name: str = "report",
    metadata: dict[str, Any] | None = None,
) -> str:
    """The report HTML of a notebook as a string (``name`` titles it when metadata has none)."""
    with _export_errors(name, "html"):
        return _render(nb, name, metadata)[0]


def render_formats(
    nb: NotebookNode | str | os.PathLike[str],
    formats: Iterable[str],
    stem: str,
    *,
    base: str | os.PathLike[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, bytes]:
    """Each format's bytes for ``nb``, rendering the HTML only once (PDF is laid out from it).

    ``base`` is where relative resources resolve (default: the notebook's folder or cwd).
    """
    wanted = _check_formats(formats)
    out: dict[str, bytes] = {}
    if not wanted:
        return out
    with _export_errors(stem, "/".join(wanted)):
        html, default_base = _render(nb, stem, metadata)
    for fmt in wanted:
        with _export_errors(stem, fmt):
            if fmt == "html":
                out[fmt] = html.encode("utf-8")
            else:
                out[fmt] = html_to_pdf(html, base_url=base or default_base)
    return out


def export_formats(
    nb: NotebookNode | str | os.PathLike[str],
    formats: Iterable[str],
    out_dir: str | os.PathLike[str],
    stem: str,
    *,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``<out_dir>/<stem>.<fmt>`` for each format, rendering the HTML only once.

    ``metadata`` is merged over ``nb.metadata["portal_reports"]`` (the notebook is not changed).
    Each file is written atomically; raises :class:`ExportError` (one line) on any failure.
    """
    rendered = render_formats(nb, formats, stem, metadata=metadata)
    written: dict[str, Path] = {}
    for fmt, payload in rendered.items():
        with _export_errors(stem, fmt):
            written[fmt] = atomic_write(Path(out_dir) / f"{stem}.{fmt}", payload)
    return written


def export_notebook(
    nb: NotebookNode | str | os.PathLike[str],
    fmt: str,
    out_path: str | os.PathLike[str],
    *,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Export one notebook (node or ``.ipynb`` path) to ``out_path`` as ``"html"`` or ``"pdf"``.

    Atomic: a failure leaves neither a partial file under ``out_path`` nor a temporary file.
    """
    (fmt,) = _check_formats([fmt])
    out = Path(out_path)
    with _export_errors(out.stem, fmt):
        html, base = _render(nb, out.stem, metadata)
        payload = html if fmt == "html" else html_to_pdf(html, base_url=base)
        return atomic_write(out, payload)
