"""SQL behind each endpoint: the listing and /sessions/info share one WHERE clause."""

from __future__ import annotations

import calendar
import json
import sqlite3
from typing import Any

import numpy as np

from . import model
from .attributes import attribute_json, validate_put
from .generate import build_sessions
from .params import ApiError, Connector, SessionQuery
from .schema import INSERT_PERSONA, INSERT_SESSION


def _where(
    customer: str | None,
    start: str | None,
    end: str | None,
    connectors: list[Connector] | None = None,
    is_active: bool | None = None,
) -> tuple[str, list[Any]]:
    """WHERE clause (inclusive created_at bounds) and its parameters.

    A connector (None, idn) matches ``connector_idn``; (integration, "*") every connector of
    the integration; (integration, idn) both. ``is_active`` true keeps running sessions only;
    false is no filter (the spec only says "Filter active sessions only").
    """
    clauses, args = ["1=1"], []
    if customer is not None:
        clauses.append("customer_id = ?")
        args.append(customer)
    if start is not None:
        clauses.append("created_at >= ?")
        args.append(start)
    if end is not None:
        clauses.append("created_at <= ?")
        args.append(end)
    if connectors:
        parts = []
        for integration, connector in connectors:
            if integration is None:
                parts.append("connector_idn = ?")
                args.append(connector)
            elif connector == "*":
                parts.append("integration_idn = ?")
                args.append(integration)
            else:
                parts.append("(integration_idn = ? AND connector_idn = ?)")
                args.extend((integration, connector))
        clauses.append("(" + " OR ".join(parts) + ")")
    if is_active:
        clauses.append("ended_at IS NULL")
    return " AND ".join(clauses), args


def list_sessions(
    conn: sqlite3.Connection,
    customer: str | None,
    q: SessionQuery,
    page_cap: int,
    *,
    strict: bool = False,
) -> dict[str, Any]:
    """One page of sessions, newest first (created_at DESC, id DESC).

    A page holds at most ``page_cap`` items. Default: pages are counted by the size served
    and ``metadata.per`` says it. Strict: pages are counted by the ``per`` asked and
    ``metadata.per`` echoes it, so a client must notice a short page by itself.
    """
    size = min(q.per, page_cap)
    offset = (q.page - 1) * (q.per if strict else size)
    where, args = _where(customer, q.start, q.end, q.connectors, q.is_active)
    total = conn.execute(f"SELECT count(*) FROM sessions WHERE {where}", args).fetchone()[0]
    meta = {"page": q.page, "per": q.per if strict else size, "total": total}
    if offset >= total:  # past the end (and no OFFSET beyond SQLite's 64-bit integers)
        return {"items": [], "metadata": meta}
    rows = conn.execute(
        f"""WITH page AS (SELECT * FROM sessions WHERE {where}
                          ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?)
            SELECT page.*, p.actor_id, p.name AS persona_name,
                   p.external_id AS persona_external_id, p.is_deleted
            FROM page LEFT JOIN personas p ON p.id = page.persona_id
            ORDER BY page.created_at DESC, page.id DESC""",
        [*args, size, offset],
    ).fetchall()
    items = [
        {
            "id": r["id"],
            "persona": {
                "id": r["persona_id"],
                "actor_id": r["actor_id"],
                "name": r["persona_name"],
                "external_id": r["persona_external_id"],
                "is_deleted": bool(r["is_deleted"]),
            },
            "integration_idn": r["integration_idn"],
            "connector_idn": r["connector_idn"],
            "created_at": r["created_at"],
            "arguments": json.loads(r["arguments"] or "{}"),
            "user_messages_count": r["user_messages_count"],
            "agent_messages_count": r["agent_messages_count"],
            "messages_count": r["messages_count"],
            "events_count": r["events_count"],
            "latest_message_datetime": r["latest_message_datetime"],
            "latest_event_datetime": r["latest_event_datetime"],
            "ended_at": r["ended_at"],
        }
        for r in rows
    ]
    return {"items": items, "metadata": meta}


