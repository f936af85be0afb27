"""DataFrames at the edge: raw Portal JSON (sessions, info, attributes) to typed pandas frames.

Frames are built column-wise (fields pulled out in C-level passes, then one typed array per
column; no per-row Python work beyond the sparse arguments), so 100k sessions convert in
about 0.4 s. Empty input gives an empty frame
with the same columns and dtypes.

Values are checked here, once: a date-time pandas cannot hold, a negative, fractional or
astronomically large count, a non-finite number, a flag that is not a boolean become NA (or
are left out, for sessions outside the requested range) and are described, one line per
kind, in ``frame.attrs["problems"]`` / :attr:`SessionsInfo.problems`. Reports show those
lines as a data-quality warning; nothing invalid is silently turned into a zero.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from operator import itemgetter
from types import NoneType
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

__all__ = [
    "ATTRIBUTE_COLUMNS",
    "SESSION_COLUMNS",
    "SUMMARY_METRICS",
    "SessionsInfo",
    "attributes_frame",
    "info_frames",
    "sessions_frame",
    "sessions_frame_chunks",
]

ARG_PREFIX = "arg_"

_TS = "datetime64[ns, UTC]"
_TD = "timedelta64[ns]"
_STR = pd.StringDtype()
_INT = "Int64"
_CHANNELS = ["chat", "voice"]
_HOURS = ["working_hours", "non_working_hours"]
_PLAIN = {str, NoneType}
_ARROW_STRINGS = _STR.storage == "pyarrow"
_CATEGORY_TEXT = pd.Index(["text"]).dtype  # `str` on pandas 3, object on pandas 2

# Fixed columns of sessions_frame, in order, with the kind of dtype each one has.
SESSION_COLUMNS: dict[str, Any] = {
    "id": _STR,
    "created_at": _TS,
    "ended_at": _TS,
    "latest_message_datetime": _TS,
    "latest_event_datetime": _TS,
    "duration": _TD,
    "is_active": "bool",
    "persona_id": _STR,
    "persona_name": _STR,
    "persona_external_id": _STR,
    "persona_is_deleted": "boolean",
    "actor_id": _STR,
    "integration_idn": "category",
    "connector_idn": "category",
    "connector": "category",
    "channel": "category",
    "user_messages_count": _INT,
    "agent_messages_count": _INT,
    "messages_count": _INT,
    "events_count": _INT,
}

ATTRIBUTE_COLUMNS: dict[str, Any] = {
    "id": _STR,
    "idn": _STR,
    "value": _STR,
    "title": _STR,
    "description": _STR,
    "group": "category",
    "is_hidden": "bool",
    "possible_values": "object",
    "value_type": "category",
}

# Summary metrics in the order reports show them; extra metrics the Portal sends follow.
SUMMARY_METRICS = [
    "sessions",
    "leads",
    "revenue",
    "asr",
    "opportunity_sessions",
    "opportunity_value",
    "additional_deal",
    "units",
]
_SUMMARY_COLUMNS = ["working_hours", "non_working_hours", "total"]

_COUNTS = ("user_messages_count", "agent_messages_count", "messages_count", "events_count")
_STAMPS = ("created_at", "ended_at", "latest_message_datetime", "latest_event_datetime")

MAX_COUNT = 2**53  # larger counts are refused (float64 stops being exact there)
MAX_AMOUNT = 1e15  # larger amounts (revenue, ASR, ...) are refused as out of range
# Summary metrics that are counts (whole, >= 0) and amounts (>= 0); others must be finite.
_COUNT_METRICS = frozenset({"sessions", "leads", "opportunity_sessions", "additional_deal"})
_AMOUNT_METRICS = frozenset({"asr", "units"})
_NOW_WORDS = frozenset({"now", "today"})  # pandas reads these as the current time
_TS_MIN = pd.Timestamp.min.tz_localize("UTC")
_TS_MAX = pd.Timestamp.max.tz_localize("UTC")


def _example(value: Any) -> str:
    """A short, one-line rendering of a bad value for a problem line."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return f"a {len(str(abs(value)))}-digit number"
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(type(value).__name__)
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


