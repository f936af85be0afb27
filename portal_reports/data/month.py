"""One customer-month of Portal data, fetched once and shared by every report of a run.

A :class:`MonthData` holds the raw JSON (kept verbatim in ``raw`` and hashed for provenance)
and the frames built from it, with the customer's month (:class:`~portal_reports.period.
ReportMonth`: the local calendar month and its UTC range) and report settings (locale,
currency, brand). The sessions are the exception: they are typed as they arrive and kept as
Parquet (:mod:`.sessions`), which ``raw`` names with its sha256. The runner saves the month as
``data.json`` and ``sessions.parquet``; notebooks load those files, so the three reports of a
run present exactly the same numbers, in the same language, and a kernel needs neither
``customers.toml`` nor credentials, and reads only the session columns it uses.
It also carries the month's history (:mod:`.history`) and what the agency added for the month
(``targets`` from ``customers.toml``, the account manager's ``note``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._io import atomic_write
from ..attributes.lookup import name_from_attributes
from ..customers import ReportSettings
from ..dates import format_utc, parse_month, to_utc
from ..errors import AuthError, ConfigError, PortalHTTPError, RateLimitError
from ..period import ReportMonth
from ..settings import redact_url
from .frames import attributes_frame, info_frames, sessions_frame, sessions_frame_chunks
from .history import History, HistoryCache, fetch_history
from .sessions import SESSIONS_FILE, MonthSessions

if TYPE_CHECKING:
    from ..customers import ResolvedSettings
    from ..data.frames import SessionsInfo
    from ..i18n import Language
    from ..portal.client import PortalClient

ALL_CUSTOMERS = "All customers"
DATA_FILE = "data.json"
MAX_NAME = 100  # characters of a business name taken from the Portal
RAW_KEYS = (
    "month",
    "customer_id",
    "base_url",
    "fetched_at",
    "sessions",
    "info",
    "previous_info",
    "attributes",
)


def canonical_json(obj: Any) -> str:
    """Canonical JSON text (sorted keys, no spaces, UTF-8 kept) used for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def raw_sha256(raw: dict[str, Any]) -> str:
    """SHA-256 hex digest of the canonical JSON of ``raw``."""
    return hashlib.sha256(canonical_json(raw).encode("utf-8")).hexdigest()


def customer_name_from(attributes: dict[str, Any], customer_id: str | None) -> str:
    """The business name for the report heading.

    The whole account (``customer_id`` None) is always "All customers": the Portal answers
    attributes of its primary customer there, which would mislabel account-wide figures.
    Otherwise the name attribute's value, falling back to the customer id.
    """
    if customer_id is None:
        return ALL_CUSTOMERS
    name = name_from_attributes(attributes)
    if name:  # Portal text in headers, file names, PDF metadata, mail subjects: one short line
        name = "".join(ch for ch in " ".join(name.split()) if ch.isprintable())
        name = name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"
    return name or customer_id


