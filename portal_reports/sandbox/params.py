"""Request parameter parsing with the spec's error bodies (``code``, ``type``, ``reason``, ``errors``).

Two readings of the spec: the default one is forgiving (offsets, naive and date-only
date-times, ``connectors[]``, ``integration/connector`` filters, ``1``/``0`` booleans); the
strict one (``strict=True``) accepts only what the spec plainly describes, so a client tested
against it sends nothing a less forgiving server could refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

MAX_PER = 100  # default page cap: a larger ``per`` is served 100 items (metadata.per says so)
STRICT_PAGE_CAP = 60  # strict mode serves at most this many, and does not say so
INT64_MAX = 2**63 - 1  # page and per are 64-bit integers; larger numbers are refused

SESSIONS_PARAMS = frozenset(
    {"page", "per", "from_datetime", "to_datetime", "connectors", "is_active"}
)
RANGE_PARAMS = frozenset({"from_datetime", "to_datetime"})

_IDENT = r"[A-Za-z0-9_.-]+"
_PLAIN_CONNECTOR_RE = re.compile(_IDENT)
_PAIR_CONNECTOR_RE = re.compile(rf"({_IDENT})/({_IDENT}|\*)")
_INT_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_STRICT_INT_RE = re.compile(r"-?[0-9]+", re.ASCII)
# RFC 3339 date-time; leniently also a date alone, no seconds, no offset (then UTC), or a space.
_DT_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(\.[0-9]+)?)?(Z|z|[+-][0-9]{2}:[0-9]{2})?)?",
    re.ASCII,
)
_STRICT_DT_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})()(Z)", re.ASCII
)
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_STRICT_BOOLEANS = {"true": True, "false": False}
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EPOCH = datetime(1970, 1, 1)
_MIN_SECOND = -62135596800  # 0001-01-01T00:00:00Z, the earliest instant written as a bound
_MAX_SECOND = 253402300799  # 9999-12-31T23:59:59Z, the latest


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
    # replace(), not format(): the message may quote the client's text, braces included
    return ApiError(400, reason, [{"message": message.replace("{name}", name), "code": code}])


def check_known(query: dict[str, list[str]], known: frozenset[str]) -> None:
    """Strict mode: refuse a parameter the endpoint does not define (400)."""
    unknown = sorted(set(query) - known)
    if unknown:
        expected = ", ".join(sorted(known)) or "none"
        raise ApiError(
            400,
            "Unknown parameter",
            [
                {
                    "message": f"The '{name[:60]}' parameter is not defined here "
                    f"(expected: {expected}).",
                    "code": "unknown_parameter",
                }
                for name in unknown
            ],
        )


def _one(query: dict[str, list[str]], name: str, strict: bool) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if strict and len(values) > 1:
        raise bad_param(name, "The '{name}' parameter must be given once.")
    return values[0] if strict else values[0].strip()


def _missing(name: str) -> ApiError:
    return bad_param(
        name,
        "The '{name}' parameter is required.",
        "Missing required parameter",
        "missing_parameter",
    )


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date, any year (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def parse_instant(text: str, *, strict: bool) -> int | None:
    """Microseconds since 1970-01-01T00:00:00Z of an RFC 3339 date-time, or None if invalid.

    Any year 0000-9999 and offset up to +-23:59 (computed exactly, no overflow). Strict:
    only ``YYYY-MM-DDTHH:MM:SSZ``. Lenient: also lowercase ``t``/``z``, a space, fractions,
    no seconds, and a date or date-time without offset (taken as UTC).
    """
    found = (_STRICT_DT_RE if strict else _DT_RE).fullmatch(text)
    if not found:
        return None
    year, month, day = (int(found.group(i)) for i in (1, 2, 3))
    hour, minute, second = (int(found.group(i) or 0) for i in (4, 5, 6))
    fraction, offset = found.group(7) or "", found.group(8) or "Z"
    if not 1 <= month <= 12 or hour > 23 or minute > 59 or second > 59:
        return None
    if not 1 <= day <= _DAYS[month - 1] + (month == 2 and _is_leap(year)):
        return None
    offset_minutes = 0
    if offset not in ("Z", "z"):
        off_hours, off_minutes = int(offset[1:3]), int(offset[4:6])
        if off_hours > 23 or off_minutes > 59:
            return None
        offset_minutes = (off_hours * 60 + off_minutes) * (-1 if offset[0] == "-" else 1)
    seconds = ((_days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second
    micros = int((fraction[1:] + "000000")[:6]) if fraction else 0
    return (seconds - offset_minutes * 60) * 1_000_000 + micros


def format_instant(micros: int, *, ceil: bool = False) -> str:
    """'YYYY-MM-DDTHH:MM:SSZ' of an instant (rounded up to a whole second when ``ceil``),
    clamped to years 0001-9999: every stored ``created_at`` lies far inside."""
    seconds = -(-micros // 1_000_000) if ceil else micros // 1_000_000
    seconds = min(max(seconds, _MIN_SECOND), _MAX_SECOND)
    t = _EPOCH + timedelta(seconds=seconds)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def parse_datetime(
    query: dict[str, list[str]], name: str, *, required: bool, strict: bool = False
) -> int | None:
    """A date-time parameter as microseconds since the epoch (see :func:`parse_instant`)."""
    text = _one(query, name, strict)
    if text is None:
        if required:
            raise _missing(name)
        return None
    value = parse_instant(text, strict=strict)
    if value is None:
        message = "The '{name}' parameter must be a valid date-time string."
        if strict:
            message = (
                "The '{name}' parameter must be a valid UTC date-time string "
                "(YYYY-MM-DDTHH:MM:SSZ)."
            )
        raise bad_param(name, message, "Invalid datetime format")
    return value


def parse_range(
    query: dict[str, list[str]], *, required: bool, strict: bool = False
) -> tuple[str | None, str | None]:
    """The inclusive created_at bounds as sortable UTC strings, checked from <= to."""
    start = parse_datetime(query, "from_datetime", required=required, strict=strict)
    end = parse_datetime(query, "to_datetime", required=required, strict=strict)
    if start is not None and end is not None and start > end:
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
    return (
        format_instant(start, ceil=True) if start is not None else None,
        format_instant(end) if end is not None else None,
    )


def parse_int(query: dict[str, list[str]], name: str, low: int, *, strict: bool = False) -> int:
    """A required integer parameter in [low, INT64_MAX] (ASCII digits only)."""
    text = _one(query, name, strict)
    if text is None:
        raise _missing(name)
    if not (_STRICT_INT_RE if strict else _INT_RE).fullmatch(text):
        raise bad_param(name, "The '{name}' parameter must be an integer.")
    # the digits without leading zeros, length-checked first: int() refuses over 4300 digits
    digits = text.lstrip("+-").lstrip("0") or "0"
    value = int(digits) if len(digits) <= 19 else INT64_MAX + 1
    if text.startswith("-"):
        value = -value
    if not low <= value <= INT64_MAX:
        raise bad_param(name, "The '{name}' parameter must be between " + f"{low} and {INT64_MAX}.")
    return value


def parse_bool(query: dict[str, list[str]], name: str, *, strict: bool = False) -> bool | None:
    """An optional boolean: true/false (lenient: also 1/0, any case)."""
    text = _one(query, name, strict)
    if text is None:
        return None
    value = (_STRICT_BOOLEANS if strict else _BOOLEANS).get(text if strict else text.lower())
    if value is None:
        accepted = "true or false" if strict else "true, false, 1 or 0"
        raise bad_param(name, "The '{name}' parameter must be a boolean (" + accepted + ").")
    return value


Connector = tuple[str | None, str]  # (integration or None for any, connector_idn or "*")


def parse_connectors(query: dict[str, list[str]], *, strict: bool = False) -> list[Connector]:
    """``connectors`` as repeated keys: plain connector identifiers (the spec's form).

    Lenient also reads ``connectors[]`` and the sandbox's ``integration/connector`` and
    ``integration/*`` (every connector of an integration).
    """
    values = query.get("connectors", []) + ([] if strict else query.get("connectors[]", []))
    out: list[Connector] = []
    for value in values:
        text = value if strict else value.strip()
        if _PLAIN_CONNECTOR_RE.fullmatch(text):
            out.append((None, text))
            continue
        pair = None if strict else _PAIR_CONNECTOR_RE.fullmatch(text)
        if pair is None:
            expected = "a connector identifier (letters, digits, '_', '.', '-')"
            if not strict:
                expected += ", 'integration/connector' or 'integration/*'"
            raise bad_param(
                "connectors",
                "The '{name}' parameter must be " + expected + ", " + f"got {text[:60]!r}.",
            )
        out.append((pair.group(1), pair.group(2)))
    return out


@dataclass
class SessionQuery:
    """A validated /sessions request (``per`` as asked)."""

    page: int
    per: int
    start: str | None = None
    end: str | None = None
    connectors: list[Connector] = field(default_factory=list)
    is_active: bool | None = None


def parse_sessions_query(query: dict[str, list[str]], *, strict: bool = False) -> SessionQuery:
    """Validate /sessions parameters (page and per are required, both >= 1)."""
    if strict:
        check_known(query, SESSIONS_PARAMS)
    page = parse_int(query, "page", 1, strict=strict)
    per = parse_int(query, "per", 1, strict=strict)
    start, end = parse_range(query, required=False, strict=strict)
    return SessionQuery(
        page,
        per,
        start,
        end,
        parse_connectors(query, strict=strict),
        parse_bool(query, "is_active", strict=strict),
    )