class _Problems:
    """Collects invalid values by place and kind; renders one line per (place, kind)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], list[Any]] = {}

    def add(self, where: str, value: Any, kind: str, effect: str) -> None:
        entry = self._seen.setdefault((where, f"{kind}; {effect}"), [0, value])
        entry[0] += 1

    def lines(self) -> list[str]:
        out = []
        for (where, tail), (count, example) in self._seen.items():
            more = f" (and {count - 1} more)" if count > 1 else ""
            out.append(f"{where}: {_example(example)}{more} is {tail}")
        return out


def _as_count(value: Any) -> int | None:
    """A JSON count: a whole number 0..MAX_COUNT (int, integral float or digit string)."""
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit() or len(value) > 16:
            return None
        value = int(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_COUNT else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value) if 0 <= value <= MAX_COUNT else None
    return None


def _as_number(value: Any, *, negative: bool = True) -> float | None:
    """A finite JSON number within +-MAX_AMOUNT (numeric strings accepted), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # a 400-digit integer
        return None
    if not math.isfinite(number) or abs(number) > MAX_AMOUNT or (number < 0 and not negative):
        return None
    return number


def json_flag(value: Any) -> bool:
    """A JSON boolean as the Portal may send it: ``true``, or text/numbers meaning yes
    (``"true"``, ``"1"``, ``1``); ``"false"`` is False, unlike ``bool("false")``."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    if isinstance(value, bool | int | float):
        return bool(value)
    return False


def _text(value: Any) -> Any:
    """A JSON value as text: strings and None as they are, anything else as JSON."""
    if value is None or type(value) is str:
        return value
    return json.dumps(value, ensure_ascii=False)


def _texts(values: list[Any]) -> list[Any]:
    """``values`` with every non-string, non-null JSON value turned into text."""
    if set(map(type, values)) <= _PLAIN:
        return values
    return [_text(v) for v in values]


def _strings(values: list[Any]) -> ExtensionArray:
    """A ``string`` array (missing -> NA); non-string JSON values are turned into text."""
    if _ARROW_STRINGS:  # same dtype as pd.array(values, "string"), without the per-item checks
        import pyarrow as pa

        try:
            arrow = pa.array(values, type=pa.large_string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers, booleans, objects
            arrow = pa.array([_text(v) for v in values], type=pa.large_string())
        return pd.arrays.ArrowStringArray(arrow)
    return pd.array(_texts(values), dtype=_STR)


def _timestamps(
    values: list[Any], problems: _Problems | None = None, where: str = ""
) -> pd.DatetimeIndex:
    """Parse ISO 8601 strings (None -> NaT) into datetime64[ns, UTC].

    Anything else (numbers, objects, "now", unreadable text, dates pandas cannot hold such as
    year 9999) becomes NaT and is reported to ``problems``. The common all-valid case is one
    vectorised parse.
    """
    if set(map(type, values)) <= _PLAIN and not _NOW_WORDS.intersection(values):
        try:
            parsed = pd.DatetimeIndex(pd.to_datetime(values, utc=True, format="ISO8601"))
            parsed = parsed.as_unit("ns")
        except (ValueError, OverflowError, TypeError):  # OutOfBoundsDatetime is a ValueError
            parsed = None
        if parsed is not None and int(parsed.isna().sum()) == values.count(None):
            return parsed
    texts = [v if type(v) is str and v not in _NOW_WORDS else None for v in values]
    parsed = pd.DatetimeIndex(pd.to_datetime(texts, utc=True, format="ISO8601", errors="coerce"))
    if len(parsed):
        parsed = parsed.where((parsed >= _TS_MIN) & (parsed <= _TS_MAX))
    parsed = parsed.as_unit("ns")
    if problems is not None:
        missing = np.asarray(parsed.isna())
        for value, bad in zip(values, missing, strict=True):
            if bad and value is not None:
                problems.add(where, value, "not a date-time that can be used", "left empty")
    return parsed


def _category_dtype(categories: list[str]) -> pd.CategoricalDtype:
    """Categories typed like pandas' own text categories, even when empty (parquet keeps them)."""
    return pd.CategoricalDtype(pd.Index(categories, dtype=_CATEGORY_TEXT))