@dataclass
class MonthData:
    """Everything the reports need for one month and one customer (or the whole account)."""

    period: ReportMonth
    customer_id: str | None
    customer_name: str
    base_url: str
    fetched_at: datetime
    sha256: str
    sessions_data: MonthSessions = field(repr=False)
    info: SessionsInfo = field(repr=False)
    previous_info: SessionsInfo = field(repr=False)
    attributes: pd.DataFrame = field(repr=False)
    raw: dict[str, Any] = field(repr=False)
    data_source: str = "portal"
    settings: ReportSettings = field(default_factory=ReportSettings)
    history: History | None = field(default=None, repr=False)
    targets: dict[str, float] = field(default_factory=dict)  # figure key -> monthly target
    note: dict[str, str] | None = field(default=None, repr=False)  # path, markdown, html

    @property
    def is_sandbox(self) -> bool:
        """True when the data is the built-in sandbox's demo data (reports say so)."""
        return self.data_source == "sandbox"

    @property
    def month(self) -> str:
        """The month as ``YYYY-MM`` (in the customer's zone: see :attr:`period`)."""
        return self.period.month

    @property
    def previous_period(self) -> ReportMonth:
        """The month the deltas compare against, in the same zone."""
        return self.period.previous()

    @property
    def previous_month(self) -> str:
        """The month the deltas compare against (``YYYY-MM``)."""
        return self.previous_period.month

    @property
    def language(self) -> Language:
        """The customer's locale and currency."""
        return self.settings.language

    @property
    def sessions(self) -> pd.DataFrame:
        """Every listed session of the month, all columns (see :meth:`session_columns`)."""
        return self.sessions_data.frame()

    @property
    def sessions_count(self) -> int:
        """How many sessions were listed for the month (without reading them)."""
        return self.sessions_data.rows

    def session_columns(self, *columns: str) -> pd.DataFrame:
        """Only these columns of the sessions (those the month has), read from Parquet
        alone: what a report uses of a large month, e.g. ``("created_at", "arg_is_lead")``."""
        return self.sessions_data.frame(columns)

    def with_sessions(self, frame: pd.DataFrame) -> MonthData:
        """This month with other sessions (tests and what-ifs); raw and sha256 follow."""
        sessions = MonthSessions.from_frame(frame)
        raw = {**self.raw, "sessions": sessions.entry()}
        return replace(self, raw=raw, sha256=raw_sha256(raw), sessions_data=sessions)

    def content_sha256(self, session_columns: Sequence[str] | None = None) -> str:
        """SHA-256 of what reports can show of this month: ``raw`` without when and from
        which address it was fetched, and of the sessions only ``session_columns`` (with
        the row count and the problems found, which reports show), or all of them (None:
        the Parquet file's sha256, as ``data.json`` names it).

        This is the data part of the runner's skip hash. Sessions keep changing after
        their month: a Portal moves ``latest_message_datetime`` and
        ``latest_event_datetime`` of sessions that are still open (days-long chat threads),
        and their message counts with them. The package's reports read only
        :data:`~portal_reports.reports.figures.SESSION_COLUMNS_USED` of the sessions (and
        the Portal's statistics, which are hashed whole), so hashing just those columns
        keeps an unchanged customer-month ``up to date``, and its approval valid, while the
        Portal touches fields no report shows. A report that reads other columns is hashed
        with all of them: see :func:`portal_reports.publish.inputs.session_scope`.
        """
        content = {k: v for k, v in self.raw.items() if k not in ("fetched_at", "base_url")}
        # ... but the days a fetch before the month's end covered, which its reports say
        # ("Month to date: Dec 1 - 6"): the same data fetched once the month is over is redone
        days = self.period.month_to_date(self.fetched_at)
        content["month_to_date"] = None if days is None else [d.isoformat() for d in days]
        if session_columns is not None:
            content["sessions"] = {
                "rows": self.sessions_data.rows,
                "problems": list(self.sessions_data.problems),
                "columns": _columns_sha256(self.session_columns(*session_columns)),
            }
        return raw_sha256(content)

    @property
    def problems(self) -> list[str]:
        """Every value from the Portal that could not be used, one line per kind ([] if none).

        Reports show these as a data-quality warning, and the data check does not pass.
        """
        previous = [
            f"Previous month's {line[0].lower()}{line[1:]}" for line in self.previous_info.problems
        ]
        return [*self.info.problems, *self.sessions_data.problems, *previous]

    @classmethod
    def from_raw(cls, raw: dict[str, Any], sessions: MonthSessions | None = None) -> MonthData:
        """Build frames from the raw JSON of a fetch (as saved in ``data.json``).

        ``raw["sessions"]`` is either the list of raw items (typed here: sessions created
        outside the month are left out, values that cannot be used are set aside, both listed
        in :attr:`problems`) or the entry naming ``sessions.parquet``, whose ``sessions`` are
        then given (:meth:`load` reads both). A ``raw`` of the wrong shape is a
        :class:`ConfigError`.
        """
        missing = [k for k in RAW_KEYS if k not in raw]
        if missing:
            raise ConfigError(f"month data lacks {', '.join(missing)}")
        _check_shape(raw)
        customer_id = raw["customer_id"]
        attributes = raw["attributes"] or {"groups": [], "attributes": []}
        month = parse_month(raw["month"])
        # data.json of older versions has no period: the UTC month, as it was fetched then
        period = ReportMonth.from_json(raw["period"]) if "period" in raw else ReportMonth(month)
        if period.month != month:
            raise ConfigError(f"month data is for {month}, but its period is {period}")
        start, end = period.range_utc  # sessions created outside the customer's month are out
        if isinstance(raw["sessions"], list):
            sessions = MonthSessions.from_frame(
                sessions_frame(raw["sessions"], start=start, end=end)
            )
            raw = {**raw, "sessions": sessions.entry()}
        elif sessions is None or raw["sessions"] != sessions.entry():
            raise ConfigError("month data: its sessions are not the ones data.json names")
        return cls(
            period=period,
            customer_id=customer_id,
            customer_name=customer_name_from(attributes, customer_id),
            base_url=redact_url(raw["base_url"]),
            fetched_at=to_utc(raw["fetched_at"]),
            sha256=raw_sha256(raw),
            sessions_data=sessions,
            info=info_frames(raw["info"], start=start, end=end),
            previous_info=info_frames(raw["previous_info"]),
            attributes=attributes_frame(attributes),
            raw=raw,
            data_source="sandbox" if raw.get("data_source") == "sandbox" else "portal",
            settings=ReportSettings.from_json(raw.get("settings")),
            history=History.from_json(raw.get("history"), parse_month(raw["month"])),
            targets=dict(raw.get("targets") or {}),
            note=raw.get("note") or None,
        )

    def with_context(
        self, *, targets: dict[str, float] | None = None, note: dict[str, str] | None = None
    ) -> MonthData:
        """This month with the agency's targets and rendered note (stored in ``data.json``)."""
        raw = {**self.raw, "targets": dict(targets or {}), "note": note}
        return replace(
            self, raw=raw, sha256=raw_sha256(raw), targets=dict(targets or {}), note=note
        )

    def save(self, path: str | os.PathLike[str], files: dict[str, bytes] | None = None) -> Path:
        """Write the raw JSON to ``path`` and ``sessions.parquet`` beside it, each atomically
        (temp file in the same folder + replace), the sessions first; returns ``path``.
        ``files`` is :meth:`files` when the caller has it already (the runner sends the same
        bytes to the workers)."""
        files = files or self.files()
        atomic_write(Path(path).parent / SESSIONS_FILE, files[SESSIONS_FILE])
        return atomic_write(path, files[DATA_FILE])

    def files(self) -> dict[str, bytes]:
        """The saved month as file name -> bytes (what a report job carries to a worker)."""
        text = json.dumps(self.raw, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        return {DATA_FILE: text.encode("utf-8"), SESSIONS_FILE: self.sessions_data.parquet_bytes()}

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MonthData:
        """Read a saved month: ``data.json`` at ``path`` and the sessions file beside it."""
        from ..portal.transport import MAX_JSON_DEPTH, too_deep

        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except RecursionError:
            raise ConfigError(f"cannot read month data {path}: nested too deeply") from None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read month data {path}: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"month data {path} is not a JSON object")
        if too_deep(raw, MAX_JSON_DEPTH + 2):
            raise ConfigError(f"month data {path} is nested more than {MAX_JSON_DEPTH} levels")
        entry = raw.get("sessions")
        sessions = None if isinstance(entry, list) else MonthSessions.open(Path(path).parent, entry)
        return cls.from_raw(raw, sessions)


