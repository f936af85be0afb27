"""portal-reports: monthly leads, revenue and ASR reports from the Portal API.

The handful of names most users need; everything else lives in its folder, in the order the
data flows: ``portal`` (client) -> ``data`` (frames, month) -> ``reports`` (registry, kit,
figures, charts) -> ``publish`` (runner, export, manifest) -> ``mail``; plus ``attributes``,
``sandbox`` and ``cli``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("portal-reports")
except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
    __version__ = "0+unknown"

from .data.frames import SessionsInfo, attributes_frame, info_frames, sessions_frame
from .data.month import MonthData, fetch_month, load_month
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
from .portal.client import PortalClient

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

_LAZY = {
    "CustomersConfig": ("customers", "CustomersConfig"),
    "Sandbox": ("sandbox", "Sandbox"),
    "Manifest": ("publish.manifest", "Manifest"),
    "Project": ("project", "Project"),
    "Registry": ("reports.registry", "Registry"),
    "Report": ("reports.registry", "Report"),
    "export_notebook": ("publish.export", "export_notebook"),
    "kit": ("reports.kit", None),
    "registry": ("reports.registry", "registry"),
    "run_reports": ("publish.runner", "run_reports"),
    "send_reports": ("mail.delivery", "send_reports"),
}


def __getattr__(name: str):
    """Heavy parts (sandbox, registry, kit, export, runner, mail) are imported on first use."""
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        loaded = import_module(f".{module}", __name__)
        return loaded if attr is None else getattr(loaded, attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
