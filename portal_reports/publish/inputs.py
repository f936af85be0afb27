"""What a customer-month's reports depend on, and whether they are up to date.

Per report, one sha256 over the month's content as that report can show it (not when or from
which address it was fetched), its notebook, the templates, the package version and the
formats; the manifest records each one. A customer-month whose hashes and output files still
match its manifest is skipped by the runner (:mod:`.runner`); a run of some reports keeps the
others' files when they are still valid.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from .._io import sha256_file
from ..errors import PortalError
from ..reports.registry import Report
from .manifest import Manifest, OutputFile


def _file_digest(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


#: A notebook whose code reads the sessions itself (not only through the package's figures
#: and charts): ``data.sessions``, ``data.session_columns(...)``, ``data.sessions_data`` or
#: the Parquet file.
_READS_SESSIONS = re.compile(
    r"\.(?:sessions|sessions_data|session_columns)\b|sessions\.parquet|read_parquet"
)


def session_scope(notebook: str) -> tuple[str, ...] | None:
    """The session columns a report notebook can show, for the skip hash: the columns the
    package's figures and charts read (:data:`~portal_reports.reports.figures.
    SESSION_COLUMNS_USED`), or None (every column) when the notebook's code reads the
    sessions itself.

    The decision: a customer-month is redone when something a report shows may have
    changed, not when the Portal touches fields no report reads (it keeps moving
    ``latest_message_datetime``/``latest_event_datetime`` of last month's open sessions,
    which redid those customer-months on every run and cancelled their approvals). A
    project's own notebook may read any column, so one whose code touches the sessions
    directly (``data.sessions``, ``session_columns(...)``, ``sessions_data``, the Parquet
    file) is hashed with all of them, as before: it is redone whenever any session field
    changes. What this cannot see is sessions read in a module the notebook imports; such a
    report is redone with ``--force``.
    """
    from ..reports.figures import SESSION_COLUMNS_USED

    try:
        cells = json.loads(notebook).get("cells") or []
        code = "\n".join(
            "".join(c.get("source") or "") if isinstance(c.get("source"), list) else
            str(c.get("source") or "")
            for c in cells
            if isinstance(c, dict) and c.get("cell_type") == "code"
        )  # fmt: skip
    except (ValueError, AttributeError):
        return None
    return None if _READS_SESSIONS.search(code) else tuple(SESSION_COLUMNS_USED)


def code_inputs(chosen: Sequence[Report], formats: Sequence[str]) -> dict[str, Any]:
    """What every customer-month of a batch shares in its inputs: each report's notebook and
    the session columns it can show (:func:`session_scope`), the templates, the package
    version and the formats (read once per batch)."""
    from ..project import current_project

    templates = [
        path
        for base in current_project().template_dirs
        for path in (base / "portal").rglob("*")
        if path.is_file()
    ]
    texts = {r.name: r.path.read_text(encoding="utf-8") for r in chosen}
    return {
        "notebooks": {r.name: _file_digest([r.path]) for r in chosen},
        "session_columns": {name: session_scope(text) for name, text in texts.items()},
        "templates": _file_digest(templates),
        "version": __version__,
        "formats": list(formats),
    }


def report_inputs(
    data: Any,
    chosen: Sequence[Report],
    formats: Sequence[str],
    code: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Per report, the sha256 of what its outputs depend on: the month's content as that
    report can show it (:meth:`~portal_reports.data.month.MonthData.content_sha256` over
    its :func:`session_scope`; not when or from which address it was fetched), its
    notebook, the templates, the package version and the formats (``code``:
    :func:`code_inputs`, computed here when not given). The manifest records each one, so
    a run of some reports can keep the others' files when they are still valid."""
    code = code or code_inputs(chosen, formats)
    contents: dict[tuple[str, ...] | None, str] = {}
    out = {}
    for report in chosen:
        scope = code["session_columns"][report.name]
        if scope not in contents:
            contents[scope] = data.content_sha256(scope)
        parts = {
            "data": contents[scope],
            "report": report.name,
            "notebook": code["notebooks"][report.name],
            "templates": code["templates"],
            "version": code["version"],
            "formats": code["formats"],
        }
        out[report.name] = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return out


def inputs_sha256(
    data: Any,
    chosen: Sequence[Report],
    formats: Sequence[str],
    code: dict[str, Any] | None = None,
) -> str:
    """What a customer-month's outputs depend on: the :func:`report_inputs` of its reports,
    in order (the manifest's ``execution.inputs_sha256``)."""
    return combined_sha256(report_inputs(data, chosen, formats, code))


def combined_sha256(per_report: dict[str, str]) -> str:
    """One sha256 of the per-report hashes, in order (``execution.inputs_sha256``)."""
    return hashlib.sha256(json.dumps(list(per_report.items())).encode()).hexdigest()


def valid_outputs(directory: Path, manifest: Manifest, report: str, inputs: str) -> bool:
    """Whether ``manifest`` has ``report`` made from ``inputs``, its files still matching."""
    entry = (manifest.execution.get("reports") or {}).get(report)
    if not isinstance(entry, dict) or entry.get("inputs_sha256") != inputs:
        return False
    if any(f.report == report for f in manifest.failed_reports):
        return False
    outputs = [o for o in manifest.outputs if o.report == report]
    return bool(outputs) and all(_matches(directory, o) for o in outputs)


def _matches(directory: Path, output: OutputFile) -> bool:
    path = directory / output.path
    return path.is_file() and sha256_file(path) == output.sha256


def up_to_date(directory: Path, inputs: dict[str, str]) -> Manifest | None:
    """The run's manifest when every report of ``inputs`` (:func:`report_inputs`) was made
    from those inputs and every output still matches it."""
    try:
        manifest = Manifest.load(directory)
    except PortalError:
        return None
    if not manifest.ok:
        return None
    if not all(valid_outputs(directory, manifest, r, h) for r, h in inputs.items()):
        return None
    if not all(_matches(directory, output) for output in manifest.outputs):
        return None
    return manifest
