"""The sandbox's SQLite schema (the team contract's), plus a meta table naming the dataset."""

from __future__ import annotations

import os
import sqlite3

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE customers(
    external_id TEXT PRIMARY KEY, name TEXT, timezone TEXT, work_days TEXT,
    work_start INTEGER, work_end INTEGER);
CREATE TABLE personas(
    id TEXT PRIMARY KEY, actor_id TEXT, customer_id TEXT, name TEXT, external_id TEXT,
    is_deleted INTEGER);
CREATE TABLE sessions(
    id TEXT PRIMARY KEY, customer_id TEXT, persona_id TEXT, integration_idn TEXT,
    connector_idn TEXT, channel TEXT,
    created_at TEXT, ended_at TEXT, latest_message_datetime TEXT, latest_event_datetime TEXT,
    user_messages_count INTEGER, agent_messages_count INTEGER, messages_count INTEGER,
    events_count INTEGER, arguments TEXT,
    is_working_hours INTEGER,
    session_type TEXT, is_lead INTEGER, revenue REAL, opportunity_value REAL,
    additional_deal INTEGER, units INTEGER, asr_amount REAL);
CREATE TABLE attributes(
    id TEXT PRIMARY KEY, customer_id TEXT, idn TEXT, value TEXT, title TEXT,
    description TEXT, "group" TEXT, is_hidden INTEGER, possible_values TEXT,
    value_type TEXT);
CREATE TABLE sandbox_meta(key TEXT PRIMARY KEY, value TEXT);
"""

INDEXES = """
CREATE INDEX sessions_by_time ON sessions(created_at, id);
CREATE INDEX sessions_by_customer_time ON sessions(customer_id, created_at, id);
CREATE INDEX personas_by_customer ON personas(customer_id);
CREATE INDEX attributes_by_customer ON attributes(customer_id);
"""

SESSION_COLUMNS = (
    "id",
    "customer_id",
    "persona_id",
    "integration_idn",
    "connector_idn",
    "channel",
    "created_at",
    "ended_at",
    "latest_message_datetime",
    "latest_event_datetime",
    "user_messages_count",
    "agent_messages_count",
    "messages_count",
    "events_count",
    "arguments",
    "is_working_hours",
    "session_type",
    "is_lead",
    "revenue",
    "opportunity_value",
    "additional_deal",
    "units",
    "asr_amount",
)
INSERT_SESSION = (
    f"INSERT INTO sessions({', '.join(SESSION_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(SESSION_COLUMNS))})"
)
INSERT_PERSONA = "INSERT INTO personas VALUES (?, ?, ?, ?, ?, ?)"
INSERT_ATTRIBUTE = "INSERT INTO attributes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A connection to the sandbox database, tuned for a few concurrent readers and a writer."""
    conn = sqlite3.connect(path, timeout=15.0)
    conn.execute("PRAGMA busy_timeout = 15000")
    return conn


def read_meta(path: str | os.PathLike[str]) -> dict[str, str] | None:
    """The dataset parameters stored in an existing sandbox database, or None if it is not one."""
    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "sandbox_meta" not in tables:
            return None if tables else {}
        return dict(conn.execute("SELECT key, value FROM sandbox_meta").fetchall())
    finally:
        conn.close()
