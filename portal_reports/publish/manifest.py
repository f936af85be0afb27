"""``manifest.json``: what one customer-month run produced, written by the runner, read by mail.

One typed value (:class:`Manifest`) instead of dictionaries re-parsed in each layer. The file
lists every output with its sha256, the reports with their titles (from the registry, in the
customer's language), the period (the customer's month: time zone and UTC range), the locale,
currency and accent the reports were made with, the headline figures, the month's history
(one entry per month, figures null when there is no data), the targets and their status, the
note shown, the data check, where the data came from and the provenance of the run, and the
project's reports it lacks when a run made only some of them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .._io import atomic_write
from ..errors import ManifestError

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class OutputFile:
    """One file of a run: which report, which format, where (relative), its sha256."""

    report: str
    format: str
    path: str
    sha256: str
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"report": self.report, "format": self.format, "path": self.path}
        if self.title:
            out["title"] = self.title
        out["sha256"] = self.sha256
        return out


@dataclass(frozen=True)
class Period:
    """The customer's month as the manifest records it: the zone and the UTC range."""

    month: str
    time_zone: str = "UTC"
    from_datetime: str = ""
    to_datetime: str = ""
    label: str = ""

    @classmethod
    def of(cls, period: Any, label: str = "") -> Period:
        """From a :class:`~portal_reports.period.ReportMonth` (``label``: its heading)."""
        raw = period.to_json()
        return cls(raw["month"], raw["time_zone"], raw["from_datetime"], raw["to_datetime"], label)

    def to_json(self) -> dict[str, str]:
        return {
            "month": self.month,
            "time_zone": self.time_zone,
            "from_datetime": self.from_datetime,
            "to_datetime": self.to_datetime,
            "label": self.label,
        }

    def report_month(self) -> Any:
        """The :class:`~portal_reports.period.ReportMonth` (UTC if the zone is unusable)."""
        from ..errors import PortalError
        from ..period import ReportMonth

        try:
            return ReportMonth.parse(self.month, self.time_zone or "UTC")
        except PortalError:
            return ReportMonth.parse(self.month)


@dataclass(frozen=True)
class FailedReport:
    """A report that did not finish: the cell and one-line error."""

    report: str
    cell: int | None
    error: str


