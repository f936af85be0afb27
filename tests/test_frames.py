"""Frames: typed columns from raw Portal JSON, nulls, empty input, info and attributes frames."""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from conftest import MONTH

from portal_reports.data.frames import (
    SESSION_COLUMNS,
    SUMMARY_METRICS,
    SessionsInfo,
    attributes_frame,
    info_frames,
    sessions_frame,
    sessions_frame_chunks,
)
from portal_reports.dates import month_range

FIXED = list(SESSION_COLUMNS)

SPEC_INFO = {
    "sessions_by_leads": {
        "items": [{"date": "2024-01-01", "total_sessions": 10, "total_sessions_leads": 5}],
        "total_sessions": 100,
        "total_sessions_leads": 50,
    },
    "sessions_by_type": {
        "sessions_leads": [{"argument": "booking", "total_sessions": 20}],
        "sessions_non_leads": [{"argument": "support", "total_sessions": 30}],
    },
    "sessions_by_channel": [{"channel": "chat", "count": 70}, {"channel": "voice", "count": 30}],
    "sessions_by_hours": [
        {"hour": "working_hours", "count": 80},
        {"hour": "non_working_hours", "count": 20},
    ],
    "sessions_by_asr": [{"date": "2024-01-01", "asr_amount": 10.5}],
    "summary": {
        "asr": {"non_working_hours": 2, "working_hours": 8, "total": 10},
        "revenue": {"non_working_hours": 1000, "working_hours": 4000, "total": 5000},
        "sessions": {"non_working_hours": 20, "working_hours": 80, "total": 100},
        "leads": {"non_working_hours": 5, "working_hours": 15, "total": 20},
        "opportunity_sessions": {"non_working_hours": 1, "working_hours": 5, "total": 6},
        "opportunity_value": {"non_working_hours": 200, "working_hours": 800, "total": 1000},
        "additional_deal": {"non_working_hours": 1, "working_hours": 3, "total": 4},
        "units": {"non_working_hours": 50, "working_hours": 150, "total": 200},
    },
}

SPEC_ATTRIBUTES = {
    "groups": ["group", "empty group"],
    "attributes": [
        {
            "id": "123e4567-e89b-12d3-a456-426614174000",
            "idn": "attribute_1",
            "value": "value_1",
            "title": "Title",
            "description": "description",
            "group": "group",
            "is_hidden": False,
            "possible_values": [],
            "value_type": "string",
        },
        {
            "id": "223e4567-e89b-12d3-a456-426614174000",
            "idn": "attribute_2",
            "value": "b",
            "title": "Choice",
            "description": None,
            "group": "group",
            "is_hidden": True,
            "possible_values": ["a", "b"],
            "value_type": "enum",
        },
    ],
}


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_item(**overrides) -> dict:
    """One session item shaped like the spec's example."""
    item = {
        "id": str(uuid.uuid4()),
        "persona": {
            "id": "p-1",
            "actor_id": "a-1",
            "name": "Jane",
            "external_id": "ext-1",
            "is_deleted": False,
        },
        "integration_idn": "newo_voice",
        "connector_idn": "main",
        "created_at": "2024-01-01T12:00:00Z",
        "arguments": {"session_type": "booking", "is_lead": "true"},
        "user_messages_count": 10,
        "agent_messages_count": 5,
        "messages_count": 15,
        "events_count": 2,
        "latest_message_datetime": "2024-01-01T12:10:00Z",
        "latest_event_datetime": "2024-01-01T12:15:00Z",
        "ended_at": "2024-01-01T12:30:00Z",
    }
    item.update(overrides)
    return item


def _dtype_names(frame: pd.DataFrame) -> dict[str, str]:
    return {c: str(t) for c, t in frame.dtypes.items()}


EXPECTED_DTYPES = {
    "id": "string",
    "created_at": "datetime64[ns, UTC]",
    "ended_at": "datetime64[ns, UTC]",
    "latest_message_datetime": "datetime64[ns, UTC]",
    "latest_event_datetime": "datetime64[ns, UTC]",
    "duration": "timedelta64[ns]",
    "is_active": "bool",
    "persona_id": "string",
    "persona_name": "string",
    "persona_external_id": "string",
    "persona_is_deleted": "boolean",
    "actor_id": "string",
    "integration_idn": "category",
    "connector_idn": "category",
    "connector": "category",
    "channel": "category",
    "user_messages_count": "Int64",
    "agent_messages_count": "Int64",
    "messages_count": "Int64",
    "events_count": "Int64",
}


