"""Run the report notebooks with papermill and export them: one data fetch per customer-month.

Layout: ``<out>/<month>/<customer or "all">/`` holds ``data.json`` (what was fetched), each
report's executed ``.ipynb``, its ``.html``/``.pdf``, ``chart.png`` and ``manifest.json``.

A batch: every input is checked before anything is fetched (month, reports, formats, customer
ids, the output folder, the templates), each customer-month is locked, fetched (a few at a
time) and handed to an executor (:mod:`.executors`) as soon as its data is in, so fetching
overlaps notebook execution. A customer-month whose inputs are unchanged and whose outputs
still match its manifest is not redone (``force`` redoes it), so an interrupted batch resumes
where it stopped. Only this process writes files, always under a temporary name first.

Besides the Portal's data, ``data.json`` carries the month's history (months that can no
longer change come from ``<out>/.cache/history/``), the customer's targets (``customers.toml``)
and the account manager's rendered note (``notes/<month>/<customer>.md``, checked before
anything is fetched), so the incremental check sees every change to them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from .._io import (
    FolderLock,
    atomic_write,
    check_writable_dir,
    remove_stale_temp_files,
    sha256_file,
)
from .._text import split_list
from ..dates import format_utc, previous_month
from ..errors import AuthError, ConfigError, NotebookExecutionError, PortalError
from ..i18n import _, using
from ..period import check_started
from ..reports.context import MonthContext
from ..reports.registry import Registry, Report
from ..reports.registry import registry as find_registry
from ..resources import source_checkout
from .inputs import (  # inputs_sha256 and session_scope lived here: still importable
    code_inputs,
    combined_sha256,
    inputs_sha256,  # noqa: F401
    report_inputs,
    session_scope,  # noqa: F401
    up_to_date,
    valid_outputs,
)
from .jobs import JobResult, ReportJob
from .manifest import FailedReport, Manifest, OutputFile, Period
from .worker import cell_timeout

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
    import tempfile

    import nbformat
    import papermill

    try:
        nb = nbformat.read(str(report.path), as_version=4)
        if not nb.metadata.get("kernelspec"):  # the runner runs such notebooks with python3
            nb.metadata["kernelspec"] = {"name": "python3", "language": "python"}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / report.path.name
            nbformat.write(nb, str(path))
            return papermill.inspect_notebook(str(path))
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
    worker: str = ""
    skipped: bool = False


@dataclass
class CustomerRun:
    """One customer-month: its directory, manifest and per-report outcomes."""

    month: str
    customer: str | None
    directory: Path
    outcomes: list[ReportOutcome] = field(default_factory=list)
    manifest_path: Path | None = None
    skipped: bool = False  # up to date: nothing was redone
    missing_reports: list[str] = field(default_factory=list)  # others not made for this data
    error: str = ""  # the fetch failed: no reports
    exception: PortalError | None = None

    @property
    def ok(self) -> bool:
        return not self.error and all(o.ok for o in self.outcomes)

    @property
    def seconds(self) -> float:
        return sum(o.seconds for o in self.outcomes)


def check_customer_id(customer: str | None) -> str | None:
    """A customer id that is safe as one folder name under ``<out>/<month>/`` (None: all)."""
    if customer is None:
        return None
    if (
        not isinstance(customer, str)
        or not customer.strip()
        or customer != customer.strip()
        or customer in {".", ".."}
        or customer.startswith(".")
        or any(c in customer for c in "/\\\0")
        or any(ord(c) < 32 or ord(c) == 127 for c in customer)
        or len(customer) > 200
    ):
        raise ConfigError(
            f"bad customer id {customer!r}: it must be usable as one folder name "
            "(no '/', '\\', leading '.', control characters)"
        )
    return customer


def run_directory(out_dir: str | os.PathLike[str], month: str, customer: str | None) -> Path:
    """``<out>/<month>/<customer or all>``."""
    return Path(out_dir) / month / (check_customer_id(customer) or ALL_CUSTOMERS_DIR)


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


def _unknown_to_the_portal(data: Any) -> bool:
    """No attributes and not one session in the month or its history: most likely a
    mistyped customer id, which the spec lets a Portal answer with empty lists."""
    attributes = (data.raw.get("attributes") or {}).get("attributes")
    if attributes or data.sessions_count or data.info.total_sessions:
        return False
    history = data.history.months[:-1] if data.history else ()
    return not any(entry.has_data for entry in history)


def _has_work(directory: Path) -> bool:
    """Whether the customer-month in ``directory`` needs its reports made, knowable before its
    data is fetched: no readable manifest, or one of a run that failed or lacks reports."""
    try:
        manifest = Manifest.load(directory)
    except PortalError:
        return True
    return not manifest.ok or bool(manifest.missing_reports)


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
    execution: dict[str, Any] | None = None,
    missing: tuple[str, ...] = (),
) -> Path:
    """Write ``manifest.json`` for a customer-month, hashing every output file. Its human
    text (report titles, the period's label) is in the customer's language. ``chosen``: the
    reports it lists; ``missing``: the project's other reports, not made for this data."""
    from ..reports.figures import crosscheck, manifest_figures
    from ..reports.targets import manifest_targets
    from ..reports.trend import history_entries

    with using(data.language):
        titles = {r.name: _(r.title) for r in chosen}
        label = data.period.heading()
    rank = {r.name: i for i, r in enumerate(chosen)}  # reports in order, chart and logo last
    entries = [o for oc in run.outcomes for o in oc.outputs] + extra_outputs
    entries.sort(key=lambda entry: rank.get(entry["report"], len(rank)))
    outputs = []
    for entry in entries:
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
        execution=execution or {},
        history=tuple(history_entries(data)),
        targets=manifest_targets(data),
        note=data.note,
        data_check={"status": (check := crosscheck(data)).status, "message": check.message},
        missing_reports=missing,
    )
    return manifest.write(run.directory)


