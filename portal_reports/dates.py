"""Date-time and month helpers: everything sent to the Portal is UTC ``YYYY-MM-DDTHH:MM:SSZ``.

Naive ``datetime`` values are taken as UTC; a ``date`` is its midnight UTC.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta

from .errors import ConfigError

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

DateLike = date | datetime | str


def to_utc(value: DateLike) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive = UTC; ISO strings accepted)."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigError(
                f"bad date-time {value!r}: expected ISO 8601, e.g. 2024-01-31T23:59:59Z"
            ) from None
    else:
        raise ConfigError(f"bad date-time {value!r}: expected a date, datetime or ISO string")
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def format_utc(value: DateLike) -> str:
    """Format ``value`` the way the Portal expects: ``2024-01-31T23:59:59Z``."""
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_month(month: str | date) -> str:
    """Validate and normalise a month (``"2024-01"`` or a date) to ``"YYYY-MM"``."""
    if isinstance(month, date):
        return f"{month.year:04d}-{month.month:02d}"
    m = _MONTH_RE.match(str(month).strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or not 1970 <= int(m.group(1)) <= 9998:
        raise ConfigError(f"bad month {month!r}: expected YYYY-MM, e.g. 2024-01")
    return f"{m.group(1)}-{m.group(2)}"


def month_range(month: str | date) -> tuple[datetime, datetime]:
    """The month's inclusive UTC range: ``2024-01`` -> 01T00:00:00Z .. 31T23:59:59Z."""
    year, mon = map(int, parse_month(month).split("-"))
    last = calendar.monthrange(year, mon)[1]
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year, mon, last, 23, 59, 59, tzinfo=UTC)
    return start, end


def shift_month(month: str | date, delta: int) -> str:
    """The month ``delta`` months after ``month`` (negative for before)."""
    year, mon = map(int, parse_month(month).split("-"))
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(today: date | None = None) -> str:
    """The calendar month before ``today`` (UTC today by default), as ``YYYY-MM``."""
    today = today or datetime.now(UTC).date()
    return shift_month(today, -1)


def current_month(today: date | None = None) -> str:
    """The calendar month of ``today`` (UTC today by default), as ``YYYY-MM``."""
    return parse_month(today or datetime.now(UTC).date())


def month_label(month: str | date) -> str:
    """Human label for a month: ``2024-01`` -> ``January 2024``."""
    year, mon = map(int, parse_month(month).split("-"))
    return f"{calendar.month_name[mon]} {year}"


def month_days(month: str | date) -> list[date]:
    """Every calendar day of the month, in order."""
    start, end = month_range(month)
    return [start.date() + timedelta(days=i) for i in range((end.date() - start.date()).days + 1)]
