"""Run the report notebooks with papermill and export them: one data fetch per customer-month.

Layout: ``<out>/<month>/<customer or "all">/`` holds ``data.json`` (what was fetched), each
report's executed ``.ipynb``, its ``.html``/``.pdf``, ``chart.png`` and ``manifest.json``.
Notebooks of all customers run in parallel worker processes (one per core by default).
"""

from __future__ import annotations

import functools
import os
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from .._io import atomic_path, atomic_write, sha256_file
from .._text import split_list
from ..dates import format_utc, parse_month, previous_month
from ..errors import ConfigError, NotebookExecutionError, PortalError
from ..i18n import _, using
from ..reports.registry import Registry, Report
from ..reports.registry import registry as find_registry
from ..resources import source_checkout
from .manifest import FailedReport, Manifest, OutputFile, Period

FORMATS: tuple[str, ...] = ("html", "pdf")
ALL_CUSTOMERS_DIR = "all"


def validate_formats(values: str | Iterable[str] | None) -> list[str]:
    """Parse a comma list of export formats (all when empty), in the given order."""
    chosen = split_list(values)
    if not chosen:
        return list(FORMATS)
    unknown = [v for v in chosen if v not in FORMATS]
    if unknown:
        raise ConfigError(
            f"unknown format {', '.join(map(repr, unknown))}: accepted are {', '.join(FORMATS)}"
        )
    return list(dict.fromkeys(chosen))


def notebook_parameters(report: Report) -> dict[str, dict[str, Any]]:
    """The ``parameters`` cell of a report notebook: name -> {type, default, help}."""
    import papermill

    try:
        return papermill.inspect_notebook(str(report.path))
    except Exception as exc:  # papermill raises plain exceptions for unreadable notebooks
        detail = " ".join(str(exc).split())
        raise ConfigError(f"cannot read the parameters of {report.path}: {detail}") from None


@dataclass
class ReportOutcome:
    """What happened to one report of one customer-month."""

    customer: str | None
    report: str
    ok: bool
    seconds: float
    outputs: list[dict[str, str]] = field(default_factory=list)
    error: NotebookExecutionError | None = None
    message: str = ""


@dataclass
class CustomerRun:
    """One customer-month: its directory, manifest and per-report outcomes."""

    month: str
    customer: str | None
    directory: Path
    outcomes: list[ReportOutcome] = field(default_factory=list)
    manifest_path: Path | None = None

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)


def run_directory(out_dir: str | os.PathLike[str], month: str, customer: str | None) -> Path:
    """``<out>/<month>/<customer or all>``."""
    return Path(out_dir) / month / (customer or ALL_CUSTOMERS_DIR)


@functools.cache
def git_commit() -> str | None:
    """The commit of the code that ran, when it runs from a git checkout (asked once)."""
    try:
        checkout = source_checkout()
        if checkout is None:
            return None
        out = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _worker_init() -> None:
    """Worker set-up: kernels need no credentials (data comes from data.json) and their
    stderr chatter (e.g. IPKernelApp warnings) must not reach the user's terminal."""
    for name in ("PORTAL_SECRET", "SMTP_PASSWORD"):
        os.environ.pop(name, None)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _execute_report(job: dict[str, Any]) -> dict[str, Any]:
    """Worker: execute one notebook with papermill, then export it. Returns a plain dict."""
    import logging
    import warnings

    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from ..publish.export import export_formats

    logging.getLogger("papermill").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    started = time.perf_counter()
    run_dir = Path(job["run_dir"])
    final_nb = run_dir / f"{job['report']}.ipynb"
    result: dict[str, Any] = {"report": job["report"], "customer": job["customer"], "outputs": []}
    with atomic_path(final_nb) as tmp_nb:
        try:
            papermill.execute_notebook(
                job["input"],
                str(tmp_nb),
                parameters=job["parameters"],
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                cwd=str(run_dir),
            )
            failure = None
        except PapermillExecutionError as exc:
            failure = {
                "cell": exc.exec_count,
                "cell_index": exc.cell_index,
                "ename": exc.ename,
                "evalue": str(exc.evalue).splitlines()[0] if exc.evalue else "",
            }
        nb = nbformat.read(str(tmp_nb), as_version=4)
        nb.metadata["portal_reports"] = job["metadata"]
        nbformat.write(nb, str(tmp_nb))
    result["notebook"] = final_nb.name
    if failure is not None:  # no stale HTML/PDF from an earlier run may pass for this one
        for fmt in FORMATS:
            (run_dir / f"{job['report']}.{fmt}").unlink(missing_ok=True)
    else:
        written = export_formats(nb, job["formats"], run_dir, job["report"])
        for fmt, path in written.items():
            result["outputs"].append(
                {"report": job["report"], "format": fmt, "path": Path(path).name}
            )
    result["failure"] = failure
    result["seconds"] = time.perf_counter() - started
    return result