def _money(value: float | None) -> float:
    return round(value or 0.0, 2)


def sessions_info(conn: sqlite3.Connection, customer: str | None, start: str, end: str) -> dict:
    """The /sessions/info statistics over [start, end] by created_at (see the contract)."""
    where, args = _where(customer, start, end)
    by_date = conn.execute(
        f"""SELECT substr(created_at, 1, 10) AS day, count(*), sum(is_lead), sum(asr_amount)
            FROM sessions WHERE {where} GROUP BY day ORDER BY day""",
        args,
    ).fetchall()
    types = conn.execute(
        f"""SELECT session_type, is_lead, count(*) AS n FROM sessions
            WHERE {where} AND session_type IS NOT NULL
            GROUP BY session_type, is_lead ORDER BY n DESC, session_type""",
        args,
    ).fetchall()
    channels = conn.execute(
        f"""SELECT channel, count(*) AS n FROM sessions WHERE {where}
            GROUP BY channel ORDER BY n DESC, channel""",
        args,
    ).fetchall()
    summary_rows = conn.execute(
        f"""SELECT is_working_hours, count(*), sum(is_lead), sum(revenue), sum(asr_amount),
                   sum(opportunity_value > 0), sum(opportunity_value), sum(additional_deal),
                   sum(units)
            FROM sessions WHERE {where} GROUP BY is_working_hours""",
        args,
    ).fetchall()
    metrics = (
        "sessions",
        "leads",
        "revenue",
        "asr",
        "opportunity_sessions",
        "opportunity_value",
        "additional_deal",
        "units",
    )
    money = {"revenue", "asr", "opportunity_value"}
    raw = {m: {"working_hours": 0, "non_working_hours": 0} for m in metrics}
    for row in summary_rows:
        side = "working_hours" if row[0] else "non_working_hours"
        for metric, value in zip(metrics, row[1:], strict=True):
            raw[metric][side] += value or 0
    summary = {}
    for metric in metrics:
        wh, nwh = raw[metric]["working_hours"], raw[metric]["non_working_hours"]
        if metric in money:
            summary[metric] = {
                "non_working_hours": _money(nwh),
                "working_hours": _money(wh),
                "total": _money(wh + nwh),
            }
        else:
            summary[metric] = {
                "non_working_hours": int(nwh),
                "working_hours": int(wh),
                "total": int(wh + nwh),
            }
    return {
        "sessions_by_leads": {
            "items": [
                {"date": d, "total_sessions": n, "total_sessions_leads": int(leads or 0)}
                for d, n, leads, _ in by_date
            ],
            "total_sessions": summary["sessions"]["total"],
            "total_sessions_leads": summary["leads"]["total"],
        },
        "sessions_by_type": {
            "sessions_leads": [
                {"argument": t, "total_sessions": n} for t, lead, n in types if lead
            ],
            "sessions_non_leads": [
                {"argument": t, "total_sessions": n} for t, lead, n in types if not lead
            ],
        },
        "sessions_by_channel": [{"channel": c, "count": n} for c, n in channels],
        "sessions_by_hours": [
            {"hour": "working_hours", "count": summary["sessions"]["working_hours"]},
            {"hour": "non_working_hours", "count": summary["sessions"]["non_working_hours"]},
        ],
        "sessions_by_asr": [{"date": d, "asr_amount": _money(asr)} for d, _, _, asr in by_date],
        "summary": summary,
    }


def _epoch(text: str) -> int:
    return calendar.timegm(
        (
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
        )
    )


