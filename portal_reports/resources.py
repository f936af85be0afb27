"""What the package ships: the default report notebooks and templates.

The single source is the repository's top-level ``notebooks/`` and ``templates/``; the wheel
carries them as ``portal_reports/_resources/`` (hatchling ``force-include``). Found with
``importlib.resources``; a source checkout (editable install) uses the top-level folders.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def _shipped(name: str) -> Path:
    bundled = files("portal_reports") / "_resources" / name
    if bundled.is_dir():
        return Path(str(bundled))
    return _CHECKOUT / name


def default_notebooks_dir() -> Path:
    """The package's report notebooks (``leads``, ``revenue``, ``asr``, ...)."""
    return _shipped("notebooks")


def default_templates_dir() -> Path:
    """The package's templates: ``portal/`` (nbconvert) and ``email/`` (Jinja)."""
    return _shipped("templates")


def source_checkout() -> Path | None:
    """The git checkout the package runs from (editable install), else None."""
    return _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() else None