@dataclass(frozen=True)
class Manifest:
    """The record of one customer-month run (``<out>/<month>/<customer>/manifest.json``)."""

    month: str
    customer: str
    customer_name: str
    generated_at: str
    status: str
    data_source: str
    period: Period | None = None
    locale: str = "en_US"
    currency: str | None = None
    accent: str | None = None
    reports: tuple[dict[str, str], ...] = ()
    failed_reports: tuple[FailedReport, ...] = ()
    outputs: tuple[OutputFile, ...] = ()
    figures: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    execution: dict[str, Any] = field(default_factory=dict)  # executor, workers, inputs hash
    history: tuple[dict[str, Any], ...] = ()  # {month, sessions_total, ...}, oldest first
    targets: dict[str, Any] = field(default_factory=dict)  # key -> target, value, progress, status
    note: dict[str, str] | None = None  # path, markdown, html of the note shown
    data_check: dict[str, Any] = field(default_factory=dict)  # status ok|mismatch, message
    # reports of the project made before in this folder, but not from this data: a run of
    # only some reports (--report) found them stale and removed them (email refuses the month)
    missing_reports: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Every report finished."""
        return self.status == "ok" and not self.failed_reports

    def title_of(self, report: str) -> str:
        """The title recorded for ``report`` (the name when none was recorded)."""
        for entry in self.reports:
            if entry.get("name") == report and entry.get("title"):
                return entry["title"]
        for out in self.outputs:
            if out.report == report and out.title:
                return out.title
        from ..reports.registry import title_from_name

        return title_from_name(report)

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to ``manifest.json`` (stable key order)."""
        return {
            "month": self.month,
            "customer": self.customer,
            "customer_name": self.customer_name,
            "generated_at": self.generated_at,
            "status": self.status,
            "data_source": self.data_source,
            "period": (self.period or Period(self.month)).to_json(),
            "locale": self.locale,
            "currency": self.currency,
            "accent": self.accent,
            "reports": [dict(r) for r in self.reports],
            "failed_reports": [asdict(f) for f in self.failed_reports],
            "outputs": [o.to_json() for o in self.outputs],
            "figures": self.figures,
            "provenance": self.provenance,
            "execution": self.execution,
            "history": [dict(h) for h in self.history],
            "targets": self.targets,
            "note": self.note,
            "data_check": self.data_check,
            "missing_reports": list(self.missing_reports),
        }

    def write(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``manifest.json`` into ``directory`` atomically."""
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        return atomic_write(Path(directory) / MANIFEST, text)

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> Manifest:
        """Read ``<directory>/manifest.json``; :class:`ManifestError` says in one line what is wrong."""
        path = Path(directory) / MANIFEST
        if not path.is_file():
            raise ManifestError(
                f"no {MANIFEST} in {directory} (reports not generated or run unfinished)"
            )
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise ManifestError(f"{path} is not readable JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise ManifestError(f"{path} is not a JSON object")
        return cls.from_json(raw, str(path))

    @classmethod
    def from_json(cls, raw: dict[str, Any], where: str = MANIFEST) -> Manifest:
        """Parse a manifest object, tolerating fields older manifests lack."""

        def text(key: str, default: str = "") -> str:
            value = raw.get(key, default)
            return default if value is None else str(value)

        failed = []
        for f in raw.get("failed_reports") or []:
            if isinstance(f, dict):
                cell = f.get("cell")
                failed.append(
                    FailedReport(
                        str(f.get("report")),
                        cell if isinstance(cell, int) and not isinstance(cell, bool) else None,
                        str(f.get("error") or ""),
                    )
                )
            else:
                failed.append(FailedReport(str(f), None, ""))
        outputs = []
        for o in raw.get("outputs") or []:
            if not isinstance(o, dict):
                continue
            outputs.append(
                OutputFile(
                    report=str(o.get("report") or ""),
                    format=str(o.get("format") or ""),
                    path=str(o.get("path") or ""),
                    sha256=str(o.get("sha256") or "").lower(),
                    title=str(o["title"]) if o.get("title") else None,
                )
            )
        reports = tuple(
            {"name": str(r.get("name")), "title": str(r.get("title") or "")}
            for r in raw.get("reports") or []
            if isinstance(r, dict) and r.get("name")
        )
        figures = raw.get("figures")
        provenance = raw.get("provenance")
        execution = raw.get("execution")
        period = None
        if isinstance(raw.get("period"), dict):
            p = raw["period"]
            period = Period(
                str(p.get("month") or text("month")),
                str(p.get("time_zone") or "UTC"),
                str(p.get("from_datetime") or ""),
                str(p.get("to_datetime") or ""),
                str(p.get("label") or ""),
            )
        currency, accent = raw.get("currency"), raw.get("accent")
        targets = raw.get("targets")
        note = raw.get("note")
        check = raw.get("data_check")
        missing = raw.get("missing_reports")
        return cls(
            month=text("month"),
            customer=text("customer"),
            customer_name=text("customer_name") or text("customer"),
            generated_at=text("generated_at"),
            status=text("status"),
            data_source=text("data_source", "portal"),
            period=period,
            locale=text("locale", "en_US") or "en_US",
            currency=currency if isinstance(currency, str) and currency else None,
            accent=accent if isinstance(accent, str) and accent else None,
            reports=reports,
            failed_reports=tuple(failed),
            outputs=tuple(outputs),
            figures=figures if isinstance(figures, dict) else {},
            provenance=provenance if isinstance(provenance, dict) else {},
            execution=execution if isinstance(execution, dict) else {},
            history=tuple(h for h in raw.get("history") or [] if isinstance(h, dict)),
            targets=targets if isinstance(targets, dict) else {},
            note=note if isinstance(note, dict) else None,
            data_check=check if isinstance(check, dict) else {},
            missing_reports=tuple(str(m) for m in missing or () if isinstance(m, str))
            if isinstance(missing, list)
            else (),
        )