def test_columns_and_dtypes_follow_the_contract():
    frame = sessions_frame([make_item(), make_item(arguments={"units": "2", "asr_amount": "1.5"})])
    assert list(frame.columns) == FIXED + [
        "arg_asr_amount",
        "arg_is_lead",
        "arg_session_type",
        "arg_units",
    ]
    names = _dtype_names(frame)
    assert {c: names[c] for c in FIXED} == EXPECTED_DTYPES
    assert all(names[c] == "string" for c in frame.columns if c.startswith("arg_"))
    row = frame.iloc[0]
    assert row["created_at"] == pd.Timestamp("2024-01-01T12:00:00Z")
    assert row["duration"] == pd.Timedelta(minutes=30)
    assert not row["is_active"]
    assert row["connector"] == "newo_voice/main"
    assert row["channel"] == "voice"
    assert row["user_messages_count"] == 10
    assert pd.isna(frame.loc[0, "arg_units"]) and frame.loc[1, "arg_units"] == "2"
    assert isinstance(frame.index, pd.RangeIndex)


def test_empty_input_has_the_same_columns_and_dtypes():
    empty = sessions_frame([])
    full = sessions_frame([make_item()])
    assert list(empty.columns) == FIXED
    assert len(empty) == 0
    assert _dtype_names(empty) == {c: _dtype_names(full)[c] for c in FIXED}
    assert list(empty["channel"].cat.categories) == ["chat", "voice"]
    for column in ("integration_idn", "connector_idn", "connector", "channel"):
        assert empty[column].cat.categories.dtype == full[column].cat.categories.dtype
    assert list(sessions_frame(iter([])).columns) == FIXED


def test_empty_and_full_frames_survive_parquet(tmp_path):
    for name, frame in (("empty", sessions_frame([])), ("full", sessions_frame([make_item()]))):
        frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
        back = pd.read_parquet(tmp_path / f"{name}.parquet")
        assert _dtype_names(back) == _dtype_names(frame), name


def test_nulls_active_session_latest_null_deleted_persona_empty_arguments():
    active = make_item(ended_at=None, latest_message_datetime=None, latest_event_datetime=None)
    deleted = make_item(
        persona={
            "id": "p-2",
            "actor_id": None,
            "name": None,
            "external_id": None,
            "is_deleted": True,
        },
        arguments={},
    )
    no_persona = make_item(persona=None, arguments=None)
    frame = sessions_frame([active, deleted, no_persona])

    assert frame["is_active"].tolist() == [True, False, False]
    assert pd.isna(frame.loc[0, "ended_at"]) and pd.isna(frame.loc[0, "duration"])
    assert frame.loc[0, ["latest_message_datetime", "latest_event_datetime"]].isna().all()

    assert frame.loc[1, "persona_is_deleted"] == True  # noqa: E712 (pandas boolean scalar)
    assert frame.loc[1, "persona_id"] == "p-2"
    assert frame.loc[1, ["persona_name", "persona_external_id", "actor_id"]].isna().all()
    assert frame.loc[1, ["arg_is_lead", "arg_session_type"]].isna().all()

    persona_cols = ["persona_id", "persona_name", "persona_external_id", "persona_is_deleted"]
    assert frame.loc[2, persona_cols + ["actor_id"]].isna().all()
    assert frame.loc[2, ["arg_is_lead", "arg_session_type"]].isna().all()
    assert _dtype_names(frame)["persona_is_deleted"] == "boolean"


def test_unknown_fields_are_ignored_and_missing_fields_are_na():
    extra = make_item(brand_new_field={"x": 1}, another=[1, 2])
    missing = make_item()
    del missing["events_count"], missing["connector_idn"], missing["latest_event_datetime"]
    frame = sessions_frame([extra, missing])
    assert list(frame.columns[: len(FIXED)]) == FIXED
    assert not any("brand_new" in c or "another" in c for c in frame.columns)
    assert pd.isna(frame.loc[1, "events_count"]) and frame.loc[0, "events_count"] == 2
    assert pd.isna(frame.loc[1, "connector_idn"]) and pd.isna(frame.loc[1, "connector"])
    assert frame.loc[1, "channel"] == "voice"  # the integration alone decides the channel
    assert pd.isna(frame.loc[1, "latest_event_datetime"])