def _categorical(values: list[Any], categories: list[str] | None = None) -> pd.Categorical:
    """A categorical (missing -> NaN); categories fixed when given, else sorted from the data."""
    try:
        codes, uniques = pd.factorize(np.array(values, dtype=object))
        plain = all(type(v) is str for v in uniques)
    except (TypeError, ValueError):  # unhashable JSON values (lists, objects)
        plain = False
    if not plain:
        codes, uniques = pd.factorize(np.array([_text(v) for v in values], dtype=object))
    if categories is None:
        categories = sorted(uniques)
    position = {c: i for i, c in enumerate(categories)}
    remap = np.array([position.get(u, -1) for u in uniques] + [-1], dtype=np.int32)
    return pd.Categorical.from_codes(remap[codes], dtype=_category_dtype(categories))


def _pairs(left: pd.Categorical, right: pd.Categorical) -> pd.Categorical:
    """The categorical ``"<left>/<right>"`` of two categoricals, computed on their codes."""
    width = max(len(right.categories), 1)
    valid = (left.codes >= 0) & (right.codes >= 0)
    combined = np.where(valid, left.codes.astype(np.int64) * width + right.codes, -1)
    uniques, inverse = np.unique(combined, return_inverse=True)
    names = [
        None if u < 0 else f"{left.categories[u // width]}/{right.categories[u % width]}"
        for u in uniques.tolist()
    ]
    categories = sorted(n for n in names if n is not None)
    position = {n: i for i, n in enumerate(categories)}
    remap = np.array([position.get(n, -1) for n in names] + [-1], dtype=np.int32)
    dtype = _category_dtype(categories)
    return pd.Categorical.from_codes(remap[inverse.reshape(-1)], dtype=dtype)


def _channels(integrations: pd.Categorical) -> pd.Categorical:
    """The channel per session, from its integration: ``voice`` if the idn says so, else ``chat``."""
    per_integration = [_CHANNELS.index(_channel(c)) for c in integrations.categories] + [-1]
    codes = np.array(per_integration, dtype=np.int32)[integrations.codes]
    return pd.Categorical.from_codes(codes, dtype=_category_dtype(_CHANNELS))


def _channel(integration_idn: str) -> str:
    """The channel of an integration idn: ``voice`` when the idn says so, else ``chat``."""
    return "voice" if "voice" in integration_idn else "chat"


_ITEM_KEYS = (
    "id",
    *_STAMPS,
    "persona",
    "integration_idn",
    "connector_idn",
    *_COUNTS,
    "arguments",
)
_PERSONA_KEYS = ("id", "name", "external_id", "is_deleted", "actor_id")


def _columns(rows: list[Mapping[str, Any]], keys: tuple[str, ...]) -> dict[str, list[Any]]:
    """Fields of every row as lists, in one pass over the rows (missing key -> None).

    One ``itemgetter`` pass touches each row once (good memory locality on 100k dicts
    scattered by the JSON decoder); a row lacking a key falls back to ``dict.get`` per field.
    """
    if not rows:
        return {key: [] for key in keys}
    try:
        columns = zip(*map(itemgetter(*keys), rows), strict=True)
        return dict(zip(keys, map(list, columns), strict=True))
    except KeyError:
        return {key: list(map(dict.get, rows, repeat(key))) for key in keys}


