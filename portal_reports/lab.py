"""JupyterLab on a reports project: outputs never reach the saved report notebooks.

``portal-reports lab`` starts JupyterLab at the project's root with
:func:`strip_outputs_pre_save` as the contents manager's ``pre_save_hook`` (the mechanism the
Jupyter server documents for scrubbing outputs on save): every notebook saved under the
project's ``notebooks/`` keeps its code and Markdown but loses outputs and execution counts,
so customer figures never end up in git. Running as root adds ``--allow-root``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPORTS_FOLDER = "notebooks"


def strip_outputs(nb: dict[str, Any]) -> dict[str, Any]:
    """``nb`` (a notebook model's content) without outputs and execution counts, in place."""
    for cell in nb.get("cells") or []:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        metadata = cell.get("metadata")
        if isinstance(metadata, dict):
            metadata.pop("execution", None)
    return nb


def strip_outputs_pre_save(model: dict[str, Any], path: str, **kwargs: Any) -> None:
    """Jupyter ``pre_save_hook``: strip outputs from notebooks saved under ``notebooks/``."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    parts = Path(path.lstrip("/")).parts
    if REPORTS_FOLDER in parts[:-1]:
        strip_outputs(model["content"])


def lab_command(root: Path, extra: Sequence[str] = ()) -> list[str]:
    """The ``jupyter lab`` command line for a project rooted at ``root``."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={root}",
        "--ContentsManager.pre_save_hook=portal_reports.lab.strip_outputs_pre_save",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root
    return [*command, *extra]