ProgressFn = Callable[[str], None]


@dataclass
class _Pending:
    """A customer-month between fetch and manifest."""

    run: CustomerRun
    lock: FolderLock
    data: Any = None
    provenance: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)  # report -> its inputs sha256
    kept: list[Report] = field(default_factory=list)  # other reports, still valid
    kept_manifest: Manifest | None = None  # the earlier run they come from
    order: dict[str, int] = field(default_factory=dict)  # the registry's order of reports
    waiting: int = 0
    key_chart: bytes | None = None  # chart.png as a worker drew it


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
    executor: str = "local",
    scheduler: str | None = None,
    force: bool = False,
    fetch_concurrency: int = 4,
    on_report: Callable[[ReportOutcome], None] | None = None,
    config: Any = None,
) -> list[CustomerRun]:
    """Produce every requested report for every customer of ``month``.

    Never raises for a failing notebook or a customer whose fetch fails (see each
    :class:`CustomerRun`); raises :class:`PortalError` for bad input, before anything is
    fetched (and, but for a template that does not compile, before any kernel starts). Each
    customer gets its own local month, language and brand from ``config`` (default: the
    project's ``customers.toml``).
    """
    from ..customers import CustomersConfig
    from ..data.history import HistoryCache
    from ..project import current_project
    from .executors import make_executor

    month = check_started(month) if month else previous_month()  # a future month: no data
    registry = registry or find_registry(nb_dir)
    chosen = registry.choose(reports)
    chosen_formats = validate_formats(formats)
    customer_list: list[str | None] = list(dict.fromkeys(customers)) if customers else [None]
    for customer in customer_list:
        check_customer_id(customer)
    if fetch_concurrency < 1:
        raise ConfigError(f"fetch concurrency must be at least 1, got {fetch_concurrency}")
    check_writable_dir(out_dir, "output folder (--out)")
    current_project().check_report_template()  # compiled once the workers are starting
    cell_timeout()  # a bad PORTAL_REPORTS_CELL_TIMEOUT: one line now, not in every job
    config = config if config is not None else CustomersConfig.load()
    settings = {customer: config.settings_for(customer) for customer in customer_list}
    history_cache = HistoryCache.for_output(out_dir)
    context = MonthContext.load(month, customer_list, history_cache)
    pool = make_executor(executor, workers=workers, scheduler=scheduler)
    say = progress or (lambda _msg: None)
    notify = on_report or (lambda _outcome: None)

    if pool.name != "local":  # a cluster takes a while to reach: compile the template first
        _compile_template()
    pending: dict[str | None, _Pending] = {}
    created = _missing_folders(run_directory(out_dir, month, None).parent)
    try:
        for customer in customer_list:  # all locks first: a second run refuses before starting
            directory = run_directory(out_dir, month, customer)
            lock = FolderLock(directory, f"portal-reports run {month}").acquire()
            pending[customer] = _Pending(CustomerRun(month, customer, directory), lock)
            remove_stale_temp_files(directory)
            history_cache.sweep(customer)  # its temp files too, left by a killed run
        with pool:
            if force or any(_has_work(item.run.directory) for item in pending.values()):
                # some customer-month has work for certain: the workers and their kernels
                # warm up while the template is compiled and the data comes
                pool.start()
            if pool.name == "local":
                _compile_template()  # a broken one stops the run here, the workers with it
            _batch(
                pending, month, chosen, chosen_formats, registry, pool, client, force,
                fetch_concurrency, say, notify, settings, context,
            )  # fmt: skip
    finally:
        for item in pending.values():
            item.lock.release()
            with contextlib.suppress(OSError):  # a customer-month that got nothing (its fetch
                item.run.directory.rmdir()  # failed) leaves no empty folder behind
        for folder in created:  # nor a month or output folder this run made for nothing
            with contextlib.suppress(OSError):
                folder.rmdir()
    return [item.run for item in pending.values()]