def test_non_string_argument_values_become_text():
    item = make_item(
        arguments={
            "n": 2,
            "f": 1.5,
            "flag": True,
            "obj": {"a": "Ä", "b": [1]},
            "lst": ["x", 1],
            "none": None,
        }
    )
    row = sessions_frame([item]).iloc[0]
    assert row["arg_n"] == "2"
    assert row["arg_f"] == "1.5"
    assert row["arg_flag"] == "true"
    assert json.loads(row["arg_obj"]) == {"a": "Ä", "b": [1]}
    assert "Ä" in row["arg_obj"]
    assert json.loads(row["arg_lst"]) == ["x", 1]
    assert pd.isna(row["arg_none"])


def test_channel_connector_and_categories():
    items = [
        make_item(integration_idn="twilio_voice", connector_idn="line-2"),
        make_item(integration_idn="whatsapp", connector_idn="main"),
        make_item(integration_idn="sandbox", connector_idn="main"),
        make_item(integration_idn="newo_voice", connector_idn="main"),
        make_item(integration_idn=None, connector_idn="main"),
    ]
    frame = sessions_frame(items)
    assert frame["channel"].tolist()[:4] == ["voice", "chat", "chat", "voice"]
    assert pd.isna(frame.loc[4, "channel"]) and pd.isna(frame.loc[4, "connector"])
    assert frame["connector"].tolist()[:4] == [
        "twilio_voice/line-2",
        "whatsapp/main",
        "sandbox/main",
        "newo_voice/main",
    ]
    assert list(frame["connector"].cat.categories) == sorted(frame["connector"].dropna().unique())
    assert list(frame["integration_idn"].cat.categories) == [
        "newo_voice",
        "sandbox",
        "twilio_voice",
        "whatsapp",
    ]
    assert list(frame["channel"].cat.categories) == ["chat", "voice"]


def test_timestamps_with_fraction_or_offset_are_parsed_to_utc():
    item = make_item(created_at="2024-01-01T13:00:00.250+01:00", ended_at="2024-01-01T12:30:00Z")
    frame = sessions_frame([item])
    assert frame.loc[0, "created_at"] == pd.Timestamp("2024-01-01T12:00:00.250Z")
    assert frame.loc[0, "duration"] == pd.Timedelta(minutes=29, seconds=59.75)


def _random_item(rng: random.Random, base: datetime) -> dict:
    created = base + timedelta(seconds=rng.randrange(30 * 86400))
    ended = None if rng.random() < 0.2 else created + timedelta(seconds=rng.randrange(1, 3600))
    maybe = lambda value: None if rng.random() < 0.2 else value  # noqa: E731
    keys = ["session_type", "is_lead", "revenue", "units", "caller_language"]
    arguments = {k: str(rng.randrange(100)) for k in keys if rng.random() < 0.5}
    persona = None
    if rng.random() < 0.9:
        persona = {
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "actor_id": maybe(f"actor-{rng.randrange(50)}"),
            "name": maybe(rng.choice(["Ana", "Björn", "Zoë", ""])),
            "external_id": maybe(f"ext-{rng.randrange(50)}"),
            "is_deleted": rng.random() < 0.1,
        }
    messages = rng.randrange(40)
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "persona": persona,
        "integration_idn": rng.choice(["newo_voice", "twilio_voice", "newo_chat", "telegram"]),
        "connector_idn": rng.choice(["main", "backup"]),
        "created_at": _ts(created),
        "arguments": arguments,
        "user_messages_count": messages // 2,
        "agent_messages_count": messages - messages // 2,
        "messages_count": messages,
        "events_count": maybe(rng.randrange(5)),
        "latest_message_datetime": maybe(_ts(created + timedelta(seconds=5))),
        "latest_event_datetime": maybe(_ts(created + timedelta(seconds=9))),
        "ended_at": None if ended is None else _ts(ended),
    }