def insert_sessions(
    conn: sqlite3.Connection,
    customer: str | None,
    q: SessionQuery | None,
    start: str | None,
    end: str | None,
    count: int,
    seed: int,
    serial: int,
    customers: list[dict[str, Any]] | None = None,
) -> int:
    """Insert ``count`` sessions at the newest end of [start, end] (the "insert" fault).

    They match the request's customer, connectors and is_active filters, so they land on page
    1 of the DESC listing and shift every later item; derived columns come from arguments.
    """
    cust = model.customer_by_id(customer or model.PRIMARY_CUSTOMER, customers)
    assert cust is not None
    if end is None:
        newest = conn.execute("SELECT max(created_at) FROM sessions").fetchone()[0]
        at = _epoch(newest) + 1 if newest else _epoch("2000-01-01T00:00:00Z")
    else:
        at = _epoch(end)
    if start is not None:
        at = max(at, _epoch(start))
    connector = None
    if q is not None and q.connectors:
        integration, name = q.connectors[0]
        known = model.connectors_of(cust)
        if integration is None:  # a plain connector identifier
            integration = next((c[0] for c in known if c[1] == name), "sandbox")
        elif name == "*":
            name = next((c[1] for c in known if c[0] == integration), "default")
        connector = (integration, name)
    active = q.is_active if q is not None else None
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 99, serial])
    created = np.full(count, at, dtype=np.int64)
    working = np.array(model.working_hours_flags(cust, [at]) * count, dtype=bool)
    rows, people = build_sessions(
        rng,
        cust,
        created,
        working,
        at + 3600,
        connector=connector,
        active=False if active is None else active,
    )
    conn.executemany(INSERT_PERSONA, people)
    conn.executemany(INSERT_SESSION, rows)
    return len(rows)


def customer_attributes(conn: sqlite3.Connection, customer: str, query: str | None) -> dict:
    """Attributes of a customer, filtered by a case-insensitive substring of idn/title/group."""
    rows = conn.execute(
        'SELECT * FROM attributes WHERE customer_id = ? ORDER BY "group", idn', (customer,)
    ).fetchall()
    needle = (query or "").strip().casefold()
    if needle:
        rows = [
            r
            for r in rows
            if any(needle in (r[k] or "").casefold() for k in ("idn", "title", "group"))
        ]
    return {
        "groups": sorted({r["group"] for r in rows}),
        "attributes": [attribute_json(r) for r in rows],
    }


def _attribute_row(conn: sqlite3.Connection, customer: str, attribute_id: str) -> sqlite3.Row:
    if not model.UUID_RE.match(attribute_id):
        raise ApiError(
            400,
            "Invalid attribute id",
            [
                {
                    "message": "The 'attribute_id' parameter must be a valid UUID.",
                    "code": "invalid_parameter",
                }
            ],
        )
    row = conn.execute(
        "SELECT * FROM attributes WHERE id = ? AND customer_id = ?",
        (attribute_id.lower(), customer),
    ).fetchone()
    if row is None:
        raise ApiError(
            404,
            "Attribute not found",
            [
                {
                    "message": f"No attribute with id '{attribute_id}' for customer '{customer}'.",
                    "code": "not_found",
                }
            ],
        )
    return row


def customer_attribute(conn: sqlite3.Connection, customer: str, attribute_id: str) -> dict:
    """One attribute of the customer (404 for another customer's)."""
    return attribute_json(_attribute_row(conn, customer, attribute_id))


def replace_attribute(
    conn: sqlite3.Connection, customer: str, attribute_id: str, body: Any
) -> dict[str, Any]:
    """PUT: replace every field with the body's (omitted -> empty default); 422 on bad input."""
    row = _attribute_row(conn, customer, attribute_id)
    new, errors = validate_put(body)
    if new is None:
        raise ApiError(422, "Invalid attribute", errors)
    with conn:
        conn.execute(
            """UPDATE attributes SET value = ?, title = ?, description = ?, "group" = ?,
                      is_hidden = ?, possible_values = ?, value_type = ? WHERE id = ?""",
            (
                new["value"],
                new["title"],
                new["description"],
                new["group"],
                int(new["is_hidden"]),
                json.dumps(new["possible_values"], ensure_ascii=False),
                new["value_type"],
                row["id"],
            ),
        )
    return customer_attribute(conn, customer, row["id"])
