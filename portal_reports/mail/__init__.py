"""Email the month's reports: recipients (``customers.toml``), SMTP settings, the verified run,
the message, the SMTP transport, the send log and the batch that ties them together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from .delivery import Delivery, DeliveryReport, send_reports
    from .message import attachment_name, build_message, format_figures, write_eml
    from .recipients import Recipients, load_recipients
    from .runs import ReportFile, ReportRun, load_run
    from .sendlog import SendLog
    from .settings import SmtpSettings

__all__ = [
    "Delivery",
    "DeliveryReport",
    "Recipients",
    "ReportFile",
    "ReportRun",
    "SendLog",
    "SmtpSettings",
    "attachment_name",
    "build_message",
    "format_figures",
    "load_recipients",
    "load_run",
    "send_reports",
    "write_eml",
]

# Imported on first use, so a module that needs one of these (customers.py needs
# recipients) does not load the rest.
_EXPORTS = {
    "delivery": ("Delivery", "DeliveryReport", "send_reports"),
    "message": ("attachment_name", "build_message", "format_figures", "write_eml"),
    "recipients": ("Recipients", "load_recipients"),
    "runs": ("ReportFile", "ReportRun", "load_run"),
    "sendlog": ("SendLog",),
    "settings": ("SmtpSettings",),
}
_MODULES = (
    "delivery",
    "message",
    "recipients",
    "review",
    "runs",
    "sendlog",
    "settings",
    "smtp",
    "summary",
)  # offered as attributes of the package themselves
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), modules=_MODULES)
