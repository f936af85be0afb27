"""portal-reports: monthly leads, revenue and ASR reports from the Portal API.

The handful of names most users need; everything else lives in its module
(``client``, ``frames``, ``dataset``, ``metrics``, ``plots``, ``runner``, ``export``, ``mail``,
``attributes``, ``sandbox``).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .client import PortalClient
from .dataset import MonthData, fetch_month, load_month
from .dates import month_range, previous_month
from .errors import (
    AttributeValidationError,
    AuthError,
    BadRequestError,
    ConfigError,
    ExportError,
    InvalidResponseError,
    MailError,
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
from .frames import SessionsInfo, attributes_frame, info_frames, sessions_frame

__all__ = [
    "AttributeValidationError",
    "AuthError",
    "BadRequestError",
    "ConfigError",
    "ExportError",
    "InvalidResponseError",
    "MailError",
    "MonthData",
    "NotFoundError",
    "NotebookExecutionError",
    "PaginationError",
    "PortalClient",
    "PortalConnectionError",
    "PortalError",
    "PortalHTTPError",
    "RateLimitError",
    "ReportError",
    "ServerError",
    "SessionsInfo",
    "Sandbox",
    "attributes_frame",
    "export_notebook",
    "fetch_month",
    "info_frames",
    "load_month",
    "month_range",
    "previous_month",
    "run_reports",
    "send_reports",
    "sessions_frame",
]

_LAZY = {
    "Sandbox": ("sandbox", "Sandbox"),
    "export_notebook": ("export", "export_notebook"),
    "run_reports": ("runner", "run_reports"),
    "send_reports": ("mail", "send_reports"),
}


def __getattr__(name: str):
    """Heavy parts (sandbox, export, runner, mail) are imported on first use."""
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        return getattr(import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
