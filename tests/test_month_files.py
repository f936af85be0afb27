"""Month data on disk: data.json plus sessions.parquet, read column by column, checked by hash."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import MONTH, SECRET

from portal_reports.customers import CustomersConfig
from portal_reports.data.month import MonthData, fetch_month, load_month
from portal_reports.errors import ConfigError
from portal_reports.portal.client import PortalClient
from portal_reports.reports import figures

CUSTOMER = "acme-dental"
SETTINGS = CustomersConfig(None).settings_for(CUSTOMER)


def _fetch(sandbox, **client_options) -> MonthData:
    with PortalClient(
        base_url=sandbox.url, secret=SECRET, progress=False, **client_options
    ) as client:
        return fetch_month(MONTH, CUSTOMER, client=client, settings=SETTINGS)


@pytest.fixture(scope="module")
def month_data(sandbox) -> MonthData:
    return _fetch(sandbox)


@pytest.fixture()
def saved(tmp_path, month_data):
    return month_data.save(tmp_path / "data.json")


def test_sessions_travel_as_parquet_named_and_hashed_in_data_json(saved, month_data):
    raw = json.loads(saved.read_text(encoding="utf-8"))
    entry = raw["sessions"]
    parquet = saved.parent / "sessions.parquet"
    assert entry["file"] == "sessions.parquet" and entry["rows"] == len(month_data.sessions) > 50
    assert entry["sha256"] == hashlib.sha256(parquet.read_bytes()).hexdigest()
    assert entry["columns"] == list(month_data.sessions.columns)
    assert not any(isinstance(v, list) and v and "persona" in v[0] for v in raw.values())
    meta = pq.ParquetFile(parquet).schema_arrow
    assert meta.names == entry["columns"]  # columnar: a reader can take one column alone
    loaded = load_month(MONTH, CUSTOMER, saved)
    assert loaded.sha256 == month_data.sha256 and loaded.sessions_count == entry["rows"]
    pd.testing.assert_frame_equal(loaded.sessions, month_data.sessions)
    assert figures.manifest_figures(loaded) == figures.manifest_figures(month_data)


def test_reports_read_only_the_columns_they_use(saved):
    loaded = load_month(MONTH, CUSTOMER, saved)
    part = loaded.session_columns("created_at", "arg_is_lead", "no_such_column")
    assert list(part.columns) == ["created_at", "arg_is_lead"]
    assert str(part["created_at"].dtype) == "datetime64[ns, UTC]"
    figures.crosscheck(loaded)
    figures.daily_series(loaded)
    assert loaded.sessions_data._frame is None  # nothing read the whole file
    assert len(loaded.sessions) == loaded.sessions_count  # and it still can


def test_chunked_fetch_gives_the_same_month_and_the_same_bytes(sandbox, month_data):
    """Small time slices (as a 500k-session month is fetched) give the same frame, the same
    Parquet bytes and so the same hash: incremental runs do not redo it."""
    sliced = _fetch(sandbox, slice_size=40, slice_concurrency=3)
    assert month_data.sessions_count > 3 * 40  # it really was fetched in slices
    pd.testing.assert_frame_equal(sliced.sessions, month_data.sessions)
    assert sliced.sessions_data.sha256 == month_data.sessions_data.sha256


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[:-9] + b"x" * 9), "sha256 differs"),
        (lambda p: p.unlink(), "cannot read"),
    ],
)
def test_a_damaged_or_missing_sessions_file_is_one_clear_error(saved, damage, message):
    damage(saved.parent / "sessions.parquet")
    with pytest.raises(ConfigError, match=message) as caught:
        load_month(MONTH, CUSTOMER, saved)
    assert "\n" not in str(caught.value) and "sessions.parquet" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"file": "../../secret.parquet"}, "must be 'sessions.parquet'"),
        ({"rows": -1}, "not a count"),
        ({"sha256": "beef"}, "not a SHA-256"),
        ({"columns": "id"}, "not a list of names"),
        ({"problems": [1]}, "not a list of lines"),
    ],
)
def test_a_hand_edited_sessions_entry_is_refused(saved, change, message):
    raw = json.loads(saved.read_text(encoding="utf-8"))
    raw["sessions"].update(change)
    saved.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_month(MONTH, CUSTOMER, saved)


def test_data_json_with_the_sessions_inline_still_loads(tmp_path, month_data, sandbox):
    """data.json of earlier versions carries the raw items: read as before."""
    with PortalClient(base_url=sandbox.url, secret=SECRET, progress=False) as client:
        items = client.for_customer(CUSTOMER).sessions(*month_data.period.range_utc)
    raw = {**month_data.raw, "sessions": items}
    path = tmp_path / "data.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    old = load_month(MONTH, CUSTOMER, path)
    pd.testing.assert_frame_equal(old.sessions, month_data.sessions)
    assert old.sha256 == month_data.sha256  # hashed in today's form