def _na(value):
    return None if value is None or value is pd.NA or value is pd.NaT else value


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_items_round_trip_row_by_row(seed):
    rng = random.Random(seed)
    base = datetime(2026, 9, 1, tzinfo=UTC)
    items = [_random_item(rng, base) for _ in range(300)]
    frame = sessions_frame(items)
    assert len(frame) == len(items)
    arg_keys = sorted({k for it in items for k in it["arguments"]})
    assert list(frame.columns) == FIXED + [f"arg_{k}" for k in arg_keys]
    records = frame.to_dict("records")
    for item, row in zip(items, records, strict=True):
        assert row["id"] == item["id"]
        for key in ("created_at", "ended_at", "latest_message_datetime", "latest_event_datetime"):
            expected = item[key]
            got = _na(row[key])
            assert (None if got is None else _ts(got)) == expected, key
        assert row["is_active"] == (item["ended_at"] is None)
        if item["ended_at"] is not None:
            seconds = (
                datetime.fromisoformat(item["ended_at"])
                - datetime.fromisoformat(item["created_at"])
            ).total_seconds()
            assert row["duration"].total_seconds() == seconds
        persona = item["persona"] or {}
        assert _na(row["persona_id"]) == persona.get("id")
        assert _na(row["persona_name"]) == persona.get("name")
        assert _na(row["persona_external_id"]) == persona.get("external_id")
        assert _na(row["actor_id"]) == persona.get("actor_id")
        assert _na(row["persona_is_deleted"]) == persona.get("is_deleted")
        assert row["connector"] == f"{item['integration_idn']}/{item['connector_idn']}"
        assert row["channel"] == ("voice" if "voice" in item["integration_idn"] else "chat")
        for key in ("user_messages_count", "agent_messages_count", "messages_count"):
            assert row[key] == item[key]
        assert _na(row["events_count"]) == item["events_count"]
        for key in arg_keys:
            assert _na(row[f"arg_{key}"]) == item["arguments"].get(key)


@pytest.mark.parametrize("sizes", [(300,), (1, 299), (100, 0, 150, 50), (0, 0)])
def test_chunks_give_the_frame_of_all_items_at_once(sizes):
    """Chunk by chunk (as a large month is fetched) equals one go: categories re-sorted over
    the month, argument columns some chunks lack filled with NA, problems counted once."""
    rng = random.Random(sum(sizes) + len(sizes))
    base = datetime(2026, 9, 1, tzinfo=UTC)
    items = [_random_item(rng, base) for _ in range(sum(sizes))]
    if items:  # one chunk alone carries an argument and an integration, and bad values
        items[-1]["arguments"]["only_here"] = "x"
        items[-1]["integration_idn"] = "aaa_first_voice"
        items[0]["messages_count"] = -1
        items[-1]["messages_count"] = "many"
        items[1]["created_at"] = "2026-08-01T00:00:00Z"  # outside the range: left out
    chunks, at = [], 0
    for size in sizes:
        chunks.append(items[at : at + size])
        at += size
    start, end = base, base + timedelta(days=30)
    whole = sessions_frame(items, start=start, end=end)
    parts = sessions_frame_chunks(iter(chunks), start=start, end=end)
    pd.testing.assert_frame_equal(parts, whole)
    assert sorted(parts.attrs.get("problems", [])) == sorted(whole.attrs.get("problems", []))
    assert _dtype_names(parts) == _dtype_names(whole)
    if items:
        assert "arg_only_here" in parts.columns and "aaa_first_voice" in list(
            parts["integration_idn"].cat.categories
        )
        assert any("(and 1 more)" in line for line in parts.attrs["problems"])


def test_frame_is_built_column_wise_fast():
    rng = random.Random(9)
    base = datetime(2026, 9, 1, tzinfo=UTC)
    items = [_random_item(rng, base) for _ in range(500)] * 40  # 20k rows
    started = time.perf_counter()
    frame = sessions_frame(items)
    elapsed = time.perf_counter() - started
    assert len(frame) == 20_000
    # ~60 ms here; a row-by-row build takes several seconds
    assert elapsed < 1.5, f"sessions_frame took {elapsed:.2f}s for 20k sessions"


