"""A run directory checked against its manifest before anything is emailed from it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._io import sha256_file
from ..errors import ConfigError, MailError, ManifestError
from ..i18n import DEFAULT_LOCALE, Language, language_for, parse_currency, parse_locale
from ..period import ReportMonth
from ..publish.manifest import Manifest, OutputFile

# --- run directories -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFile:
    """One verified output file of a run (path checked against the manifest sha256)."""

    report: str
    path: Path
    sha256: str
    title: str = ""


@dataclass(frozen=True)
class ReportRun:
    """A verified run directory ``reports/<month>/<customer>/``, ready to be emailed."""

    run_dir: Path
    manifest: Manifest
    pdfs: tuple[ReportFile, ...]
    chart: ReportFile | None = None
    logo: ReportFile | None = None

    @property
    def month(self) -> str:
        return self.manifest.month

    @property
    def customer(self) -> str:
        return self.manifest.customer or self.run_dir.name

    @property
    def customer_name(self) -> str:
        return self.manifest.customer_name or self.customer

    @property
    def generated_at(self) -> str | None:
        return self.manifest.generated_at or None

    @property
    def figures(self) -> dict[str, Any]:
        return self.manifest.figures

    @property
    def data_source(self) -> str:
        return self.manifest.data_source

    @property
    def period(self) -> ReportMonth:
        """The customer's month the reports cover (UTC for manifests that do not say)."""
        if self.manifest.period is not None:
            return self.manifest.period.report_month()
        return ReportMonth.parse(self.month)

    @property
    def language(self) -> Language:
        """The language the reports were made in (manifest locale and currency)."""
        try:
            locale = parse_locale(self.manifest.locale)
            currency = parse_currency(self.manifest.currency) if self.manifest.currency else None
        except ConfigError:
            return language_for(DEFAULT_LOCALE)
        return language_for(locale, currency)

    @property
    def pdf_hashes(self) -> dict[str, str]:
        """``{file name: sha256}`` of the PDFs: the identity of what a customer receives."""
        return {f.path.name: f.sha256 for f in self.pdfs}


def _verified(run_dir: Path, entry: OutputFile, manifest: Manifest) -> ReportFile:
    rel = entry.path
    path = (run_dir / rel).resolve()
    if not rel or Path(rel).is_absolute() or run_dir.resolve() not in path.parents:
        raise MailError(f"manifest output path {rel!r} is not inside the run directory")
    if not path.is_file():
        raise MailError(f"{rel} is listed in the manifest but missing")
    if sha256_file(path) != entry.sha256:
        raise MailError(f"{rel} does not match the manifest sha256 (changed after the run?)")
    report = entry.report or path.stem
    return ReportFile(report, path, entry.sha256, manifest.title_of(report))


def load_run(
    run_dir: str | os.PathLike[str], *, month: str | None = None, customer: str | None = None
) -> ReportRun:
    """Read and verify a run directory; :class:`MailError` says in one line why it can't be sent."""
    run_dir = Path(run_dir)
    try:
        manifest = Manifest.load(run_dir)
    except ManifestError as exc:
        raise MailError(str(exc)) from None
    if month is not None and manifest.month != month:
        raise MailError(f"manifest is for month {manifest.month!r}, not {month!r}")
    if customer is not None and manifest.customer != customer:
        raise MailError(f"manifest is for customer {manifest.customer!r}, not {customer!r}")
    if manifest.failed_reports:
        names = ", ".join(f"{f.report} (cell {f.cell}: {f.error})" for f in manifest.failed_reports)
        raise MailError(f"report(s) failed: {names}")
    if manifest.status != "ok":
        raise MailError(f"manifest status is {manifest.status!r}, not 'ok'")
    if manifest.missing_reports:  # the last run made only some reports (--report)
        who = "" if manifest.customer == "all" else f" --customer {manifest.customer}"
        raise MailError(
            f"report(s) {', '.join(manifest.missing_reports)} not made for this month's data "
            f"(the last run made only some reports): portal-reports run --month "
            f"{manifest.month}{who} makes them"
        )
    pdfs = tuple(_verified(run_dir, o, manifest) for o in manifest.outputs if o.format == "pdf")
    if not pdfs:
        raise MailError("the manifest lists no PDF report")
    charts = [o for o in manifest.outputs if o.format == "png" and o.report == "chart"]
    chart = _verified(run_dir, charts[0], manifest) if charts else None
    logos = [o for o in manifest.outputs if o.report == "logo" and o.format in ("png", "svg")]
    logo = _verified(run_dir, logos[0], manifest) if logos else None
    return ReportRun(run_dir=run_dir, manifest=manifest, pdfs=pdfs, chart=chart, logo=logo)
