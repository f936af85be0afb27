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
_LAZY = {
    "Delivery": ("delivery", "Delivery"),
    "DeliveryReport": ("delivery", "DeliveryReport"),
    "send_reports": ("delivery", "send_reports"),
    "attachment_name": ("message", "attachment_name"),
    "build_message": ("message", "build_message"),
    "format_figures": ("message", "format_figures"),
    "write_eml": ("message", "write_eml"),
    "Recipients": ("recipients", "Recipients"),
    "load_recipients": ("recipients", "load_recipients"),
    "ReportFile": ("runs", "ReportFile"),
    "ReportRun": ("runs", "ReportRun"),
    "load_run": ("runs", "load_run"),
    "SendLog": ("sendlog", "SendLog"),
    "SmtpSettings": ("settings", "SmtpSettings"),
    "delivery": ("delivery", None),
    "message": ("message", None),
    "recipients": ("recipients", None),
    "review": ("review", None),
    "runs": ("runs", None),
    "sendlog": ("sendlog", None),
    "settings": ("settings", None),
    "smtp": ("smtp", None),
    "summary": ("summary", None),
}  # and the modules themselves, as attributes of the package
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