def _arguments(values: list[Any]) -> dict[str, list[Any]]:
    """One list per argument key (None where a session lacks it), in one pass over the rows.

    Arguments are sparse and few per session, so walking each dict once beats one lookup
    pass per key over every session.
    """
    size = len(values)
    columns: dict[str, list[Any]] = {}
    for row, arguments in enumerate(values):
        if not isinstance(arguments, dict):
            continue
        for key, value in arguments.items():
            try:
                columns[key][row] = value
            except KeyError:
                columns[key] = [None] * size
                columns[key][row] = value
    return {str(key): column for key, column in columns.items()}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while columns are built.

    Building a frame allocates a container per row that survives until the end; the
    collector would otherwise run full passes over every item several times (2-3x slower).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sessions_frame(
    items: Iterable[Mapping[str, Any]],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """One typed row per session (columns per SESSION_COLUMNS, then ``arg_<key>`` sorted).

    With ``start``/``end`` (the range that was requested, inclusive) a session whose
    ``created_at`` is outside it or unreadable is left out. Values that cannot be used become
    NA. Either is described in ``frame.attrs["problems"]`` (absent when there is none).
    """
    return sessions_frame_chunks([items], start=start, end=end)


def sessions_frame_chunks(
    chunks: Iterable[Iterable[Mapping[str, Any]]],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """:func:`sessions_frame` of consecutive chunks of items (e.g.
    :meth:`~portal_reports.portal.client.PortalClient.session_chunks`), one chunk at a time.

    Each chunk becomes typed columns before the next one is read, so the raw items of a
    large month never sit in memory together; the result equals ``sessions_frame`` of all
    items (categories re-sorted over the whole month, argument columns united).
    """
    problems = _Problems()
    frames = []
    for chunk in chunks:  # the next chunk may be fetched here, with the collector running
        items = chunk if isinstance(chunk, list) else list(chunk)
        with _gc_paused():
            if start is not None or end is not None:
                items = _in_range(items, start, end, problems)
            frames.append(_sessions_frame(items, problems))
        del items, chunk
    frame = _concat_sessions(frames) if frames else _sessions_frame([], problems)
    lines = problems.lines()
    if lines:
        frame.attrs["problems"] = [f"Sessions: {line}" for line in lines]
    return frame


_CATEGORY_COLUMNS = ("integration_idn", "connector_idn", "connector")


def _concat_sessions(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Session frames one after the other, with the dtypes of a frame built in one go."""
    frames = [f for f in frames if len(f)] or frames[:1]
    if len(frames) == 1:
        return frames[0]
    arguments = sorted({c for f in frames for c in f.columns if c.startswith(ARG_PREFIX)})
    columns = [*SESSION_COLUMNS, *arguments]
    categories = {
        name: _category_dtype(sorted({str(c) for f in frames for c in f[name].cat.categories}))
        for name in _CATEGORY_COLUMNS
    }
    aligned = []
    for part in frames:
        cols = {}
        for name in columns:
            if name in categories:
                cols[name] = part[name].cat.set_categories(categories[name].categories)
            elif name in part.columns:
                cols[name] = part[name]
            else:  # an argument this chunk's sessions never carry
                cols[name] = _strings([None] * len(part))
        aligned.append(pd.DataFrame(cols, index=part.index, copy=False))
    return pd.concat(aligned, ignore_index=True)


def _in_range(
    items: list[Mapping[str, Any]],
    start: datetime | None,
    end: datetime | None,
    problems: _Problems,
) -> list[Mapping[str, Any]]:
    """``items`` without the sessions created outside [start, end] (or at no readable time)."""
    values = [item.get("created_at") for item in items]
    created = _timestamps(values)
    outside = np.asarray(created.isna())
    if start is not None:
        outside |= np.asarray(created < pd.Timestamp(start))
    if end is not None:  # the API's end is a whole second, inclusive: all of that second is in
        after = pd.Timestamp(end).floor("s") + pd.Timedelta(seconds=1)
        outside |= np.asarray(created >= after)
    if not outside.any():
        return items
    span = " to ".join(
        pd.Timestamp(t).strftime("%Y-%m-%dT%H:%M:%SZ") for t in (start, end) if t is not None
    )
    for value, bad in zip(values, outside, strict=True):
        if bad:
            problems.add(
                "created_at",
                value,
                f"not a date-time within the requested range {span}",
                "session left out",
            )
    return [item for item, bad in zip(items, outside, strict=True) if not bad]


def _counts(values: list[Any], problems: _Problems, where: str) -> ExtensionArray:
    """A nullable ``Int64`` array of counts; anything but a whole number >= 0 becomes NA."""
    if set(map(type, values)) <= {int, NoneType}:
        try:
            array = pd.array(values, dtype=_INT)
            if not ((array < 0).any() or (array > MAX_COUNT).any()):
                return array
        except (OverflowError, TypeError, ValueError):  # a 400-digit number
            pass
    clean = []
    for value in values:
        count = None if value is None else _as_count(value)
        if count is None and value is not None:
            problems.add(where, value, "not a count (a whole number >= 0)", "left empty")
        clean.append(count)
    return pd.array(clean, dtype=_INT)


def _flags(values: list[Any], problems: _Problems, where: str) -> ExtensionArray:
    """A nullable ``boolean`` array; anything but true/false/null becomes NA."""
    if not set(map(type, values)) <= {bool, NoneType}:
        clean = []
        for value in values:
            if value is not None and type(value) is not bool:
                problems.add(where, value, "not true or false", "left empty")
                value = None
            clean.append(value)
        values = clean
    return pd.array(values, dtype="boolean")


def _sessions_frame(items: list[Mapping[str, Any]], problems: _Problems) -> pd.DataFrame:
    """The body of :func:`sessions_frame` (runs with the garbage collector paused)."""
    fields = _columns(items, _ITEM_KEYS)
    cols: dict[str, Any] = {"id": _strings(fields["id"])}
    stamps = {key: _timestamps(fields[key], problems, key) for key in _STAMPS}
    cols.update(stamps)
    duration = (stamps["ended_at"] - stamps["created_at"]).as_unit("ns")
    backwards = np.asarray(duration < pd.Timedelta(0))
    if backwards.any():
        for value, bad in zip(fields["ended_at"], backwards, strict=True):
            if bad:
                problems.add("ended_at", value, "earlier than created_at", "duration left empty")
        duration = duration.where(~backwards)
    cols["duration"] = duration
    cols["is_active"] = np.asarray(stamps["ended_at"].isna(), dtype=bool)

    personas = [p if isinstance(p, dict) else {} for p in fields["persona"]]
    persona = _columns(personas, _PERSONA_KEYS)
    cols["persona_id"] = _strings(persona["id"])
    cols["persona_name"] = _strings(persona["name"])
    cols["persona_external_id"] = _strings(persona["external_id"])
    cols["persona_is_deleted"] = _flags(persona["is_deleted"], problems, "persona.is_deleted")
    cols["actor_id"] = _strings(persona["actor_id"])

    integrations = _categorical(fields["integration_idn"])
    connectors = _categorical(fields["connector_idn"])
    cols["integration_idn"] = integrations
    cols["connector_idn"] = connectors
    cols["connector"] = _pairs(integrations, connectors)
    cols["channel"] = _channels(integrations)
    for key in _COUNTS:
        cols[key] = _counts(fields[key], problems, key)

    arguments = _arguments(fields["arguments"])
    for key in sorted(arguments):
        cols[ARG_PREFIX + key] = _strings(arguments[key])
    return pd.DataFrame(cols, index=pd.RangeIndex(len(items)), copy=False)


@dataclass(repr=False)
class SessionsInfo:
    """The ``/sessions/info`` answer as frames, plus the range's session and lead totals."""

    leads_by_date: pd.DataFrame
    types: pd.DataFrame
    channels: pd.DataFrame
    hours: pd.DataFrame
    asr_by_date: pd.DataFrame
    summary: pd.DataFrame
    total_sessions: int = 0
    total_leads: int = 0
    raw: dict[str, Any] = field(default_factory=dict)
    #: One line per kind of value that could not be used (empty when all were fine).
    problems: list[str] = field(default_factory=list)
    #: The summary cells (metric, column) the Portal sent but that were invalid (shown as –).
    invalid: frozenset[tuple[str, str]] = frozenset()

    @property
    def conversion(self) -> float | None:
        """Leads per session (None when there are no sessions)."""
        return self.total_leads / self.total_sessions if self.total_sessions else None

    def metric(self, name: str, column: str = "total") -> float:
        """One summary figure, e.g. ``metric("revenue")``; NaN when the Portal did not send it."""
        try:
            return float(self.summary.at[name, column])
        except KeyError:
            return float("nan")

    def top_types(self, is_lead: bool, n: int = 3) -> list[tuple[str, int]]:
        """The ``n`` most frequent session types among leads (or non-leads)."""
        rows = self.types[self.types["is_lead"] == is_lead]
        rows = rows.sort_values("total_sessions", ascending=False, kind="stable").head(n)
        return [
            (str(a), int(t)) for a, t in zip(rows["argument"], rows["total_sessions"], strict=True)
        ]

    def summary_table(self, top: int = 3) -> str:
        """A readable multi-line summary (totals, conversion, hours, channels, types, money)."""
        total = self.total_sessions
        lines = [("Sessions", f"{total:,}")]
        conv = self.conversion
        conv_text = f" ({conv:.1%} conversion)" if conv is not None else ""
        lines.append(("Leads", f"{self.total_leads:,}{conv_text}"))
        hours = dict(zip(self.hours["hour"].astype(str), self.hours["count"], strict=True))
        for key, label in (
            ("working_hours", "Working hours"),
            ("non_working_hours", "Non-working"),
        ):
            count = hours.get(key)
            if count is None:  # no sessions_by_hours row: the summary's split, if sent
                count = self.metric("sessions", key)
            if count is None or np.isnan(count):
                lines.append((label, "-"))
                continue
            count = int(count)
            lines.append((label, f"{count:,}{_share(count, total)}"))
        channels = ", ".join(
            f"{c} {int(n):,}{_share(int(n), total)}"
            for c, n in zip(
                self.channels["channel"].astype(str), self.channels["count"], strict=True
            )
        )
        lines.append(("Channels", channels or "-"))
        for is_lead, label in ((True, "Top lead types"), (False, "Top other types")):
            text = ", ".join(f"{a} {n:,}" for a, n in self.top_types(is_lead, top))
            lines.append((label, text or "-"))
        for metric, label, money in (
            ("revenue", "Revenue", True),
            ("opportunity_value", "Opportunity value", True),
            ("opportunity_sessions", "Opportunities", False),
            ("additional_deal", "Additional deals", False),
            ("units", "Units", False),
            ("asr", "ASR", True),
        ):
            value = self.metric(metric)
            if np.isnan(value):
                continue
            work, off = (
                self.metric(metric, "working_hours"),
                self.metric(metric, "non_working_hours"),
            )
            fmt = "{:,.2f}" if money else "{:,.0f}"
            split = ""
            if not (np.isnan(work) or np.isnan(off)):
                split = f"  (working {fmt.format(work)} / non-working {fmt.format(off)})"
            lines.append((label, fmt.format(value) + split))
        width = max(len(label) for label, _ in lines)
        return "\n".join(f"{label:<{width}}  {value}" for label, value in lines)

    def __str__(self) -> str:
        return self.summary_table()

    def __repr__(self) -> str:
        return (
            f"SessionsInfo(total_sessions={self.total_sessions}, total_leads={self.total_leads},"
            f" days={len(self.leads_by_date)})"
        )


def _share(part: int, total: int) -> str:
    return f" ({part / total:.1%})" if total else ""


def _rows(value: Any) -> list[dict[str, Any]]:
    """A list of dict rows from a JSON value (anything else -> [])."""
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    """A JSON object, or {} for anything else."""
    return value if isinstance(value, Mapping) else {}


class _InfoReader:
    """Reads the values of one ``/sessions/info`` answer, noting every one it cannot use."""

    def __init__(self) -> None:
        self.problems = _Problems()

    def dates(
        self, rows: list[dict[str, Any]], where: str, start: datetime | None, end: datetime | None
    ) -> tuple[list[dict[str, Any]], pd.DatetimeIndex]:
        """(rows kept, their ``date`` as naive datetime64[ns]): rows with an unreadable date
        or one outside [start, end] are left out."""
        values = [r.get("date") for r in rows]
        stamps = _timestamps(values)
        bad = np.asarray(stamps.isna())
        if start is not None:
            bad |= np.asarray(stamps < pd.Timestamp(start).floor("D"))
        if end is not None:
            bad |= np.asarray(stamps > pd.Timestamp(end))
        if bad.any():
            for value, wrong in zip(values, bad, strict=True):
                if wrong:
                    self.problems.add(
                        f"{where}.date", value, "not a date of the month", "row left out"
                    )
            rows = [r for r, wrong in zip(rows, bad, strict=True) if not wrong]
            stamps = stamps[~bad]
        dates = pd.DatetimeIndex(stamps.tz_convert(None)).as_unit("ns").normalize()
        repeated = np.asarray(dates.duplicated())
        if repeated.any():  # one row per date: later ones are left out
            for row, again in zip(rows, repeated, strict=True):
                if again:
                    self.problems.add(
                        f"{where}.date", row.get("date"), "a date already listed", "row left out"
                    )
            rows = [r for r, again in zip(rows, repeated, strict=True) if not again]
            dates = dates[~repeated]
        return rows, dates

    def counts(self, values: list[Any], where: str) -> np.ndarray:
        """int64 counts; missing -> 0; invalid -> 0, noted."""
        out = []
        for value in values:
            count = 0 if value is None else _as_count(value)
            if count is None:
                self.problems.add(where, value, "not a count (a whole number >= 0)", "counted as 0")
                count = 0
            out.append(count)
        return np.asarray(out, dtype="int64")

    def amounts(self, values: list[Any], where: str) -> np.ndarray:
        """float64 amounts >= 0; missing -> NaN; invalid -> NaN, noted."""
        out = []
        for value in values:
            number = np.nan if value is None else _as_number(value, negative=False)
            if number is None:
                self.problems.add(where, value, "not an amount >= 0", "left empty")
                number = np.nan
            out.append(number)
        return np.asarray(out, dtype="float64")

    def summary(self, raw: Any) -> tuple[pd.DataFrame, frozenset[tuple[str, str]]]:
        """The summary frame and the (metric, column) cells that were sent but invalid."""
        raw = _mapping(raw)
        metrics = SUMMARY_METRICS + [m for m in raw if m not in SUMMARY_METRICS]
        invalid: set[tuple[str, str]] = set()
        columns: dict[str, list[float]] = {col: [] for col in _SUMMARY_COLUMNS}
        for metric in metrics:
            cells = raw.get(metric)
            if cells is not None and not isinstance(cells, Mapping):
                self.problems.add(f"summary.{metric}", cells, "not an object", "left empty")
                invalid.update((metric, col) for col in _SUMMARY_COLUMNS)
                cells = {}
            cells = cells or {}
            for col in _SUMMARY_COLUMNS:
                value = cells.get(col)
                number = np.nan if value is None else _summary_number(metric, value)
                if number is None:
                    kind = _SUMMARY_KINDS.get(_metric_kind(metric), "a finite number")
                    self.problems.add(f"summary.{metric}.{col}", value, kind, "shown as –")
                    invalid.add((metric, col))
                    number = np.nan
                columns[col].append(number)
        frame = pd.DataFrame(
            {col: np.asarray(values, dtype="float64") for col, values in columns.items()},
            index=pd.Index(metrics, name="metric", dtype=object),
        )
        sessions, leads = frame.at["sessions", "total"], frame.at["leads", "total"]
        if leads > sessions:  # False when either is NaN
            self.problems.add(
                "summary.leads.total",
                leads,
                f"more than the {sessions:,.0f} sessions",
                "the conversion rate is over 100%",
            )
        return frame, frozenset(invalid)

    def total(self, value: Any, fallback: int, where: str) -> int:
        """A range total (count), else ``fallback`` (the sum of the per-day rows)."""
        if value is None:
            return int(fallback)
        count = _as_count(value)
        if count is None:
            self.problems.add(
                where, value, "not a count (a whole number >= 0)", "the per-day sum is used"
            )
            return int(fallback)
        return count


_SUMMARY_KINDS = {
    "count": "not a count (a number >= 0)",
    "amount": "not an amount >= 0",
    "number": "not a finite number",
}


def _metric_kind(metric: str) -> str:
    if metric in _COUNT_METRICS:
        return "count"
    return "amount" if metric in _AMOUNT_METRICS else "number"


def _summary_number(metric: str, value: Any) -> float | None:
    """A summary cell: counts and amounts >= 0 (a count split into working and non-working
    hours may be fractional), any other metric finite; all within +-MAX_AMOUNT."""
    return _as_number(value, negative=_metric_kind(metric) == "number")


def _label_texts(values: list[Any]) -> list[Any]:
    """Category names as text (None kept): a Portal may send numbers or objects."""
    return [None if v is None else _text(v) for v in values]


def info_frames(
    info: Mapping[str, Any], *, start: datetime | None = None, end: datetime | None = None
) -> SessionsInfo:
    """Turn the raw ``/sessions/info`` JSON into a :class:`SessionsInfo` of typed frames.

    Values that cannot be used (see the module docstring) are left out, counted as 0 or left
    empty, each kind described in :attr:`SessionsInfo.problems`; the summary cells sent but
    invalid are in :attr:`SessionsInfo.invalid`. With ``start``/``end`` (the requested range),
    per-day rows dated outside it are left out too.
    """
    read = _InfoReader()
    info = _mapping(info)
    by_leads = _mapping(info.get("sessions_by_leads"))
    leads, lead_dates = read.dates(
        _rows(by_leads.get("items")), "sessions_by_leads.items", start, end
    )
    leads_by_date = pd.DataFrame(
        {
            "date": lead_dates,
            "total_sessions": read.counts(
                [r.get("total_sessions") for r in leads], "sessions_by_leads.items.total_sessions"
            ),
            "total_sessions_leads": read.counts(
                [r.get("total_sessions_leads") for r in leads],
                "sessions_by_leads.items.total_sessions_leads",
            ),
        }
    )
    by_type = _mapping(info.get("sessions_by_type"))
    type_rows = [(r, True) for r in _rows(by_type.get("sessions_leads"))]
    type_rows += [(r, False) for r in _rows(by_type.get("sessions_non_leads"))]
    types = pd.DataFrame(
        {
            "argument": pd.array([_text(r.get("argument")) for r, _ in type_rows], dtype=_STR),
            "total_sessions": read.counts(
                [r.get("total_sessions") for r, _ in type_rows], "sessions_by_type.total_sessions"
            ),
            "is_lead": np.asarray([lead for _, lead in type_rows], dtype=bool),
        }
    )
    channel_rows = _rows(info.get("sessions_by_channel"))
    channel_names = _label_texts([r.get("channel") for r in channel_rows])
    extra = [c for c in dict.fromkeys(channel_names) if c is not None and c not in _CHANNELS]
    channels = pd.DataFrame(
        {
            "channel": _categorical(channel_names, _CHANNELS + extra),
            "count": read.counts(
                [r.get("count") for r in channel_rows], "sessions_by_channel.count"
            ),
        }
    )
    hour_rows = _rows(info.get("sessions_by_hours"))
    hour_names = _label_texts([r.get("hour") for r in hour_rows])
    extra = [h for h in dict.fromkeys(hour_names) if h is not None and h not in _HOURS]
    hours = pd.DataFrame(
        {
            "hour": _categorical(hour_names, _HOURS + extra),
            "count": read.counts([r.get("count") for r in hour_rows], "sessions_by_hours.count"),
        }
    )
    asr_rows, asr_dates = read.dates(
        _rows(info.get("sessions_by_asr")), "sessions_by_asr", start, end
    )
    asr_by_date = pd.DataFrame(
        {
            "date": asr_dates,
            "asr_amount": read.amounts(
                [r.get("asr_amount") for r in asr_rows], "sessions_by_asr.asr_amount"
            ),
        }
    )
    summary, invalid = read.summary(info.get("summary"))
    total_sessions = read.total(
        by_leads.get("total_sessions"),
        leads_by_date["total_sessions"].sum(),
        "sessions_by_leads.total_sessions",
    )
    total_leads = read.total(
        by_leads.get("total_sessions_leads"),
        leads_by_date["total_sessions_leads"].sum(),
        "sessions_by_leads.total_sessions_leads",
    )
    return SessionsInfo(
        leads_by_date=leads_by_date,
        types=types,
        channels=channels,
        hours=hours,
        asr_by_date=asr_by_date,
        summary=summary,
        total_sessions=total_sessions,
        total_leads=total_leads,
        raw=dict(info),
        problems=[  # summary first: it feeds the headline figures
            f"Statistics: {line}"
            for line in sorted(read.problems.lines(), key=lambda x: not x.startswith("summary"))
        ],
        invalid=invalid,
    )


def attributes_frame(payload: Mapping[str, Any]) -> pd.DataFrame:
    """One row per customer attribute; ``.attrs["groups"]`` keeps the payload's group list."""
    payload = _mapping(payload)
    rows = _rows(payload.get("attributes"))
    groups = payload.get("groups")
    groups = list(groups) if isinstance(groups, list) else []
    group_names = [r.get("group") for r in rows]
    frame = pd.DataFrame(
        {
            "id": _strings([r.get("id") for r in rows]),
            "idn": _strings([r.get("idn") for r in rows]),
            "value": _strings([r.get("value") for r in rows]),
            "title": _strings([r.get("title") for r in rows]),
            "description": _strings([r.get("description") for r in rows]),
            "group": _categorical(
                group_names,
                [g for g in dict.fromkeys([*groups, *group_names]) if isinstance(g, str)],
            ),
            "is_hidden": np.asarray([json_flag(r.get("is_hidden")) for r in rows], dtype=bool),
            "possible_values": _object([_list(r.get("possible_values")) for r in rows]),
            "value_type": _categorical([r.get("value_type") for r in rows]),
        }
    )
    frame.attrs["groups"] = groups
    return frame


def _list(value: Any) -> list[Any]:
    """A JSON list as a list (None -> [], another value -> [value])."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _object(values: list[Any]) -> np.ndarray:
    """An object array holding each value as is (lists stay lists)."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out