def _compile_template() -> None:
    """Compile the report template (importing nbconvert): a one-line error if it is broken."""
    from .export import check_templates

    check_templates()


def _missing_folders(path: Path) -> list[Path]:
    """``path`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def _batch(
    pending: dict[str | None, _Pending],
    month: str,
    chosen: Sequence[Report],
    formats: Sequence[str],
    registry: Registry,
    pool: Any,
    client: Any,
    force: bool,
    fetch_concurrency: int,
    say: ProgressFn,
    notify: Callable[[ReportOutcome], None],
    settings: dict[str | None, Any],
    context: MonthContext | None = None,
) -> None:
    """Fetch customer-months concurrently and submit their jobs as each fetch completes."""
    from concurrent.futures import ThreadPoolExecutor, wait

    from ..data.month import DATA_FILE
    from ..portal.client import PortalClient

    notebooks = {r.name: r.path.read_text(encoding="utf-8") for r in chosen}
    others = [r for r in registry.values() if r.name not in notebooks]
    # the same for every customer-month of the batch; the reports not run too, to keep theirs
    code = code_inputs([*chosen, *others], formats)
    futures: dict[Any, _Pending] = {}
    own_client = client is None
    client = client or PortalClient(progress=False)

    def fetch(item: _Pending) -> _Pending:
        from ..data.month import fetch_month

        customer = item.run.customer
        say(f"{month} {customer or ALL_CUSTOMERS_DIR}: fetching data")
        cache = context.history_cache if context else None
        data = fetch_month(
            month, customer, client=client, settings=settings[customer], history_cache=cache
        )
        if not data.period.is_over():
            say(
                f"{month} {customer or ALL_CUSTOMERS_DIR}: note: the month is not over in "
                f"{data.period.time_zone} (it ends {format_utc(data.period.end_utc)}); "
                "the reports show it so far"
            )
        if customer is not None and _unknown_to_the_portal(data):
            say(
                f"{month} {customer}: note: the Portal has no attributes and no sessions for "
                f"this customer id in {len(data.history.months) if data.history else 1} "
                "months; check the id (a Portal may answer an unknown id with nothing)"
            )
        item.data = context.apply(customer, data) if context else data
        return item

    def submit(item: _Pending) -> None:
        run, data = item.run, item.data
        customer = run.customer
        item.inputs = report_inputs(data, chosen, formats, code)
        item.provenance = _provenance(
            data,
            registry.folder,
            {"month": month, "customer_id": customer, "reports": [r.name for r in chosen],
             "formats": list(formats)},
        )  # fmt: skip
        if not force and up_to_date(run.directory, item.inputs) is not None:
            run.skipped = True
            run.manifest_path = run.directory / "manifest.json"
            say(f"{month} {customer or ALL_CUSTOMERS_DIR}: up to date, skipped")
            for report in chosen:
                outcome = ReportOutcome(customer, report.name, True, 0.0, skipped=True)
                run.outcomes.append(outcome)
                notify(outcome)
            return
        item.order = {name: i for i, name in enumerate(registry.names)}
        if others:
            _keep_others(item, others, report_inputs(data, others, formats, code))
            if item.run.missing_reports:
                say(
                    f"{month} {customer or ALL_CUSTOMERS_DIR}: note: "
                    f"{', '.join(item.run.missing_reports)} not made from this data (email holds the "
                    "month back until they are: run without --report)"
                )
        data_files = data.files()
        data.save(run.directory / DATA_FILE, data_files)
        generated = format_utc(datetime.now(UTC))
        brand = _brand_metadata(data)
        for report in chosen:
            job = ReportJob(
                month=month,
                customer=customer,
                report=report.name,
                notebook=notebooks[report.name],
                data=data_files,
                data_name=DATA_FILE,
                formats=tuple(formats),
                metadata={
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
                    "provenance": item.provenance,
                    "note_html": (data.note or {}).get("html"),
                },
                parameters={"month": month, "customer_id": customer},
                key_chart=report is chosen[0],  # one job of the month draws it, on a worker
            )
            futures[pool.submit(job)] = item
            item.waiting += 1

    try:
        with ThreadPoolExecutor(max_workers=fetch_concurrency) as fetchers:
            fetching = {fetchers.submit(fetch, item): item for item in pending.values()}
            while fetching:
                done, _ = wait(fetching, timeout=0.2)
                for future in done:
                    item = fetching.pop(future)
                    try:
                        future.result()
                    except AuthError:
                        raise  # a wrong secret fails every customer alike: stop the batch
                    except PortalError as exc:
                        item.run.error, item.run.exception = str(exc), exc
                        say(f"{month} {item.run.customer or ALL_CUSTOMERS_DIR}: FAILED ({exc})")
                        continue
                    submit(item)
                    if not item.waiting and not item.run.skipped:
                        _finish(item, chosen, pool.name)
    finally:
        if own_client:
            client.close()
    for future in pool.as_completed(list(futures)):
        item = futures[future]
        outcome = _collect(future, item, formats, chosen[0].name)
        item.run.outcomes.append(outcome)
        notify(outcome)
        label = f"{item.run.customer or ALL_CUSTOMERS_DIR}/{outcome.report}"
        if outcome.ok:
            say(f"{label}: done in {outcome.seconds:.1f}s ({', '.join(formats)})")
        else:
            say(f"{label}: FAILED — {outcome.message}")
        item.waiting -= 1
        if item.waiting == 0:
            _finish(item, chosen, pool.name)


def _keep_others(item: _Pending, others: Sequence[Report], inputs: dict[str, str]) -> None:
    """A run of some reports (``--report``) and the project's other reports in its folder.

    One an earlier run made from the same inputs (the month's content as it shows it, its
    notebook, templates, version, formats), its files still matching, stays in the manifest.
    One made before from other inputs (listed by the earlier manifest, or its HTML/PDF in
    the folder) is stale: its HTML/PDF are removed and the manifest names it in
    ``missing_reports``, so ``email`` and ``approve`` refuse the month until it is made
    again, rather than send a subset or a report of other data. One never made there is
    simply not part of this month's run (a subset on purpose, e.g. a first ``--report
    leads``)."""
    run = item.run
    try:
        earlier: Manifest | None = Manifest.load(run.directory)
    except PortalError:
        earlier = None
    for report in others:
        if earlier is not None and valid_outputs(
            run.directory, earlier, report.name, inputs[report.name]
        ):
            item.kept.append(report)
            continue
        files = [run.directory / f"{report.name}.{fmt}" for fmt in FORMATS]
        listed = earlier is not None and (
            report.name in earlier.missing_reports  # still missing
            or any(r.get("name") == report.name for r in earlier.reports)
            or any(o.report == report.name for o in earlier.outputs)
        )
        if listed or any(path.exists() for path in files):
            run.missing_reports.append(report.name)
            for path in files:
                path.unlink(missing_ok=True)
    item.kept_manifest = earlier if item.kept else None


def _collect(
    future: Any, item: _Pending, formats: Sequence[str], chart_report: str
) -> ReportOutcome:
    """Write one job's files (atomically) and describe what happened; the key chart is kept
    from ``chart_report``'s job, the one asked to draw it."""
    run = item.run
    try:
        result: JobResult = future.result()
    except Exception as exc:  # a worker crash or an export failure: the others go on
        text = " ".join(str(exc).split())
        message = text if isinstance(exc, PortalError) else f"{type(exc).__name__}: {text}"
        return ReportOutcome(run.customer, _report_of(future, item), False, 0.0, message=message)
    atomic_write(run.directory / f"{result.report}.ipynb", result.notebook)
    if result.report == chart_report and result.key_chart is not None:
        item.key_chart = result.key_chart
    if result.failure:
        for fmt in FORMATS:  # no stale HTML/PDF from an earlier run may pass for this one
            (run.directory / f"{result.report}.{fmt}").unlink(missing_ok=True)
        failure = result.failure
        error = NotebookExecutionError(
            result.report,
            failure["cell"],
            failure["ename"],
            failure["evalue"],
            str(run.directory / f"{result.report}.ipynb"),
        )
        return ReportOutcome(
            run.customer, result.report, False, result.seconds, error=error,
            message=str(error), worker=result.worker,
        )  # fmt: skip
    outputs = []
    for fmt in formats:
        path = atomic_write(run.directory / f"{result.report}.{fmt}", result.files[fmt])
        outputs.append({"report": result.report, "format": fmt, "path": path.name})
    return ReportOutcome(
        run.customer, result.report, True, result.seconds, outputs=outputs, worker=result.worker
    )


