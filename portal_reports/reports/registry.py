"""The report registry: a report is a notebook, discovered from the reports folder.

A notebook in the folder whose ``parameters`` cell defines ``month``, ``customer_id`` and
``data_path`` is a report. Everything else the toolkit needs comes from the notebook itself:

* name: the file stem (``leads.ipynb`` -> ``leads``);
* title: ``metadata.portal_reports.title``, else the first Markdown ``# heading``, else the name;
* order: ``metadata.portal_reports.order`` (reports without one follow, by name);
* ``metadata.portal_reports.report = false`` opts a notebook out (e.g. a scratch notebook).

Every place that needs "the reports" (CLI choices and defaults, ``--list-parameters``, the
runner, the export header, the email's attachment names and body, the tests) asks here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._text import split_list
from ..errors import ConfigError

REQUIRED_PARAMETERS = ("month", "customer_id", "data_path")
_HEADING = re.compile(r"^\s*#\s+(.+?)\s*#*\s*$", re.M)
_ACRONYMS = {"asr": "ASR", "kpi": "KPI", "kpis": "KPIs"}


@dataclass(frozen=True)
class Report:
    """One report: its notebook and what the toolkit shows of it."""

    name: str
    title: str
    path: Path
    order: float = math.inf
    parameters: tuple[str, ...] = field(default=REQUIRED_PARAMETERS)

    def __str__(self) -> str:
        return f"{self.name} ({self.title})"


def title_from_name(name: str | None) -> str:
    """``leads`` -> ``Leads report``, ``asr`` -> ``ASR report``: the last-resort title."""
    words = re.split(r"[\s_\-]+", (name or "").strip())
    words = [_ACRONYMS.get(w.lower(), w) for w in words if w]
    if not words:
        return "Report"
    title = " ".join(words)
    title = title[0].upper() + title[1:]
    return title if title.lower().endswith("report") else f"{title} report"


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def report_title(nb: Mapping[str, Any], name: str | None = None) -> str:
    """A notebook's title: its metadata, else its first Markdown ``# heading``, else the name."""
    meta = (nb.get("metadata") or {}).get("portal_reports") or {}
    if isinstance(meta, Mapping) and isinstance(meta.get("title"), str) and meta["title"].strip():
        return meta["title"].strip()
    for cell in nb.get("cells") or []:
        if cell.get("cell_type") == "markdown":
            found = _HEADING.search(_source(cell))
            if found:
                return found.group(1).strip()
    return title_from_name(name)


def _parameter_names(source: str) -> tuple[str, ...]:
    """Names assigned at the top level of a ``parameters`` cell (``name = ...``)."""
    names = re.findall(r"^([A-Za-z_]\w*)\s*(?::[^=]+)?=", source, re.M)
    return tuple(dict.fromkeys(names))


def read_report(path: Path) -> Report | None:
    """The :class:`Report` of one notebook file, or None when it is not a report."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"report notebook {path} cannot be read: {exc}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ConfigError(f"report notebook {path} is not a notebook (no cells)")
    meta = (nb.get("metadata") or {}).get("portal_reports") or {}
    if isinstance(meta, Mapping) and meta.get("report") is False:
        return None
    cells = [c for c in nb["cells"] if isinstance(c, dict)]
    params = [c for c in cells if "parameters" in ((c.get("metadata") or {}).get("tags") or [])]
    if not params:
        return None
    names = _parameter_names(_source(params[0]))
    if not set(REQUIRED_PARAMETERS) <= set(names):
        return None
    order = meta.get("order") if isinstance(meta, Mapping) else None
    if isinstance(order, bool) or not isinstance(order, int | float):
        order = math.inf
    return Report(path.stem, report_title(nb, path.stem), path, float(order), names)


class Registry(Mapping[str, Report]):
    """The reports of one folder, in their order (``order``, then name)."""

    def __init__(self, folder: Path, reports: Iterable[Report]) -> None:
        self.folder = folder
        ordered = sorted(reports, key=lambda r: (r.order, r.name))
        self._reports = {r.name: r for r in ordered}

    @classmethod
    def discover(cls, folder: str | Path) -> Registry:
        """Every report notebook in ``folder`` (not recursive; hidden and ``_`` files skipped)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise ConfigError(f"reports folder {folder} not found")
        found = []
        for path in sorted(folder.glob("*.ipynb")):
            if path.name.startswith((".", "_")) or not path.is_file():
                continue
            report = read_report(path)
            if report is not None:
                found.append(report)
        if not found:
            raise ConfigError(
                f"no report notebooks in {folder} (a report has a 'parameters' cell "
                f"defining {', '.join(REQUIRED_PARAMETERS)})"
            )
        return cls(folder, found)

    def __getitem__(self, name: str) -> Report:
        return self._reports[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._reports)

    def __len__(self) -> int:
        return len(self._reports)

    @property
    def names(self) -> list[str]:
        """Report names in order."""
        return list(self._reports)

    def choose(self, values: str | Iterable[str] | None) -> list[Report]:
        """The reports named in a comma list (all when empty), in the registry's order."""
        chosen = split_list(values)
        if not chosen:
            return list(self._reports.values())
        unknown = [v for v in chosen if v not in self._reports]
        if unknown:
            raise ConfigError(
                f"unknown report {', '.join(map(repr, unknown))}: "
                f"the reports in {self.folder} are {', '.join(self._reports)}"
            )
        wanted = set(chosen)
        return [r for r in self._reports.values() if r.name in wanted]

    def title(self, name: str) -> str:
        """The title of report ``name`` (a readable fallback for names not in the registry)."""
        report = self._reports.get(name)
        return report.title if report else title_from_name(name)

    def __repr__(self) -> str:
        return f"Registry({str(self.folder)!r}, {self.names})"


def registry(folder: str | Path | None = None) -> Registry:
    """The reports of ``folder``, default the current project's reports folder."""
    if folder is None:
        from ..project import current_project

        folder = current_project().notebooks_dir
    return Registry.discover(folder)
