"""Request parameter parsing with the spec's error bodies (``code``, ``type``, ``reason``, ``errors``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

MAX_PER = 100
_CONNECTOR_RE = re.compile(r"^[A-Za-z0-9_.-]+/(?:[A-Za-z0-9_.-]+|\*)$")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class ApiError(Exception):
    """An error answer: HTTP status plus the spec's error body."""

    def __init__(
        self,
        status: int,
        reason: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.errors = errors or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        return error_body(self.status, self.reason, self.errors)


def error_body(status: int, reason: str, errors: list[dict[str, str]]) -> dict[str, Any]:
    """``{"code", "type", "reason", "errors"}`` as in the spec's 4XX example."""
    return {"code": status, "type": HTTPStatus(status).phrase, "reason": reason, "errors": errors}


def bad_param(
    name: str, message: str, reason: str = "Invalid parameter", code: str = "invalid_parameter"
) -> ApiError:
    """A 400 naming the offending parameter."""
    return ApiError(400, reason, [{"message": message.format(name=name), "code": code}])


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def parse_datetime(query: dict[str, list[str]], name: str, *, required: bool) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 parameter (``Z`` or an offset; naive = UTC)."""
    text = _one(query, name)
    if text is None:
        if required:
            raise bad_param(
                name,
                "The '{name}' parameter is required.",
                "Missing required parameter",
                "missing_parameter",
            )
        return None
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        if not 1970 <= value.year <= 9998:
            raise ValueError(value)
    except (ValueError, OverflowError):
        raise bad_param(
            name,
            "The '{name}' parameter must be a valid date-time string.",
            "Invalid datetime format",
        ) from None
    return value


def format_dt(value: datetime, *, ceil: bool = False) -> str:
    """'YYYY-MM-DDTHH:MM:SSZ' (rounded up to the next second when ``ceil`` and fractional)."""
    if ceil and value.microsecond:
        value = value + timedelta(seconds=1)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_range(query: dict[str, list[str]], *, required: bool) -> tuple[str | None, str | None]:
    """The inclusive created_at bounds as sortable UTC strings, checked from <= to."""
    start = parse_datetime(query, "from_datetime", required=required)
    end = parse_datetime(query, "to_datetime", required=required)
    if start and end and start > end:
        raise ApiError(
            400,
            "Invalid datetime range",
            [
                {
                    "message": "The 'from_datetime' parameter must not be after 'to_datetime'.",
                    "code": "invalid_parameter",
                }
            ],
        )
    return (format_dt(start, ceil=True) if start else None, format_dt(end) if end else None)


def parse_int(query: dict[str, list[str]], name: str, low: int, high: int | None) -> int:
    """A required integer parameter within [low, high]."""
    text = _one(query, name)
    if text is None:
        raise bad_param(
            name,
            "The '{name}' parameter is required.",
            "Missing required parameter",
            "missing_parameter",
        )
    try:
        value = int(text.strip())
    except ValueError:
        raise bad_param(name, "The '{name}' parameter must be an integer.") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise bad_param(name, "The '{name}' parameter must be " + bound + ".")
    return value


def parse_bool(query: dict[str, list[str]], name: str) -> bool | None:
    """An optional boolean: true/false/1/0 (case-insensitive)."""
    text = _one(query, name)
    if text is None:
        return None
    value = _BOOLEANS.get(text.strip().lower())
    if value is None:
        raise bad_param(name, "The '{name}' parameter must be a boolean (true, false, 1 or 0).")
    return value


def parse_connectors(query: dict[str, list[str]]) -> list[tuple[str, str]]:
    """``connectors`` (repeated keys, or ``connectors[]``) as (integration, connector|'*')."""
    values = query.get("connectors", []) + query.get("connectors[]", [])
    out = []
    for value in values:
        text = value.strip()
        if not _CONNECTOR_RE.match(text):
            raise bad_param(
                "connectors",
                "The '{name}' parameter must be 'integration/connector' or 'integration/*', "
                f"got {text[:60]!r}.",
            )
        integration, connector = text.split("/", 1)
        out.append((integration, connector))
    return out


@dataclass
class SessionQuery:
    """A validated /sessions request."""

    page: int
    per: int
    start: str | None = None
    end: str | None = None
    connectors: list[tuple[str, str]] = field(default_factory=list)
    is_active: bool | None = None


def parse_sessions_query(query: dict[str, list[str]]) -> SessionQuery:
    """Validate /sessions parameters (page and per are required, per in 1..100)."""
    page = parse_int(query, "page", 1, None)
    per = parse_int(query, "per", 1, MAX_PER)
    start, end = parse_range(query, required=False)
    return SessionQuery(
        page, per, start, end, parse_connectors(query), parse_bool(query, "is_active")
    )
