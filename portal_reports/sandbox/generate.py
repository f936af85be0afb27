"""Deterministic synthetic sessions: numpy-vectorised per (customer, month), one transaction.

Every (customer, month) block has its own RNG seeded from (seed, customer, month), so a month's
data does not depend on how many months of history are generated. Timestamps are drawn from an
hourly grid weighted by the customer's *local* weekday and hour (zoneinfo), so sessions cluster
in working hours and on work days.
"""

from __future__ import annotations

import calendar
import math
import sqlite3
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from ..dates import shift_month
from . import model
from .attributes import attribute_rows
from .schema import INDEXES, INSERT_ATTRIBUTE, INSERT_PERSONA, INSERT_SESSION, SCHEMA

FIRST_NAMES = [
    "Zoë",
    "José",
    "Søren",
    "Anna",
    "Liam",
    "Émilie",
    "Jürgen",
    "Maëlle",
    "Björn",
    "Ingrid",
    "Noah",
    "Olivia",
    "Mateo",
    "Chloé",
    "Åsa",
    "Łukasz",
    "Amélie",
    "Dmitri",
    "Aoife",
    "Priya",
    "Hannah",
    "Lukas",
    "Sofia",
    "Ethan",
    "Léa",
    "Mia",
    "Oskar",
    "Renée",
    "Yusuf",
    "Grace",
]
LAST_NAMES = [
    "Brontë",
    "Núñez",
    "Ærø",
    "Smith",
    "Müller",
    "Østergaard",
    "Gagnon",
    "Lefèvre",
    "Nguyễn",
    "Kowalski",
    "O'Brien",
    "Johansson",
    "García",
    "Schröder",
    "Tremblay",
    "Andersson",
    "Dubois",
    "Patel",
    "Weiß",
    "Côté",
    "Lindqvist",
    "Brown",
    "Fischer",
    "Roy",
    "Björk",
    "Martínez",
]
FIXED_NAMES = ["Zoë Brontë", "José Núñez", "Søren Ærø"]  # always present in the end month
PHONE_PREFIX = {
    "acme-dental": "+1212",
    "autohaus-mueller": "+4989",
    "bistro-ca-va": "+1416",
    "nordlicht-yoga": "+46647",
    "asha-eye-care": "+9133",
    "harbour-physio": "+612",
}
LANGUAGES = {
    "acme-dental": (("en", 0.8), ("es", 0.2)),
    "autohaus-mueller": (("de", 0.75), ("en", 0.15), ("tr", 0.1)),
    "bistro-ca-va": (("fr", 0.6), ("en", 0.4)),
    "nordlicht-yoga": (("sv", 0.7), ("en", 0.2), ("de", 0.1)),
    "asha-eye-care": (("en", 0.5), ("hi", 0.3), ("bn", 0.2)),
    "harbour-physio": (("en", 0.9), ("zh", 0.1)),
}
SOURCES = ("google", "instagram", "direct", "newsletter")