def _columns_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's values, column by column (name, dtype, row hashes), by name."""
    digest = hashlib.sha256()
    for name in sorted(frame.columns):
        column = frame[name]
        digest.update(f"{name}\0{column.dtype}\0".encode())
        digest.update(pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes())
    return digest.hexdigest()


_SHAPES: dict[str, tuple[type, ...]] = {
    "month": (str,),
    "customer_id": (str, type(None)),
    "base_url": (str,),
    "fetched_at": (str,),
    "sessions": (list, dict),
    "info": (dict,),
    "previous_info": (dict,),
    "attributes": (dict, type(None)),
}


def _check_shape(raw: dict[str, Any]) -> None:
    """Refuse month data whose parts have the wrong JSON type (a hand-edited data.json)."""
    for key, kinds in _SHAPES.items():
        if not isinstance(raw[key], kinds):
            raise ConfigError(f"month data: {key!r} has the wrong type ({type(raw[key]).__name__})")
    if isinstance(raw["sessions"], list) and not all(
        isinstance(item, dict) for item in raw["sessions"]
    ):
        raise ConfigError("month data: 'sessions' holds something that is not a session object")


def _fetch_attributes(client: PortalClient) -> dict[str, Any]:
    """Customer attributes, or an empty payload when the Portal has none to give (a 4XX such as
    404 for the whole account). A wrong secret (401/403) or a rate limit that outlasted the
    retries (429) is an error: without the attributes the month could silently be read in the
    wrong time zone."""
    try:
        return client.customer_attributes()
    except (AuthError, RateLimitError):
        raise
    except PortalHTTPError as exc:
        if 400 <= exc.status < 500:
            return {"groups": [], "attributes": []}
        raise