def test_info_frames_from_the_spec_example():
    info = info_frames(SPEC_INFO)
    assert isinstance(info, SessionsInfo)
    assert (info.total_sessions, info.total_leads) == (100, 50)
    assert info.conversion == 0.5

    by_date = info.leads_by_date
    assert list(by_date.columns) == ["date", "total_sessions", "total_sessions_leads"]
    assert _dtype_names(by_date) == {
        "date": "datetime64[ns]",
        "total_sessions": "int64",
        "total_sessions_leads": "int64",
    }
    assert by_date.loc[0, "date"] == pd.Timestamp("2024-01-01")

    assert _dtype_names(info.types) == {
        "argument": "string",
        "total_sessions": "int64",
        "is_lead": "bool",
    }
    assert info.types.to_dict("records") == [
        {"argument": "booking", "total_sessions": 20, "is_lead": True},
        {"argument": "support", "total_sessions": 30, "is_lead": False},
    ]
    assert _dtype_names(info.channels) == {"channel": "category", "count": "int64"}
    assert dict(zip(info.channels["channel"], info.channels["count"], strict=True)) == {
        "chat": 70,
        "voice": 30,
    }
    assert _dtype_names(info.hours) == {"hour": "category", "count": "int64"}
    assert info.hours["count"].tolist() == [80, 20]
    assert _dtype_names(info.asr_by_date) == {"date": "datetime64[ns]", "asr_amount": "float64"}
    assert info.asr_by_date["asr_amount"].tolist() == [10.5]

    summary = info.summary
    assert summary.index.name == "metric"
    assert list(summary.index) == SUMMARY_METRICS
    assert list(summary.columns) == ["working_hours", "non_working_hours", "total"]
    assert (summary.dtypes == "float64").all()
    assert summary.loc["revenue"].tolist() == [4000.0, 1000.0, 5000.0]
    assert info.metric("units") == 200.0
    assert info.metric("asr", "working_hours") == 8.0


def test_info_frames_of_an_empty_answer_keep_columns_and_dtypes():
    full = info_frames(SPEC_INFO)
    empty = info_frames({})
    assert (empty.total_sessions, empty.total_leads, empty.conversion) == (0, 0, None)
    for name in ("leads_by_date", "types", "channels", "hours", "asr_by_date", "summary"):
        got, want = getattr(empty, name), getattr(full, name)
        assert list(got.columns) == list(want.columns), name
        assert _dtype_names(got) == _dtype_names(want), name
    assert empty.summary.isna().all().all()
    assert "Sessions" in str(empty)


def test_summary_table_is_readable():
    text = info_frames(SPEC_INFO).summary_table()
    lines = text.splitlines()
    assert lines[0].split() == ["Sessions", "100"]
    assert "50 (50.0% conversion)" in text
    assert "Working hours" in text and "80 (80.0%)" in text
    assert "chat 70 (70.0%), voice 30 (30.0%)" in text
    assert "booking 20" in text and "support 30" in text
    assert "5,000.00" in text and "working 4,000.00 / non-working 1,000.00" in text
    assert "ASR" in text and "10.00" in text
    assert repr(info_frames(SPEC_INFO)).startswith("SessionsInfo(total_sessions=100")


