"""The account manager's note: ``notes/<YYYY-MM>/<customer>.md`` in the project.

Markdown with Jinja placeholders for the month's figures, formatted as the reports format
them::

    Leads grew to **{{ leads_total }}** ({{ leads_change }}), and {{ revenue_after_hours }}
    came in outside opening hours. {% if leads_target_status == "met" %}Target met!{% endif %}

The runner reads the note before anything is fetched: a Jinja syntax error or a placeholder
that does not exist is a one-line error before any kernel starts. After the fetch it is
rendered (Jinja with ``StrictUndefined``, then Markdown to HTML) and carried in ``data.json``;
the report template shows it at the top of every report of the customer-month and the email
puts it in its body. No file: nothing is shown. The whole account's note is ``all.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..dates import parse_month
from ..errors import ConfigError
from ..i18n import N_, month_label, using

if TYPE_CHECKING:
    from ..data.month import MonthData

NOTES_DIR = "notes"
#: The heading of the account manager's note (reports, JupyterLab and the email).
NOTE_LABEL = N_("A note from your account manager")
#: The manifest figures' names, as placeholders (``{{ leads_total }}``), -> figure key.
TOTALS = {
    "sessions_total": "sessions",
    "leads_total": "leads",
    "revenue_total": "revenue",
    "asr_total": "asr",
    "opportunity_value_total": "opportunity_value",
    "units_total": "units",
}


def notes_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """``<project>/notes`` (the working directory's ``notes`` outside a project)."""
    if root is None:
        from ..project import current_project

        root = current_project().root or Path.cwd()
    return Path(root) / NOTES_DIR


def note_path(month: str, customer: str | None, root: str | os.PathLike[str] | None = None) -> Path:
    """``<project>/notes/<YYYY-MM>/<customer or all>.md``."""
    return notes_dir(root) / parse_month(month) / f"{customer or 'all'}.md"


def placeholders(targets: Iterable[str] = ()) -> list[str]:
    """Every placeholder a note may use (``targets``: the customer's target names)."""
    from .figures import FIGURES

    names = ["customer_name", "month", "previous_month", *TOTALS]
    for key in FIGURES:
        names += [key, f"{key}_change"]
    for key in targets:
        names += [f"{key}_target", f"{key}_target_progress", f"{key}_target_status"]
    return list(dict.fromkeys(names))


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


@dataclass(frozen=True)
class Note:
    """A checked note: its file and its Jinja source."""

    path: Path
    source: str

    def render(self, data: MonthData) -> dict[str, str]:
        """The note for ``data``: ``markdown`` (placeholders filled), ``html``, ``path``."""
        import jinja2

        try:
            text = _environment().from_string(self.source).render(note_context(data))
        except jinja2.TemplateError as exc:
            raise ConfigError(f"{self.path}: {exc}") from None
        return {"path": str(self.path), "markdown": text.strip(), "html": markdown_html(text)}


def load_note(
    month: str,
    customer: str | None,
    *,
    targets: Iterable[str] = (),
    root: str | os.PathLike[str] | None = None,
) -> Note | None:
    """Read and check the customer-month's note (None when there is none).

    Raises :class:`ConfigError` (one line, naming the file) for a Jinja syntax error or a
    placeholder that does not exist, before anything is fetched.
    """
    import jinja2
    from jinja2 import meta

    path = note_path(month, customer, root)
    if not path.is_file():
        return None
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the note {path}: {exc}") from None
    try:
        used = meta.find_undeclared_variables(_environment().parse(source))
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{path}: line {exc.lineno}: {exc.message}") from None
    known = set(placeholders(targets))
    unknown = sorted(used - known)
    if unknown:
        names = ", ".join("{{ " + name + " }}" for name in unknown)
        raise ConfigError(
            f"{path}: unknown placeholder(s) {names} (see the README's list of note placeholders, "
            "e.g. {{ leads_total }}, {{ revenue }}, {{ leads_change }})"
        )
    return Note(path, source)


def note_context(data: MonthData) -> dict[str, str]:
    """The placeholders' values for ``data``, formatted exactly as its reports' cards: in the
    customer's locale and currency (``1.760``, ``49.321,01 €``, ``+1,4 % ggü. Oktober``).

    The runner renders notes outside any report kernel, where no customer's language is
    active, so the customer's is made active here. ``<figure>_target_status`` stays
    ``met``/``behind`` for the notes' ``{% if %}`` tests.
    """
    with using(data.language):
        return _context(data)


def _context(data: MonthData) -> dict[str, str]:
    """:func:`note_context` in the active language."""
    from .figures import FIGURES, headline
    from .format import fmt_pct
    from .targets import target_progress

    kpis = {k.key: k for k in headline(data, list(FIGURES))}
    context = {
        "customer_name": data.customer_name,
        "month": month_label(data.month),
        "previous_month": month_label(data.previous_month),
    }
    for key, kpi in kpis.items():
        context[key] = kpi.formatted
        context[f"{key}_change"] = kpi.delta_text
    for name, key in TOTALS.items():
        context[name] = kpis[key].formatted
    for key, target in target_progress(data).items():
        context[f"{key}_target"] = target.formatted_target
        context[f"{key}_target_progress"] = fmt_pct(target.progress, 0)
        context[f"{key}_target_status"] = target.status
    return context


def markdown_html(text: str) -> str:
    """Markdown to HTML (raw HTML in the note is escaped, not passed through)."""
    import mistune

    render = mistune.create_markdown(escape=True, plugins=["strikethrough", "table"])
    return str(render(text)).strip()


def note_text(note: Mapping[str, str] | None) -> str:
    """The rendered note as plain text for the email (its Markdown), "" without a note."""
    return (note or {}).get("markdown", "")
