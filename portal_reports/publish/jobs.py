"""One report of one customer-month as a self-contained task, and what comes back from it.

A :class:`ReportJob` carries everything a worker needs (the notebook's text, the month data's
files as bytes, formats, header metadata), so a worker on another machine needs no shared file system
and no Portal credentials. A :class:`JobResult` carries the produced files back as bytes; the
machine running ``portal-reports`` writes them under their final names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReportJob:
    """Execute one report notebook for one customer-month and export it."""

    month: str
    customer: str | None
    report: str
    notebook: str  # the notebook's JSON text
    data: dict[str, bytes]  # the month data's files as the runner wrote them, by name
    data_name: str  # the file the notebook is told to read (``data.json``)
    formats: tuple[str, ...]
    metadata: dict[str, Any]  # nb.metadata["portal_reports"]: header, provenance
    parameters: dict[str, Any] = field(default_factory=dict)
    key_chart: bool = False  # also draw the customer-month's key chart (one job per month)

    @property
    def key(self) -> str:
        """A deterministic task key: the same work always has the same name."""
        return f"report-{self.month}-{self.customer or 'all'}-{self.report}"


@dataclass
class JobResult:
    """The outcome of a :class:`ReportJob`: the executed notebook always, exports when it ran."""

    key: str
    report: str
    customer: str | None
    notebook: bytes
    files: dict[str, bytes] = field(default_factory=dict)  # format -> bytes
    failure: dict[str, Any] | None = None  # cell, ename, evalue
    key_chart: bytes | None = None  # chart.png, when the job was asked for it and drew it
    seconds: float = 0.0
    worker: str = ""
    executor: str = ""