def test_info_frames_from_the_sandbox_match_its_database(client, sandbox):
    start, end = month_range(MONTH)
    info = info_frames(client.sessions_info(start, end))
    assert info.total_sessions > 0
    assert info.leads_by_date["total_sessions"].sum() == info.total_sessions
    assert info.leads_by_date["total_sessions_leads"].sum() == info.total_leads
    assert info.channels["count"].sum() == info.total_sessions
    assert info.hours["count"].sum() == info.total_sessions
    assert info.metric("sessions") == info.total_sessions
    first, last = info.leads_by_date["date"].min(), info.leads_by_date["date"].max()
    assert first >= pd.Timestamp(start.date()) and last <= pd.Timestamp(end.date())
    with sandbox.connect() as db:
        total, leads, revenue = db.execute(
            "SELECT count(*), sum(is_lead), sum(revenue) FROM sessions"
            " WHERE created_at BETWEEN ? AND ?",
            (f"{MONTH}-01T00:00:00Z", end.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ).fetchone()
    assert (info.total_sessions, info.total_leads) == (total, leads)
    assert info.metric("revenue") == pytest.approx(revenue, abs=0.01)


def test_sessions_frame_from_the_sandbox(client):
    start, end = month_range(MONTH)
    items = client.sessions(start, end)
    frame = sessions_frame(items)
    info = info_frames(client.sessions_info(start, end))
    assert len(frame) == info.total_sessions
    assert frame["id"].is_unique
    assert frame["created_at"].between(pd.Timestamp(start), pd.Timestamp(end)).all()
    assert {c: str(frame[c].dtype) for c in FIXED} == EXPECTED_DTYPES
    assert (frame["arg_is_lead"] == "true").sum() == info.total_leads
    by_channel = frame["channel"].value_counts()
    for channel, count in zip(info.channels["channel"], info.channels["count"], strict=True):
        assert by_channel[channel] == count


def test_attributes_frame_from_the_spec_example():
    frame = attributes_frame(SPEC_ATTRIBUTES)
    assert list(frame.columns) == [
        "id",
        "idn",
        "value",
        "title",
        "description",
        "group",
        "is_hidden",
        "possible_values",
        "value_type",
    ]
    assert _dtype_names(frame) == {
        "id": "string",
        "idn": "string",
        "value": "string",
        "title": "string",
        "description": "string",
        "group": "category",
        "is_hidden": "bool",
        "possible_values": "object",
        "value_type": "category",
    }
    assert frame.attrs["groups"] == ["group", "empty group"]
    assert list(frame["group"].cat.categories) == ["group", "empty group"]
    assert frame["possible_values"].tolist() == [[], ["a", "b"]]
    assert frame["is_hidden"].tolist() == [False, True]
    assert pd.isna(frame.loc[1, "description"])


def test_attributes_frame_empty_and_sandbox(client):
    empty = attributes_frame({"groups": [], "attributes": []})
    assert len(empty) == 0 and empty.attrs["groups"] == []
    assert _dtype_names(empty) == _dtype_names(attributes_frame(SPEC_ATTRIBUTES))

    payload = client.customer_attributes()
    frame = attributes_frame(payload)
    assert len(frame) == len(payload["attributes"]) > 0
    assert frame.attrs["groups"] == payload["groups"]
    assert frame["id"].tolist() == [a["id"] for a in payload["attributes"]]
    assert set(frame["group"].dropna()) <= set(frame["group"].cat.categories)
    assert all(isinstance(v, list) for v in frame["possible_values"])


@pytest.mark.parametrize(
    ("created_at", "kept"),
    [
        ("2026-09-30T23:59:59Z", True),
        ("2026-09-30T23:59:59.500Z", True),  # a server keeping milliseconds: still the month
        ("2026-09-30T23:59:59.999999Z", True),
        ("2026-10-01T00:00:00Z", False),
        ("2026-09-01T00:00:00Z", True),
        ("2026-08-31T23:59:59.999Z", False),
    ],
)
def test_the_last_second_of_the_range_counts_whole(created_at, kept):
    """The API's range ends at a whole second, inclusive: fractions of that second are in."""
    from portal_reports.period import ReportMonth

    month = ReportMonth.parse("2026-09")
    start, end = month.range_utc
    item = _random_item(random.Random(1), datetime(2026, 9, 15, tzinfo=UTC))
    item["created_at"] = created_at
    frame = sessions_frame([item], start=start, end=end)
    assert (len(frame) == 1) is kept
    dropped = [p for p in frame.attrs.get("problems", []) if "within the requested range" in p]
    assert bool(dropped) is not kept
    assert month.contains(created_at) is kept


@pytest.mark.parametrize(
    ("sent", "hidden"),
    [(True, True), (False, False), ("true", True), ("false", False), (" TRUE ", True),
     ("0", False), (1, True), (0, False), (None, False), ("no", False)],
)  # fmt: skip
def test_is_hidden_sent_as_text_is_read_as_meant(sent, hidden):
    """``"is_hidden": "false"`` is not hidden (``bool("false")`` would say it is); the edit
    and bulk checks read the flag with the same ``json_flag``."""
    from portal_reports.data.frames import attributes_frame, json_flag

    attribute = {"id": "1", "idn": "business_name", "value": "A", "is_hidden": sent}
    assert json_flag(sent) is hidden
    frame = attributes_frame({"groups": [], "attributes": [attribute]})
    assert bool(frame["is_hidden"].iloc[0]) is hidden