def _provenance(data: Any, notebooks: Path, parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "package_version": __version__,
        "git_commit": git_commit(),
        "notebooks": str(notebooks.resolve()),
        "data_source": data.data_source,
        "parameters": parameters,
        "portal_base_url": data.base_url,
        "fetched_at": format_utc(data.fetched_at),
        "data_sha256": data.sha256,
        "time_zone": data.period.time_zone,
        "time_zone_source": data.settings.time_zone_source,
        "from_datetime": format_utc(data.period.start_utc),
        "to_datetime": format_utc(data.period.end_utc),
    }


def _brand_metadata(data: Any) -> dict[str, str]:
    """The brand as the export template wants it: accent and the logo as a ``data:`` URI."""
    brand = data.settings.brand
    out = {}
    if brand.accent:
        out["accent"] = brand.accent
    if brand.logo is not None:
        out["logo"] = brand.logo.data_uri()
    return out


def _write_logo(data: Any, run_dir: Path) -> list[dict[str, str]]:
    """Copy the brand's logo into the run directory (the email shows it from there)."""
    logo = data.settings.brand.logo
    if logo is None:
        return []
    path = atomic_write(run_dir / f"logo{logo.extension}", logo.data)
    return [{"report": "logo", "format": logo.extension[1:], "path": path.name}]


def write_manifest(
    run: CustomerRun,
    data: Any,
    provenance: dict[str, Any],
    extra_outputs: list[dict[str, str]],
    chosen: Sequence[Report] = (),
) -> Path:
    """Write ``manifest.json`` for a customer-month, hashing every output file. Its human
    text (report titles, the period's label) is in the customer's language."""
    from ..reports.figures import manifest_figures

    with using(data.language):
        titles = {r.name: _(r.title) for r in chosen}
        label = data.period.heading()
    outputs = []
    for entry in [o for oc in run.outcomes for o in oc.outputs] + extra_outputs:
        outputs.append(
            OutputFile(
                report=entry["report"],
                format=entry["format"],
                path=entry["path"],
                sha256=sha256_file(run.directory / entry["path"]),
                title=titles.get(entry["report"]),
            )
        )
    failed = tuple(
        FailedReport(o.report, o.error.cell if o.error else None, o.message)
        for o in run.outcomes
        if not o.ok
    )
    manifest = Manifest(
        month=run.month,
        customer=run.customer or ALL_CUSTOMERS_DIR,
        customer_name=data.customer_name,
        generated_at=format_utc(datetime.now(UTC)),
        status="failed" if failed else "ok",
        data_source=data.data_source,
        period=Period.of(data.period, label),
        locale=data.settings.locale,
        currency=data.settings.currency,
        accent=data.settings.brand.accent,
        reports=tuple({"name": r.name, "title": titles[r.name]} for r in chosen),
        failed_reports=failed,
        outputs=tuple(outputs),
        figures=manifest_figures(data),
        provenance=provenance,
    )
    return manifest.write(run.directory)


ProgressFn = Callable[[str], None]


