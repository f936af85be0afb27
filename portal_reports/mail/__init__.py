"""Email the month's reports: recipients (``customers.toml``), SMTP settings, the verified run,
the message, the SMTP transport, the send log and the batch that ties them together."""

from __future__ import annotations

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
