"""DataFrames at the edge: raw Portal JSON (sessions, info, attributes) to typed pandas frames.

Frames are built column-wise (fields pulled out in C-level passes, then one typed array per
column; no per-row Python work beyond the sparse arguments), so 100k sessions convert in
about 0.4 s. Empty input gives an empty frame
with the same columns and dtypes.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
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


def _timestamps(values: list[Any]) -> pd.DatetimeIndex:
    """Parse ISO 8601 UTC strings (None -> NaT) into datetime64[ns, UTC]."""
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True, format="ISO8601")).as_unit("ns")


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


def sessions_frame(items: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One typed row per session (columns per SESSION_COLUMNS, then ``arg_<key>`` sorted)."""
    items = items if isinstance(items, list) else list(items)
    with _gc_paused():
        return _sessions_frame(items)


def _sessions_frame(items: list[Mapping[str, Any]]) -> pd.DataFrame:
    """The body of :func:`sessions_frame` (runs with the garbage collector paused)."""
    fields = _columns(items, _ITEM_KEYS)
    cols: dict[str, Any] = {"id": _strings(fields["id"])}
    stamps = {key: _timestamps(fields[key]) for key in _STAMPS}
    cols.update(stamps)
    cols["duration"] = (stamps["ended_at"] - stamps["created_at"]).as_unit("ns")
    cols["is_active"] = np.asarray(stamps["ended_at"].isna(), dtype=bool)

    personas = [p if isinstance(p, dict) else {} for p in fields["persona"]]
    persona = _columns(personas, _PERSONA_KEYS)
    cols["persona_id"] = _strings(persona["id"])
    cols["persona_name"] = _strings(persona["name"])
    cols["persona_external_id"] = _strings(persona["external_id"])
    cols["persona_is_deleted"] = pd.array(persona["is_deleted"], dtype="boolean")
    cols["actor_id"] = _strings(persona["actor_id"])

    integrations = _categorical(fields["integration_idn"])
    connectors = _categorical(fields["connector_idn"])
    cols["integration_idn"] = integrations
    cols["connector_idn"] = connectors
    cols["connector"] = _pairs(integrations, connectors)
    cols["channel"] = _channels(integrations)
    for key in _COUNTS:
        cols[key] = pd.array(fields[key], dtype=_INT)

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
            count = int(hours.get(key, 0))
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


def _dates(values: list[Any]) -> pd.DatetimeIndex:
    """``YYYY-MM-DD`` strings as naive datetime64[ns] dates."""
    return pd.DatetimeIndex(pd.to_datetime(values, format="ISO8601")).as_unit("ns")


def _ints(values: list[Any]) -> np.ndarray:
    return np.asarray([0 if v is None else v for v in values], dtype="int64")


def _floats(values: list[Any]) -> np.ndarray:
    return np.asarray([np.nan if v is None else v for v in values], dtype="float64")


def info_frames(info: Mapping[str, Any]) -> SessionsInfo:
    """Turn the raw ``/sessions/info`` JSON into a :class:`SessionsInfo` of typed frames."""
    by_leads = info.get("sessions_by_leads") or {}
    leads = _rows(by_leads.get("items"))
    leads_by_date = pd.DataFrame(
        {
            "date": _dates([r.get("date") for r in leads]),
            "total_sessions": _ints([r.get("total_sessions") for r in leads]),
            "total_sessions_leads": _ints([r.get("total_sessions_leads") for r in leads]),
        }
    )
    by_type = info.get("sessions_by_type") or {}
    type_rows = [(r, True) for r in _rows(by_type.get("sessions_leads"))]
    type_rows += [(r, False) for r in _rows(by_type.get("sessions_non_leads"))]
    types = pd.DataFrame(
        {
            "argument": pd.array([_text(r.get("argument")) for r, _ in type_rows], dtype=_STR),
            "total_sessions": _ints([r.get("total_sessions") for r, _ in type_rows]),
            "is_lead": np.asarray([lead for _, lead in type_rows], dtype=bool),
        }
    )
    channel_rows = _rows(info.get("sessions_by_channel"))
    channel_names = [r.get("channel") for r in channel_rows]
    extra = [c for c in dict.fromkeys(channel_names) if c is not None and c not in _CHANNELS]
    channels = pd.DataFrame(
        {
            "channel": _categorical(channel_names, _CHANNELS + extra),
            "count": _ints([r.get("count") for r in channel_rows]),
        }
    )
    hour_rows = _rows(info.get("sessions_by_hours"))
    hour_names = [r.get("hour") for r in hour_rows]
    extra = [h for h in dict.fromkeys(hour_names) if h is not None and h not in _HOURS]
    hours = pd.DataFrame(
        {
            "hour": _categorical(hour_names, _HOURS + extra),
            "count": _ints([r.get("count") for r in hour_rows]),
        }
    )
    asr_rows = _rows(info.get("sessions_by_asr"))
    asr_by_date = pd.DataFrame(
        {
            "date": _dates([r.get("date") for r in asr_rows]),
            "asr_amount": _floats([r.get("asr_amount") for r in asr_rows]),
        }
    )
    raw_summary = info.get("summary") or {}
    metrics = SUMMARY_METRICS + [m for m in raw_summary if m not in SUMMARY_METRICS]
    summary = pd.DataFrame(
        {
            col: _floats([(raw_summary.get(m) or {}).get(col) for m in metrics])
            for col in _SUMMARY_COLUMNS
        },
        index=pd.Index(metrics, name="metric", dtype=object),
    )
    total_sessions = by_leads.get("total_sessions")
    if total_sessions is None:
        total_sessions = leads_by_date["total_sessions"].sum()
    total_leads = by_leads.get("total_sessions_leads")
    if total_leads is None:
        total_leads = leads_by_date["total_sessions_leads"].sum()
    return SessionsInfo(
        leads_by_date=leads_by_date,
        types=types,
        channels=channels,
        hours=hours,
        asr_by_date=asr_by_date,
        summary=summary,
        total_sessions=int(total_sessions),
        total_leads=int(total_leads),
        raw=dict(info),
    )


def attributes_frame(payload: Mapping[str, Any]) -> pd.DataFrame:
    """One row per customer attribute; ``.attrs["groups"]`` keeps the payload's group list."""
    rows = _rows(payload.get("attributes"))
    groups = list(payload.get("groups") or [])
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
            "is_hidden": np.asarray([bool(r.get("is_hidden")) for r in rows], dtype=bool),
            "possible_values": _object([list(r.get("possible_values") or []) for r in rows]),
            "value_type": _categorical([r.get("value_type") for r in rows]),
        }
    )
    frame.attrs["groups"] = groups
    return frame


def _object(values: list[Any]) -> np.ndarray:
    """An object array holding each value as is (lists stay lists)."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out
