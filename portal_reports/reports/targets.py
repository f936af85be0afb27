"""Monthly targets (``customers.toml``: ``targets = { leads = 600 }``) against the month's figures.

A target is met when the figure reaches it (every headline figure is "more is better"); the
headline card shows the target, the progress and the status, and the manifest records them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..i18n import N_, _
from .figures import FIGURES
from .format import fmt_pct

if TYPE_CHECKING:
    from ..data.month import MonthData

Status = Literal["met", "behind", "unknown"]
#: How a card says a status (the status itself stays ``met``/``behind``/``unknown``: the
#: manifest's and the notes' ``{% if leads_target_status == "met" %}`` read it). ``unknown``:
#: the Portal did not report the figure, or sent it unusable.
STATUS_TEXT: dict[str, str] = {
    "met": N_("met"),
    "behind": N_("behind"),
    "unknown": N_("not reported"),
}


@dataclass(frozen=True)
class TargetProgress:
    """One figure against its monthly target."""

    key: str
    target: float
    value: float | None
    progress: float | None  # value / target
    status: Status

    @property
    def formatted_target(self) -> str:
        """The target as its figure is formatted (``1.000``, ``100.000,00 €``)."""
        return FIGURES[self.key].fmt(self.target)

    @property
    def status_text(self) -> str:
        """The status in the active language (``met`` / ``erreicht``)."""
        return _(STATUS_TEXT[self.status])

    @property
    def text(self) -> str:
        """``Target 600 · 95% · behind`` / ``Ziel 600 · 95 % · nicht erreicht`` (what the
        headline card shows), in the active language."""
        return _("Target {target} · {progress} · {status}").format(
            target=self.formatted_target,
            progress=fmt_pct(self.progress, 0),  # n/a (k. A.) without a value
            status=self.status_text,
        )

    def to_json(self) -> dict[str, Any]:
        """The manifest's entry for this target."""
        return {
            "target": _number(self.target),
            "value": None if self.value is None else _number(self.value),
            "progress": None if self.progress is None else round(self.progress, 4),
            "status": self.status,
        }


def _number(value: float) -> int | float:
    value = float(value)
    return int(value) if value.is_integer() else round(value, 4)


def progress(key: str, value: float | None, target: float) -> TargetProgress:
    """``value`` against ``target`` (a missing value, e.g. a rate without sessions, is behind;
    NaN, a figure the Portal did not report or sent unusable, is ``unknown``)."""
    if value is not None and math.isnan(value):
        return TargetProgress(key, float(target), None, None, "unknown")
    ratio = None if value is None or not target else float(value) / float(target)
    status: Status = "met" if value is not None and value >= target else "behind"
    return TargetProgress(key, float(target), value, ratio, status)


def target_progress(data: MonthData) -> dict[str, TargetProgress]:
    """Every target of the month's customer, by figure key (empty without targets)."""
    return {
        key: progress(key, FIGURES[key].value(data.info), target)
        for key, target in data.targets.items()
        if key in FIGURES
    }


def manifest_targets(data: MonthData) -> dict[str, dict[str, Any]]:
    """The manifest's ``targets``: per figure key, target, value, progress and status."""
    return {key: p.to_json() for key, p in target_progress(data).items()}
