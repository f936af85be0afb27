"""A reports project: an agency's folder with ``customers.toml``, notebooks, templates, ``.env``.

Commands run inside a project (found from the working directory upwards, by its
``customers.toml``) use its notebooks, templates, ``customers.toml`` and ``.env`` before the
package's defaults. ``portal-reports init DIR`` creates one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .resources import default_notebooks_dir, default_templates_dir

PROJECT_FILE = "customers.toml"
ENV_NOTEBOOKS = "PORTAL_REPORTS_NOTEBOOKS"
ENV_TEMPLATES = "PORTAL_REPORTS_TEMPLATES"


@dataclass(frozen=True)
class Project:
    """Where a command finds its resources: the project's folders first, then the package's."""

    root: Path | None

    @classmethod
    def find(cls, start: str | os.PathLike[str] | None = None) -> Project:
        """The project holding ``start`` (default: the working directory), or no project."""
        here = Path(start or Path.cwd()).absolute()
        for folder in (here, *here.parents):
            if (folder / PROJECT_FILE).is_file():
                return cls(folder)
        return cls(None)

    @property
    def notebooks_dir(self) -> Path:
        """The reports folder: ``PORTAL_REPORTS_NOTEBOOKS``, else the project's ``notebooks/``,
        else the package's default reports."""
        override = os.environ.get(ENV_NOTEBOOKS)
        if override:
            return Path(override).expanduser()
        if self.root is not None and (self.root / "notebooks").is_dir():
            return self.root / "notebooks"
        return default_notebooks_dir()

    @property
    def template_dirs(self) -> list[Path]:
        """Template base folders, highest priority first: ``PORTAL_REPORTS_TEMPLATES``, the
        project's ``templates/``, the package's. A file found earlier wins."""
        dirs: list[Path] = []
        override = os.environ.get(ENV_TEMPLATES)
        if override:
            dirs.append(Path(override).expanduser().resolve())
        if self.root is not None and (self.root / "templates").is_dir():
            dirs.append((self.root / "templates").resolve())
        dirs.append(default_templates_dir().resolve())
        return list(dict.fromkeys(dirs))

    def check_report_template(self) -> None:
        """A ``PORTAL_REPORTS_TEMPLATES`` that is not a folder is a :class:`ConfigError`
        rather than silently ignored; no ``portal/index.html.j2`` in any template folder is
        an :class:`ExportError`. (Compiling it is :func:`~.publish.export.check_templates`.)"""
        from .errors import ConfigError, ExportError

        override = os.environ.get(ENV_TEMPLATES)
        if override and not Path(override).expanduser().is_dir():
            raise ConfigError(f"{ENV_TEMPLATES}: {override!r} is not a folder")
        dirs = self.template_dirs  # resolved on each read of the property: read once
        if not any((d / "portal" / "index.html.j2").is_file() for d in dirs):
            where = ", ".join(str(d) for d in dirs)
            raise ExportError(f"report template 'portal' not found (looked in {where})")

    @property
    def reports_dir(self) -> Path:
        """Where runs are written by default: the project's ``reports/`` (else ``./reports``)."""
        return (self.root / "reports") if self.root is not None else Path("reports")

    @property
    def customers_file(self) -> Path:
        """``customers.toml`` of the project (or ``./customers.toml`` outside a project)."""
        return (self.root or Path.cwd()) / PROJECT_FILE

    def __str__(self) -> str:
        return str(self.root) if self.root else "(no project: package defaults)"


def current_project() -> Project:
    """The project of the working directory."""
    return Project.find()