def month_epochs(month: str) -> tuple[int, int]:
    """First and last second (inclusive) of a UTC month, as epoch seconds."""
    year, mon = map(int, month.split("-"))
    start = calendar.timegm((year, mon, 1, 0, 0, 0))
    return start, start + calendar.monthrange(year, mon)[1] * 86400 - 1


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` version-4-shaped UUID strings drawn from ``rng`` (deterministic, unlike uuid4)."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    text = raw.tobytes().hex()
    return [
        f"{text[i : i + 8]}-{text[i + 8 : i + 12]}-{text[i + 12 : i + 16]}-{text[i + 16 : i + 20]}-"
        f"{text[i + 20 : i + 32]}"
        for i in range(0, 32 * n, 32)
    ]


def _iso(epochs: np.ndarray, missing: np.ndarray | None = None) -> list[str | None]:
    """Epoch seconds -> 'YYYY-MM-DDTHH:MM:SSZ' strings (None where ``missing``)."""
    text = np.datetime_as_string(epochs.astype("datetime64[s]"), unit="s").tolist()
    if missing is None:
        return [t + "Z" for t in text]
    return [None if m else t + "Z" for t, m in zip(text, missing.tolist(), strict=True)]


def _json_object(args: dict[str, str]) -> str:
    """Compact JSON of a flat str->str dict from our own vocabulary (no quotes or backslashes)."""
    return "{" + ",".join(f'"{k}":"{v}"' for k, v in args.items()) + "}"


def _hour_profile(customer: dict[str, Any]) -> np.ndarray:
    """Relative session rate by local hour of day: busy in working hours, quiet at night."""
    start, end = customer["work_start"], customer["work_end"]
    weights = np.empty(24)
    for hour in range(24):
        if start <= hour < end:
            weights[hour] = 1.25 if start + 1 <= hour <= start + 4 else 1.0
        elif hour in (start - 1, end):
            weights[hour] = 0.35
        elif 7 <= hour < 23:
            weights[hour] = 0.12
        else:
            weights[hour] = 0.03
    return weights


def slot_seconds(customer: dict[str, Any], start: int, hours: int) -> int:
    """The grid step for a customer-month: an hour where the zone's offsets are whole hours
    (they then change on whole UTC hours), else 15 minutes (UTC+05:30, +05:45, Lord Howe's
    half-hour daylight saving), so every second of a slot has the same local hour."""
    tz = ZoneInfo(customer["timezone"])
    for i in range(0, hours + 1):
        offset = datetime.fromtimestamp(start + i * 3600, UTC).astimezone(tz).utcoffset()
        if offset is not None and offset.total_seconds() % 3600:
            return 900
    return 3600


def _local_grid(
    customer: dict[str, Any], start: int, slots: int, step: int = 3600
) -> tuple[np.ndarray, ...]:
    """Local weekday, local hour and working-hours flag of each UTC slot of ``step`` seconds
    from ``start`` (see :func:`slot_seconds`: every second of a slot has the slot's flag)."""
    tz = ZoneInfo(customer["timezone"])
    days = set(customer["work_days"])
    weekday = np.empty(slots, dtype=np.int64)
    hour = np.empty(slots, dtype=np.int64)
    for i in range(slots):
        local = datetime.fromtimestamp(start + i * step, UTC).astimezone(tz)
        weekday[i], hour[i] = local.weekday(), local.hour
    in_days = np.isin(weekday, list(days))
    working = in_days & (hour >= customer["work_start"]) & (hour < customer["work_end"])
    return weekday, hour, working


def _pick(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Indices drawn with the given (unnormalised) weights."""
    cum = np.cumsum(weights, dtype=float)
    return np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), len(cum) - 1)


def build_sessions(
    rng: np.random.Generator,
    customer: dict[str, Any],
    created: np.ndarray,
    working: np.ndarray,
    cutoff: int,
    *,
    fixed_names: bool = False,
    connector: tuple[str, str] | None = None,
    active: bool | None = None,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Session and persona rows for sessions created at ``created`` (epoch seconds).

    ``connector`` and ``active`` force those fields (the "insert" fault uses them so inserted
    sessions match the request's filters); derived columns always come from the arguments.
    """
    cid = customer["external_id"]
    n = len(created)
    # Connectors: after-hours lines only ring outside working hours.
    conns = model.connectors_of(customer)
    if connector is None:
        w_in = np.array([c[2] for c in conns], dtype=float)
        w_out = np.array([c[3] for c in conns], dtype=float)
        pick = np.where(working, _pick(rng, w_in, n), _pick(rng, w_out, n))
        integrations = [conns[i][0] for i in pick.tolist()]
        connectors = [conns[i][1] for i in pick.tolist()]
    else:
        rng.random(2 * n)  # keep the stream's shape whatever the forcing
        integrations, connectors = [connector[0]] * n, [connector[1]] * n
    channels = [model.channel_of(i) for i in integrations]
    voice = np.array([c == "voice" for c in channels], dtype=bool)
    test_line = np.array([i == "sandbox" for i in integrations], dtype=bool)

    empty = rng.random(n) < np.where(test_line, 0.3, 0.04)
    duration = np.where(
        voice,
        np.clip(rng.lognormal(math.log(150), 0.7, n), 15, 3600),
        np.clip(rng.lognormal(math.log(420), 0.8, n), 30, 7200),
    ).astype(np.int64)
    duration = np.where(empty, rng.integers(5, 45, n), duration)
    user_msgs = np.where(voice, rng.poisson(5, n) + 1, rng.poisson(4, n) + 1)
    user_msgs = np.where(empty, rng.integers(0, 2, n), user_msgs)
    agent_msgs = user_msgs + np.where(empty, 0, rng.random(n) < 0.6)
    messages = user_msgs + agent_msgs
    events = np.where(empty, 0, rng.poisson(1.5, n))

    # Active sessions: those still running at the cutoff, a few stuck in the last two days,
    # and very rarely one anywhere.
    age = cutoff - created
    is_active = (
        (created + duration > cutoff)
        | ((age < 3 * 3600) & (rng.random(n) < 0.6))
        | ((age < 2 * 86400) & (rng.random(n) < 0.02))
        | (rng.random(n) < 0.0002)
    )
    if active is not None:
        is_active = np.full(n, active)
    ended = created + duration
    span = np.where(is_active, np.maximum(cutoff - created, 0), duration)
    latest_msg = np.minimum(created + (span * rng.uniform(0.7, 1.0, n)).astype(np.int64), cutoff)
    latest_evt = np.minimum(created + (span * rng.uniform(0.1, 1.0, n)).astype(np.int64), cutoff)
    latest_msg = np.maximum(latest_msg, created)
    latest_evt = np.maximum(latest_evt, created)

    # Arguments.
    type_weights = dict(model.SESSION_TYPES[customer.get("template", cid)])
    type_weights["wrong_number"] = model.WRONG_NUMBER_WEIGHT
    type_names = list(type_weights)
    type_idx = _pick(rng, np.array(list(type_weights.values()), dtype=float), n)
    lead_rate = np.array([model.LEAD_RATE[t] for t in type_names])[type_idx]
    lead = rng.random(n) < lead_rate
    typical = model.TYPICAL_REVENUE[customer.get("template", cid)]
    has_revenue = lead & (rng.random(n) < 0.85)
    revenue = rng.lognormal(math.log(typical), 0.5, n)
    quote = np.array([t == "quote_request" for t in type_names])[type_idx]
    has_opportunity = (quote & (rng.random(n) < 0.6)) | (rng.random(n) < 0.04)
    opportunity = rng.lognormal(math.log(typical * 2.5), 0.6, n)
    extra_deal = rng.random(n) < 0.12
    units = 1 + rng.poisson(0.6, n)
    asr = duration / 60 * model.ASR_RATE_PER_MINUTE
    langs = LANGUAGES[customer.get("template", cid)]
    lang_idx = _pick(rng, np.array([w for _, w in langs]), n)
    has_lang = rng.random(n) < 0.3
    source_idx = rng.integers(0, len(SOURCES), n)
    has_source = ~voice & (rng.random(n) < 0.25)

    # Personas: a pool per block, a few regulars calling often.
    pool = max(1, int(n / 2.6))
    persona_of = np.minimum((pool * rng.random(n) ** 1.7).astype(np.int64), pool - 1)
    persona_ids = _uuids(rng, pool)
    actor_ids = _uuids(rng, pool)
    first = rng.integers(0, len(FIRST_NAMES), pool).tolist()
    last = rng.integers(0, len(LAST_NAMES), pool).tolist()
    names = [f"{FIRST_NAMES[a]} {LAST_NAMES[b]}" for a, b in zip(first, last, strict=True)]
    if fixed_names:
        names[: len(FIXED_NAMES)] = FIXED_NAMES[:pool]
    deleted = (rng.random(pool) < 0.04).tolist()
    numbers = rng.integers(0, 10**7, pool).tolist()
    prefix = PHONE_PREFIX[customer.get("template", cid)]
    used = sorted(set(persona_of.tolist()))
    personas = [
        (persona_ids[i], actor_ids[i], cid, names[i], f"{prefix}{numbers[i]:07d}", int(deleted[i]))
        for i in used
    ]

    ids = _uuids(rng, n)
    created_s = _iso(created)
    ended_s = _iso(ended, is_active)
    latest_msg_s = _iso(latest_msg, messages == 0)
    latest_evt_s = _iso(latest_evt, events == 0)
    columns = [
        empty.tolist(),
        type_idx.tolist(),
        lead.tolist(),
        has_revenue.tolist(),
        revenue.tolist(),
        has_opportunity.tolist(),
        opportunity.tolist(),
        extra_deal.tolist(),
        units.tolist(),
        voice.tolist(),
        asr.tolist(),
        has_lang.tolist(),
        lang_idx.tolist(),
        has_source.tolist(),
        source_idx.tolist(),
    ]
    rows = []
    persona_list = persona_of.tolist()
    user_l, agent_l = user_msgs.tolist(), agent_msgs.tolist()
    msg_l, evt_l, wh_l = messages.tolist(), events.tolist(), working.tolist()
    for i, (emp, t, ld, hr, rv, ho, op, xd, un, vo, asr_i, hl, li, hs, si) in enumerate(
        zip(*columns, strict=True)
    ):
        args: dict[str, str] = {}
        if not emp:
            args["session_type"] = type_names[t]
            args["is_lead"] = "true" if ld else "false"
            if hr:
                args["revenue"] = f"{rv:.2f}"
            if ho:
                args["opportunity_value"] = f"{op:.2f}"
            if ld:
                args["additional_deal"] = "true" if xd else "false"
                args["units"] = str(un)
            if vo:
                args["asr_amount"] = f"{asr_i:.2f}"
            if hl:
                args["caller_language"] = langs[li][0]
            if hs:
                args["source"] = SOURCES[si]
        rows.append(
            (
                ids[i],
                cid,
                persona_ids[persona_list[i]],
                integrations[i],
                connectors[i],
                channels[i],
                created_s[i],
                ended_s[i],
                latest_msg_s[i],
                latest_evt_s[i],
                user_l[i],
                agent_l[i],
                msg_l[i],
                evt_l[i],
                _json_object(args),
                int(wh_l[i]),
                *model.derive_columns(args),
            )
        )
    return rows, personas


def _block(
    seed: int,
    index: int,
    customer: dict[str, Any],
    month: str,
    scale: float,
    k: int,
    cutoff: int,
    end_month: str,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Rows of one customer's month (``k`` months before the end month)."""
    year, mon = map(int, month.split("-"))
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFF, index, year, mon])
    start, end = month_epochs(month)
    hours = (end + 1 - start) // 3600
    step = slot_seconds(customer, start, hours)
    slots = (end + 1 - start) // step
    weekday, hour, working = _local_grid(customer, start, slots, step)
    day_factor = np.where(np.isin(weekday, list(customer["work_days"])), 1.0, 0.3)
    day_factor = day_factor * np.where(weekday == customer["work_days"][0], 1.1, 1.0)
    noise = rng.lognormal(0.0, 0.15, hours // 24 + 1)[np.arange(slots) * step // 86400]
    weights = _hour_profile(customer)[hour] * day_factor * noise
    mean = model.volume_of(customer) * (1 + model.GROWTH) ** (-k) * scale
    n = int(rng.poisson(mean * (hours / 24) / 30.4))
    slot = _pick(rng, weights, n)
    created = start + slot * step + rng.integers(0, step, n)
    order = np.argsort(created, kind="stable")
    created, slot = created[order], slot[order]
    keep = created <= cutoff
    return build_sessions(
        rng, customer, created[keep], working[slot[keep]], cutoff, fixed_names=month == end_month
    )


def cutoff_for(end_month: str, now: datetime | None = None) -> int:
    """Last epoch second of data: the end month's last second, or now in the current month."""
    now = now or datetime.now(UTC)
    last = month_epochs(end_month)[1]
    if end_month == f"{now.year:04d}-{now.month:02d}":
        return min(last, int(now.timestamp()))
    return last


def generate(
    conn: sqlite3.Connection,
    *,
    seed: int,
    end_month: str,
    months: int,
    scale: float,
    now: datetime | None = None,
    customers: int | None = None,
) -> dict[str, int]:
    """Create the schema and fill it; return counts {"sessions": n, "personas": n, ...}.

    ``customers``: how many demo customers (default: the named ones; more are generated).
    """
    cutoff = cutoff_for(end_month, now)
    count = customers
    customers = model.demo_customers(count, seed)
    conn.executescript(SCHEMA)
    sessions = personas = 0
    with conn:
        conn.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    c["external_id"],
                    c["name"],
                    c["timezone"],
                    ",".join(map(str, c["work_days"])),
                    c["work_start"],
                    c["work_end"],
                )
                for c in customers
            ],
        )
        for index, customer in enumerate(customers):
            first_k = min(months - 1, model.STARTS_BEFORE_END.get(customer["external_id"], 10**6))
            for k in range(first_k, -1, -1):
                month = shift_month(end_month, -k)
                rows, people = _block(seed, index, customer, month, scale, k, cutoff, end_month)
                conn.executemany(INSERT_PERSONA, people)
                conn.executemany(INSERT_SESSION, rows)
                sessions += len(rows)
                personas += len(people)
        attrs = attribute_rows(seed, customers)
        conn.executemany(INSERT_ATTRIBUTE, attrs)
        meta = {
            "schema_version": "1",
            "seed": str(seed),
            "end_month": end_month,
            "months": str(months),
            "scale": repr(float(scale)),
            "cutoff": str(cutoff),
            "customers": str(len(customers)),
        }
        conn.executemany("INSERT INTO sandbox_meta VALUES (?, ?)", sorted(meta.items()))
    conn.executescript(INDEXES)
    return {"sessions": sessions, "personas": personas, "attributes": len(attrs)}