def fetch_month(
    month: str | ReportMonth,
    customer_id: str | None = None,
    client: PortalClient | None = None,
    *,
    settings: ResolvedSettings | None = None,
    history_cache: HistoryCache | None = None,
) -> MonthData:
    """Fetch the customer's month: attributes first (they may name the time zone), then the
    month's sessions, its and the previous month's statistics, all for the local months'
    UTC ranges.
    The month's history (months older than that from ``history_cache`` when they are there)
    comes along, for the same local months.

    ``settings`` are the customer's from ``customers.toml`` (default: the current project's
    file, if any). ``month`` as ``"YYYY-MM"`` is read in the customer's zone (its setting,
    else its time-zone attribute, else the defaults, else UTC); a :class:`ReportMonth` is
    used as given. ``customer_id`` None is the whole account (no customer header), even when
    ``client`` or ``PORTAL_CUSTOMER_ID`` names a customer, so data always matches its
    parameters.
    The whole fetch runs under the client's fetch budget (``PORTAL_FETCH_BUDGET``).
    """
    if settings is None:
        from ..customers import CustomersConfig

        settings = CustomersConfig.load().settings_for(customer_id)
    if not isinstance(month, ReportMonth):
        month = parse_month(month)
    if client is None:
        from ..portal.client import PortalClient

        with PortalClient(customer_id=customer_id) as own:
            return fetch_month(
                month, customer_id, own, settings=settings, history_cache=history_cache
            )
    if client.customer_id != customer_id:  # None means the whole account, whatever the env says
        client = client.for_customer(customer_id)
    fetched_at = datetime.now(UTC).replace(microsecond=0)
    with client.budget(f"fetch of {month} for {customer_id or 'the whole account'}"):
        attributes = _fetch_attributes(client)
        if isinstance(month, ReportMonth):
            period, source = month, "given"
        else:
            tz, source = settings.resolve_time_zone(attributes)
            period = ReportMonth.parse(month, tz)
        if period.start_utc > fetched_at:  # begun at UTC+14 (the run's check), not here yet
            raise ConfigError(
                f"month {period.month} has not started yet in {period.time_zone} "
                f"(it begins {format_utc(period.start_utc)})"
            )
        previous = period.previous()
        start, end = period.range_utc  # each chunk typed as it arrives: no month of raw items
        frame = sessions_frame_chunks(client.session_chunks(start, end), start=start, end=end)
        sessions = MonthSessions.from_frame(frame)
        del frame
        raw = {
            "month": period.month,
            "customer_id": customer_id,
            "base_url": redact_url(client.base_url),
            "fetched_at": format_utc(fetched_at),
            "period": period.to_json(),
            "previous_period": previous.to_json(),
            "settings": settings.report_settings(source).to_json(period.time_zone),
            "sessions": sessions.entry(),
            "info": client.sessions_info(*period.range_utc),
            "previous_info": client.sessions_info(*previous.range_utc),
            "attributes": attributes,
            "data_source": "sandbox" if getattr(client, "sandbox", False) else "portal",
        }
        known = {period.month: raw["info"], previous.month: raw["previous_info"]}
        history = fetch_history(
            client,
            period.month,
            customer_id,
            known=known,
            cache=history_cache,
            time_zone=period.time_zone,
        )
        raw["history"] = history.to_json()
    return MonthData.from_raw(raw, sessions)


def load_month(
    month: str,
    customer_id: str | None = None,
    data_path: str | os.PathLike[str] | None = None,
) -> MonthData:
    """Load ``data_path`` (a runner's data.json) when it exists, else fetch the month live."""
    month = parse_month(month)
    if data_path is not None and Path(data_path).is_file():
        data = MonthData.load(data_path)
        if data.month != month or data.customer_id != customer_id:
            raise ConfigError(
                f"month data {data_path} is for month={data.month!r} "
                f"customer={data.customer_id!r}, not month={month!r} "
                f"customer={customer_id!r}"
            )
        return data
    return fetch_month(month, customer_id)
