"""One exception tree for the whole toolkit, rooted in :class:`PortalError`.

HTTP errors carry the status, the endpoint and the API's decoded error body
(``code``, ``type``, ``reason``, ``errors[]``). Messages never contain the secret.
"""

from __future__ import annotations

from typing import Any


class PortalError(Exception):
    """Base class of every error raised by portal-reports."""


class ConfigError(PortalError):
    """Bad configuration or user input (month, date-time, option). Not retryable."""


class PortalHTTPError(PortalError):
    """The Portal answered with an error status.

    ``body`` is the decoded error body (``{}`` when it was not JSON); ``reason`` and
    ``errors`` are lifted from it. Whether a retry is safe is said on each subclass.
    """

    def __init__(
        self,
        status: int,
        endpoint: str,
        body: dict[str, Any] | None = None,
        *,
        method: str = "GET",
        message: str | None = None,
    ) -> None:
        self.status = status
        self.endpoint = endpoint
        self.method = method
        self.body: dict[str, Any] = body if isinstance(body, dict) else {}
        self.code = self.body.get("code", status)
        self.type = self.body.get("type")
        self.reason: str | None = self.body.get("reason")
        errs = self.body.get("errors")
        self.errors: list[dict[str, Any]] = errs if isinstance(errs, list) else []
        super().__init__(message or self._default_message())

    def _default_message(self) -> str:
        text = f"{self.method} {self.endpoint} failed with HTTP {self.status}"
        if self.reason:
            text += f": {self.reason}"
        details = [
            e.get("message") for e in self.errors if isinstance(e, dict) and e.get("message")
        ]
        if details:
            text += " (" + "; ".join(str(d) for d in details) + ")"
        return text


class AuthError(PortalHTTPError):
    """401/403: missing or wrong secret, or no access to the customer. Not retryable."""


class BadRequestError(PortalHTTPError):
    """400/422: the request was refused as invalid; ``errors`` says why. Not retryable."""


class NotFoundError(PortalHTTPError):
    """404: unknown attribute, customer or path. Not retryable."""


class RateLimitError(PortalHTTPError):
    """429 still answered after every retry. Safe to retry later."""


class ServerError(PortalHTTPError):
    """5XX still answered after every retry. Safe to retry later (requests are idempotent)."""


class PortalConnectionError(PortalError):
    """The Portal could not be reached or dropped the connection, after every retry."""


class PortalTimeoutError(PortalConnectionError):
    """A request or a whole fetch took longer than its deadline (``PORTAL_REQUEST_DEADLINE``,
    ``PORTAL_FETCH_BUDGET``); the message names what timed out. Safe to retry later."""


class InvalidResponseError(PortalError):
    """The Portal answered 2XX with something that is not the JSON the spec promises."""


class PaginationError(PortalError):
    """Paging could not produce a consistent list (the total kept changing while walking)."""


class ReportError(PortalError):
    """A report could not be produced (notebook failure, export failure)."""


class NotebookExecutionError(ReportError):
    """A report notebook failed: names the report, the cell and the error."""

    def __init__(self, report: str, cell: int | None, ename: str, evalue: str, path: str) -> None:
        self.report, self.cell, self.ename, self.evalue, self.path = (
            report,
            cell,
            ename,
            evalue,
            path,
        )
        where = f"cell {cell}" if cell is not None else "unknown cell"
        super().__init__(
            f"report {report!r} failed in {where}: {ename}: {evalue} (notebook kept at {path})"
        )


class ManifestError(ReportError):
    """A run's ``manifest.json`` is missing, unreadable or not a manifest."""


class ExportError(ReportError):
    """Converting an executed notebook to HTML or PDF failed."""


class TemplateError(ExportError, ConfigError):
    """A template (the project's may override the package's) cannot be compiled: bad input,
    named with its file and line (exit 2)."""


class MailError(PortalError):
    """Building or sending a report email failed."""


class AttributeValidationError(PortalError):
    """A customer attribute value does not fit its ``value_type`` / ``possible_values``."""


class ConcurrentChangeError(PortalError):
    """An attribute changed on the Portal while portal-reports was updating it (the API has no
    ETag, so this is detected by reading it again). Check the attribute, then retry."""

    def __init__(self, message: str, *, applied: bool, attribute: dict[str, Any] | None = None):
        self.applied = applied  # True when our PUT was answered (it may since be overwritten)
        self.attribute = attribute  # the attribute as read back, when known
        super().__init__(message)
