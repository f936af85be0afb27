"""The customer's month: a calendar month in the customer's time zone, parsed once.

    period = ReportMonth.parse("2026-10", "America/New_York")
    period.start_utc, period.end_utc     # 2026-10-01T04:00:00Z .. 2026-11-01T03:59:59Z
    period.previous()                    # September 2026 in New York
    period.heading("de_DE")              # "Oktober 2026 · Ortszeit New York"

Everything sent to the Portal stays UTC (``...Z``: servers may accept only UTC); the range is
the UTC instants of the local month's first and last second, right across daylight-saving
changes (a New York March has 743 hours, its November 721). Layers pass this value along
instead of re-parsing ``"YYYY-MM"`` strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .dates import format_utc, parse_month, shift_month, to_utc
from .errors import ConfigError

UTC_ZONE = ZoneInfo("UTC")
#: The earliest clocks on Earth (Kiritimati) run at UTC+14: a month has begun somewhere once
#: its 1st has begun there.
EARLIEST_UTC_OFFSET = timedelta(hours=14)


def check_started(month: str, now: datetime | None = None) -> str:
    """``month`` (``YYYY-MM``) when it has begun somewhere on Earth (past midnight on its 1st
    at UTC+14), else a one-line :class:`ConfigError`: a month that has not started has no
    data to report, only zeros and "−100%" changes."""
    month = parse_month(month)
    now = to_utc(now) if now is not None else datetime.now(UTC)
    begins = datetime.fromisoformat(f"{month}-01T00:00:00+00:00") - EARLIEST_UTC_OFFSET
    if now < begins:
        latest = (now + EARLIEST_UTC_OFFSET).strftime("%Y-%m")
        raise ConfigError(
            f"month {month} has not started anywhere yet (it begins {format_utc(begins)}, "
            f"midnight at UTC+14); the latest month with data is {latest}"
        )
    return month


def parse_time_zone(value: object, where: str = "time zone") -> ZoneInfo:
    """An IANA time zone (``America/New_York``) as a ``ZoneInfo``; :class:`ConfigError` (one
    line, starting with ``where``) for anything else."""
    if isinstance(value, ZoneInfo):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if text:
        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise ConfigError(
        f"{where}: unknown time zone {value!r} (expected an IANA name such as America/New_York)"
    )


@dataclass(frozen=True)
class ReportMonth:
    """One calendar month in one time zone, with its inclusive UTC range."""

    month: str
    tz: ZoneInfo = UTC_ZONE

    @classmethod
    def parse(
        cls, month: str | date | ReportMonth, tz: str | ZoneInfo | None = None
    ) -> ReportMonth:
        """``"2026-10"`` (or a date) in ``tz`` (default UTC); a ReportMonth is returned as is
        unless ``tz`` asks for another zone."""
        if isinstance(month, ReportMonth):
            return month if tz is None else cls(month.month, parse_time_zone(tz))
        return cls(parse_month(month), UTC_ZONE if tz is None else parse_time_zone(tz))

    # ---- the range ----------------------------------------------------------------------

    @property
    def year(self) -> int:
        return int(self.month[:4])

    @property
    def number(self) -> int:
        """The month of the year, 1..12."""
        return int(self.month[5:7])

    @property
    def time_zone(self) -> str:
        """The IANA name of the zone (``America/New_York``)."""
        return self.tz.key

    @property
    def first_day(self) -> date:
        return date(self.year, self.number, 1)

    @property
    def start_utc(self) -> datetime:
        """The UTC instant of the month's first local second (midnight on the 1st; where a
        zone skips midnight, its first existing instant)."""
        return _local_midnight_utc(self.first_day, self.tz)

    @property
    def end_utc(self) -> datetime:
        """The UTC instant of the month's last local second (inclusive, as the API reads it)."""
        return self.shift(1).start_utc - timedelta(seconds=1)

    @property
    def range_utc(self) -> tuple[datetime, datetime]:
        """``(start_utc, end_utc)``, both inclusive."""
        return self.start_utc, self.end_utc

    @property
    def hours(self) -> float:
        """Length of the month in hours (743 for a New York March, 721 for its November)."""
        return (self.end_utc - self.start_utc + timedelta(seconds=1)).total_seconds() / 3600

    def days(self) -> list[date]:
        """Every local calendar day of the month, in order."""
        following = self.shift(1).first_day
        return [
            self.first_day + timedelta(days=i) for i in range((following - self.first_day).days)
        ]

    def contains(self, instant: datetime | str) -> bool:
        """Whether an instant (aware, naive = UTC, or ISO text) falls in the month."""
        when = to_utc(instant)
        return self.start_utc <= when < self.shift(1).start_utc  # 23:59:59.5 is still in

    def shift(self, months: int) -> ReportMonth:
        """The month ``months`` later (earlier when negative), in the same zone."""
        return ReportMonth(shift_month(self.month, months), self.tz)

    def previous(self) -> ReportMonth:
        """The month before, in the same zone (the deltas compare against it)."""
        return self.shift(-1)

    def is_over(self, now: datetime | None = None) -> bool:
        """Whether the month's last second has passed (``now`` default: the current time)."""
        return (now or datetime.now(UTC)) > self.end_utc

    def month_to_date(self, until: datetime | str) -> tuple[date, date] | None:
        """The local days ``(1st, last)`` data fetched at ``until`` covers when the month was
        not over then (the last day partly); None for a month that was over."""
        when = to_utc(until)
        if when > self.end_utc:
            return None
        today = when.astimezone(self.tz).date()
        return self.first_day, min(max(today, self.first_day), self.days()[-1])

    # ---- words --------------------------------------------------------------------------

    def label(self, locale: str | None = None) -> str:
        """``October 2026`` in the locale's words (``Oktober 2026`` for ``de_DE``)."""
        from .i18n import language_for

        return language_for(locale).month_year(self.first_day)

    def month_name(self, locale: str | None = None) -> str:
        """``October`` alone (used in "vs September")."""
        from .i18n import language_for

        return language_for(locale).month_name(self.first_day)

    def zone_label(self, locale: str | None = None) -> str:
        """``New York time`` (``Ortszeit New York``); ``UTC`` for UTC."""
        from .i18n import language_for

        return language_for(locale).zone_label(self.tz)

    def heading(self, locale: str | None = None) -> str:
        """What report headers say: ``October 2026 · New York time``."""
        return f"{self.label(locale)} \u00b7 {self.zone_label(locale)}"

    def month_to_date_notice(self, until: datetime | str) -> str:
        """What a report says when its data, fetched at ``until``, ends before the month
        does, in the active language ("" for a whole month, or an unreadable time):
        ``Month to date: Dec 1 – 6, 2026. December is not over: ...``. Reports show it
        under their header; their figures stay those of the days so far."""
        from babel.dates import format_interval

        from .errors import PortalError
        from .i18n import _, current

        try:
            days = self.month_to_date(until)
        except PortalError:
            return ""
        if days is None:
            return ""
        first, last = days
        lang = current()
        return _(
            "Month to date: {days}. {month} is not over: these figures cover {covered} of its "
            "{total} days, while changes, targets and the last 12 months compare them with "
            "whole months."
        ).format(
            days=format_interval(first, last, "yMMMd", locale=lang.babel),
            month=lang.month_name(first),
            covered=(last - first).days + 1,
            total=len(self.days()),
        )

    # ---- JSON ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, str]:
        """``{"month", "time_zone", "from_datetime", "to_datetime"}`` (UTC, ``...Z``)."""
        return {
            "month": self.month,
            "time_zone": self.time_zone,
            "from_datetime": format_utc(self.start_utc),
            "to_datetime": format_utc(self.end_utc),
        }

    @classmethod
    def from_json(cls, raw: Any, where: str = "period") -> ReportMonth:
        """The inverse of :meth:`to_json`; the UTC range must be the one the month implies."""
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected an object with month and time_zone")
        period = cls.parse(str(raw.get("month")), raw.get("time_zone") or "UTC")
        for key, value in (("from_datetime", period.start_utc), ("to_datetime", period.end_utc)):
            if key in raw and raw[key] != format_utc(value):
                raise ConfigError(
                    f"{where}: {key} {raw[key]!r} is not the {period} range ({format_utc(value)})"
                )
        return period

    def __str__(self) -> str:
        return f"{self.month} ({self.time_zone})"


def _local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz``, in UTC.

    ``datetime(..., tzinfo=tz)`` at a skipped midnight (a zone whose clocks jump 00:00 -> 01:00)
    resolves with the offset before the jump, which is exactly the day's first instant.
    """
    local = datetime(day.year, day.month, day.day, tzinfo=tz)
    first = local.astimezone(UTC)
    # Folded (repeated) midnight: the earlier of the two instants (fold=0) is the first.
    return first.replace(microsecond=0)


__all__ = ["EARLIEST_UTC_OFFSET", "UTC_ZONE", "ReportMonth", "check_started", "parse_time_zone"]