def _report_of(future: Any, item: _Pending) -> str:
    key = str(getattr(future, "key", "") or "")
    return key.rsplit("-", 1)[-1] if key else "?"


def _finish(item: _Pending, chosen: Sequence[Report], executor: str) -> None:
    """Chart and manifest once every report of a customer-month is done."""
    run = item.run
    rank = {r.name: i for i, r in enumerate(chosen)}
    run.outcomes.sort(key=lambda o: rank.get(o.report, len(rank)))
    if item.key_chart is None:  # its job failed, or was not run here: draw it (matplotlib)
        from ..reports.charts import key_chart_bytes

        item.key_chart = key_chart_bytes(item.data)
    chart = atomic_write(run.directory / "chart.png", item.key_chart)
    item.key_chart = None
    extra = [{"report": "chart", "format": "png", "path": chart.name}]
    extra += _write_logo(item.data, run.directory)
    reports = {
        o.report: {
            "worker": o.worker,
            "seconds": round(o.seconds, 2),
            "inputs_sha256": item.inputs.get(o.report, ""),
        }
        for o in run.outcomes
    }
    earlier = item.kept_manifest
    for report in item.kept:  # an earlier run's, still valid for this data
        assert earlier is not None
        reports[report.name] = {**earlier.execution["reports"][report.name], "kept": True}
        extra += [
            {"report": o.report, "format": o.format, "path": o.path}
            for o in earlier.outputs
            if o.report == report.name
        ]
    listed = sorted([*chosen, *item.kept], key=lambda r: item.order.get(r.name, len(item.order)))
    execution = {
        "executor": executor,
        "inputs_sha256": combined_sha256(
            {r.name: reports.get(r.name, {}).get("inputs_sha256", "") for r in listed}
        ),
        "reports": {r.name: reports[r.name] for r in listed if r.name in reports},
    }
    run.manifest_path = write_manifest(
        run, item.data, item.provenance, extra, listed, execution, tuple(run.missing_reports)
    )