def run_reports(
    month: str | None = None,
    customers: Sequence[str | None] | None = None,
    reports: str | Iterable[str] | None = None,
    formats: str | Iterable[str] | None = None,
    out_dir: str | os.PathLike[str] = "reports",
    *,
    client: Any = None,
    workers: int | None = None,
    nb_dir: str | os.PathLike[str] | None = None,
    progress: ProgressFn | None = None,
    registry: Registry | None = None,
    config: Any = None,
) -> list[CustomerRun]:
    """Produce every requested report for every customer of ``month`` (each customer's own
    local month, language and brand, from ``config``: default the project's
    ``customers.toml``); never raises for a failing notebook (see each :class:`CustomerRun`),
    raises :class:`PortalError` for bad input or settings (before anything is fetched) or a
    failed fetch (before any kernel starts)."""
    from ..customers import CustomersConfig
    from ..data.month import fetch_month
    from ..portal.client import PortalClient
    from ..reports.charts import key_chart_png
    from .export import check_templates

    month = parse_month(month) if month else previous_month()
    registry = registry or find_registry(nb_dir)
    chosen = registry.choose(reports)
    chosen_reports = [r.name for r in chosen]
    chosen_formats = validate_formats(formats)
    check_templates()
    config = config if config is not None else CustomersConfig.load()
    customer_list: list[str | None] = list(customers) if customers else [None]
    say = progress or (lambda _msg: None)

    own_client = client is None
    client = client or PortalClient(progress=False)
    runs: list[CustomerRun] = []
    jobs: list[dict[str, Any]] = []
    prepared: dict[int, tuple[Any, dict[str, Any]]] = {}
    try:
        for customer in customer_list:
            run_dir = run_directory(out_dir, month, customer)
            say(f"{month} {customer or ALL_CUSTOMERS_DIR}: fetching data")
            settings = config.settings_for(customer)
            data = fetch_month(month, customer, client=client, settings=settings)
            if not data.period.is_over():
                say(
                    f"{month} {customer or ALL_CUSTOMERS_DIR}: note: the month is not over in "
                    f"{data.period.time_zone} (it ends {format_utc(data.period.end_utc)}); "
                    "the reports show it so far"
                )
            run_dir.mkdir(parents=True, exist_ok=True)
            data_path = run_dir / "data.json"
            data.save(data_path)
            parameters = {
                "month": month,
                "customer_id": customer,
                "data_path": str(data_path.resolve()),
            }
            provenance = _provenance(
                data,
                registry.folder,
                {
                    "month": month,
                    "customer_id": customer,
                    "reports": chosen_reports,
                    "formats": chosen_formats,
                },
            )
            run = CustomerRun(month, customer, run_dir)
            runs.append(run)
            prepared[len(runs) - 1] = (data, provenance)
            generated = format_utc(datetime.now(UTC))
            brand = _brand_metadata(data)
            for report in chosen:
                jobs.append(
                    {
                        "run_index": len(runs) - 1,
                        "customer": customer,
                        "report": report.name,
                        "input": str(report.path),
                        "run_dir": str(run_dir),
                        "formats": chosen_formats,
                        "parameters": parameters,
                        "metadata": {
                            "title": report.title,
                            "report": report.name,
                            "customer_id": customer,
                            "customer_name": data.customer_name,
                            "month": month,
                            "time_zone": data.period.time_zone,
                            "period": data.period.to_json(),
                            "locale": data.settings.locale,
                            "currency": data.settings.currency,
                            "brand": brand,
                            "data_source": data.data_source,
                            "generated_at": generated,
                            "provenance": provenance,
                        },
                    }
                )
    finally:
        if own_client:
            client.close()

    _run_jobs(jobs, runs, workers, say, chosen_reports)

    for index, run in enumerate(runs):
        data, provenance = prepared[index]
        extra: list[dict[str, str]] = []
        chart = run.directory / "chart.png"
        with atomic_path(chart) as tmp:
            key_chart_png(data, tmp)
        extra.append({"report": "chart", "format": "png", "path": chart.name})
        extra += _write_logo(data, run.directory)
        run.manifest_path = write_manifest(run, data, provenance, extra, chosen)
    return runs


def _run_jobs(
    jobs: list[dict[str, Any]],
    runs: list[CustomerRun],
    workers: int | None,
    say: ProgressFn,
    order: Sequence[str],
) -> None:
    import multiprocessing

    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
        futures = {pool.submit(_execute_report, job): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            run = runs[job["run_index"]]
            label = f"{job['customer'] or ALL_CUSTOMERS_DIR}/{job['report']}"
            try:
                result = future.result()
            except PortalError as exc:
                outcome = ReportOutcome(
                    job["customer"], job["report"], False, 0.0, message=str(exc)
                )
                say(f"{label}: FAILED ({exc})")
            except Exception as exc:  # export or worker crash: keep the other reports going
                outcome = ReportOutcome(
                    job["customer"],
                    job["report"],
                    False,
                    0.0,
                    message=f"{type(exc).__name__}: {exc}",
                )
                say(f"{label}: FAILED ({outcome.message})")
            else:
                failure = result["failure"]
                if failure:
                    error = NotebookExecutionError(
                        job["report"],
                        failure["cell"],
                        failure["ename"],
                        failure["evalue"],
                        str(Path(job["run_dir"]) / result["notebook"]),
                    )
                    outcome = ReportOutcome(
                        job["customer"],
                        job["report"],
                        False,
                        result["seconds"],
                        error=error,
                        message=str(error),
                    )
                    say(f"{label}: FAILED — {error}")
                else:
                    outcome = ReportOutcome(
                        job["customer"],
                        job["report"],
                        True,
                        result["seconds"],
                        outputs=result["outputs"],
                    )
                    formats = ", ".join(o["format"] for o in result["outputs"])
                    say(f"{label}: done in {result['seconds']:.1f}s ({formats})")
            run.outcomes.append(outcome)
    for run in runs:
        rank = {r: i for i, r in enumerate(order)}
        run.outcomes.sort(key=lambda o: rank.get(o.report, len(rank)))
