"""portal-reports: monthly leads, revenue and ASR reports from the Portal API.

The handful of names most users need; everything else lives in its folder, in the order the
data flows: ``portal`` (client) -> ``data`` (frames, month) -> ``reports`` (registry, kit,
figures, charts) -> ``publish`` (runner, export, manifest) -> ``mail``; plus ``attributes``,
``sandbox`` and ``cli``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from .dates import month_range, previous_month
from .errors import (
    AttributeValidationError,
    AuthError,
    BadRequestError,
    ConfigError,
    ExportError,
    InvalidResponseError,
    MailError,
    ManifestError,
    NotebookExecutionError,
    NotFoundError,
    PaginationError,
    PortalConnectionError,
    PortalError,
    PortalHTTPError,
    RateLimitError,
    ReportError,
    ServerError,
)
from .period import ReportMonth

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from .customers import CustomersConfig
    from .data.frames import SessionsInfo, attributes_frame, info_frames, sessions_frame
    from .data.month import MonthData, fetch_month, load_month
    from .mail.delivery import send_reports
    from .portal.client import PortalClient
    from .project import Project
    from .publish.export import export_notebook
    from .publish.manifest import Manifest
    from .publish.runner import run_reports
    from .reports import kit
    from .reports.registry import Registry, Report, registry
    from .sandbox import Sandbox

__all__ = [
    "AttributeValidationError",
    "AuthError",
    "BadRequestError",
    "ConfigError",
    "CustomersConfig",
    "ExportError",
    "InvalidResponseError",
    "MailError",
    "Manifest",
    "ManifestError",
    "MonthData",
    "NotFoundError",
    "NotebookExecutionError",
    "PaginationError",
    "PortalClient",
    "PortalConnectionError",
    "PortalError",
    "PortalHTTPError",
    "RateLimitError",
    "Project",
    "Registry",
    "Report",
    "ReportError",
    "ReportMonth",
    "ServerError",
    "SessionsInfo",
    "Sandbox",
    "attributes_frame",
    "export_notebook",
    "fetch_month",
    "info_frames",
    "kit",
    "load_month",
    "month_range",
    "previous_month",
    "registry",
    "run_reports",
    "send_reports",
    "sessions_frame",
]

# Imported on first use: pandas, requests and the rest load only when a name needs them, so
# the command line, worker processes and kernels start without them.
_EXPORTS = {
    "data.frames": ("SessionsInfo", "attributes_frame", "info_frames", "sessions_frame"),
    "data.month": ("MonthData", "fetch_month", "load_month"),
    "portal.client": ("PortalClient",),
    "customers": ("CustomersConfig",),
    "sandbox": ("Sandbox",),
    "publish.manifest": ("Manifest",),
    "project": ("Project",),
    "reports.registry": ("Registry", "Report", "registry"),
    "publish.export": ("export_notebook",),
    "publish.runner": ("run_reports",),
    "mail.delivery": ("send_reports",),
}


_exports_getattr, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), modules=("reports.kit",))


def __getattr__(name: str) -> object:
    """Everything that needs pandas or requests (frames, month data, client, sandbox,
    registry, kit, export, runner, mail) is imported on first use; so is ``__version__``
    (reading the installed metadata costs milliseconds each kernel clean-up would repeat)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("portal-reports")
        except PackageNotFoundError:  # pragma: no cover - a tree that was never installed
            found = "0+unknown"
        globals()["__version__"] = found
        return found
    return _exports_getattr(name)
