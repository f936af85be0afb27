"""The sandbox's fixed world: demo customers, their connectors, and how session columns derive."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_SECRET = "sandbox-secret"  # the sandbox's demo secret: printed on start, never a real one
DEFAULT_SEED = 7
DEFAULT_MONTHS = 14
PRIMARY_CUSTOMER = "acme-dental"  # whose attributes are served without a customer header

# Working hours are local: weekdays (Mon=0) and hours [work_start, work_end) in `timezone`.
DEMO_CUSTOMERS: tuple[dict[str, Any], ...] = (
    {
        "external_id": "acme-dental",
        "name": "Acme Dental Care",
        "timezone": "America/New_York",
        "work_days": (0, 1, 2, 3, 4),
        "work_start": 8,
        "work_end": 18,
    },
    {
        "external_id": "autohaus-mueller",
        "name": "Autohaus Müller & Söhne",
        "timezone": "Europe/Berlin",
        "work_days": (0, 1, 2, 3, 4, 5),
        "work_start": 8,
        "work_end": 19,
    },
    {
        "external_id": "bistro-ca-va",
        "name": "Bistro Ça Va",
        "timezone": "America/Toronto",
        "work_days": (1, 2, 3, 4, 5, 6),
        "work_start": 11,
        "work_end": 22,
    },
    {
        "external_id": "nordlicht-yoga",
        "name": "Nordlicht Yoga Åre",
        "timezone": "Europe/Stockholm",
        "work_days": (0, 1, 2, 3, 4),
        "work_start": 7,
        "work_end": 20,
    },
    # A half-hour offset (UTC+05:30): its days and working hours start at :30 UTC.
    {
        "external_id": "asha-eye-care",
        "name": "Asha Eye Care Kolkata",
        "timezone": "Asia/Kolkata",
        "work_days": (0, 1, 2, 3, 4, 5),
        "work_start": 9,
        "work_end": 19,
    },
    # Southern hemisphere: daylight saving starts on the first Sunday of October (an October
    # of 743 hours) and ends on the first Sunday of April.
    {
        "external_id": "harbour-physio",
        "name": "Harbour Physio Sydney",
        "timezone": "Australia/Sydney",
        "work_days": (0, 1, 2, 3, 4),
        "work_start": 7,
        "work_end": 19,
    },
)

# Sessions per month at scale 1 in the end month (earlier months shrink by GROWTH per month),
# and how many months before the end month each customer starts (None = the whole history).
VOLUME = {
    "acme-dental": 1400,
    "autohaus-mueller": 1800,
    "bistro-ca-va": 1100,
    "nordlicht-yoga": 450,
    "asha-eye-care": 650,
    "harbour-physio": 520,
}
GROWTH = 0.03
STARTS_BEFORE_END = {"nordlicht-yoga": 2}

# Connectors per customer, as (integration_idn, connector_idn, weight in / out of working hours).
CONNECTORS: dict[str, tuple[tuple[str, str, float, float], ...]] = {
    "acme-dental": (
        ("newo_voice", "main_line", 50, 25),
        ("twilio_voice", "after_hours", 0, 45),
        ("newo_chat", "website", 30, 20),
        ("whatsapp", "business", 15, 8),
        ("sandbox", "test", 5, 2),
    ),
    "autohaus-mueller": (
        ("newo_voice", "main_line", 45, 20),
        ("twilio_voice", "after_hours", 0, 35),
        ("newo_chat", "website", 25, 25),
        ("whatsapp", "business", 25, 18),
        ("sandbox", "test", 5, 2),
    ),
    "bistro-ca-va": (
        ("newo_voice", "main_line", 55, 30),
        ("newo_chat", "website", 20, 35),
        ("telegram", "bot", 10, 15),
        ("whatsapp", "business", 15, 20),
    ),
    "nordlicht-yoga": (
        ("newo_chat", "website", 45, 50),
        ("telegram", "bot", 20, 25),
        ("newo_voice", "main_line", 30, 20),
        ("sandbox", "test", 5, 5),
    ),
    "asha-eye-care": (
        ("newo_voice", "main_line", 45, 30),
        ("whatsapp", "business", 40, 55),
        ("newo_chat", "website", 15, 15),
    ),
    "harbour-physio": (
        ("newo_voice", "main_line", 50, 25),
        ("twilio_voice", "after_hours", 0, 30),
        ("newo_chat", "website", 35, 35),
        ("sandbox", "test", 5, 2),
    ),
}

VOICE_INTEGRATIONS = frozenset({"newo_voice", "twilio_voice"})

# session_type -> probability that a session of that type is a lead.
LEAD_RATE = {
    "booking": 0.85,
    "quote_request": 0.65,
    "support": 0.08,
    "opening_hours": 0.04,
    "wrong_number": 0.0,
}
# Per customer: session_type weights and the typical revenue of a lead (median, currency units).
SESSION_TYPES = {
    "acme-dental": {"booking": 40, "quote_request": 12, "support": 22, "opening_hours": 18},
    "autohaus-mueller": {"booking": 30, "quote_request": 30, "support": 25, "opening_hours": 10},
    "bistro-ca-va": {"booking": 50, "quote_request": 8, "support": 10, "opening_hours": 27},
    "nordlicht-yoga": {"booking": 45, "quote_request": 5, "support": 20, "opening_hours": 25},
    "asha-eye-care": {"booking": 45, "quote_request": 15, "support": 20, "opening_hours": 15},
    "harbour-physio": {"booking": 55, "quote_request": 10, "support": 15, "opening_hours": 15},
}
WRONG_NUMBER_WEIGHT = 5
TYPICAL_REVENUE = {
    "acme-dental": 180.0,
    "autohaus-mueller": 420.0,
    "bistro-ca-va": 65.0,
    "nordlicht-yoga": 28.0,
    "asha-eye-care": 2400.0,
    "harbour-physio": 95.0,
}
ASR_RATE_PER_MINUTE = 0.35  # asr_amount of a voice session = minutes x rate

UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def customer_by_id(
    external_id: str, customers: list[dict[str, Any]] | tuple[dict[str, Any], ...] | None = None
) -> dict[str, Any] | None:
    """The demo customer with this external id (among ``customers``, default the named
    ones), or None."""
    for customer in DEMO_CUSTOMERS if customers is None else customers:
        if customer["external_id"] == external_id:
            return customer
    return None


def channel_of(integration_idn: str) -> str:
    """'voice' for the voice integrations, else 'chat'."""
    return (
        "voice" if integration_idn in VOICE_INTEGRATIONS or "voice" in integration_idn else "chat"
    )


def working_hours_flags(customer: dict[str, Any], epochs: list[int]) -> list[int]:
    """1 for each UTC epoch second that falls in the customer's local working hours."""
    tz = ZoneInfo(customer["timezone"])
    days, start, end = set(customer["work_days"]), customer["work_start"], customer["work_end"]
    flags = []
    for epoch in epochs:
        local = datetime.fromtimestamp(epoch, UTC).astimezone(tz)
        flags.append(int(local.weekday() in days and start <= local.hour < end))
    return flags


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def derive_columns(arguments: dict[str, Any]) -> tuple[Any, ...]:
    """The statistics columns of a session, from its arguments (strings, as the Portal sends).

    Returns (session_type, is_lead, revenue, opportunity_value, additional_deal, units,
    asr_amount); absent keys give None for session_type and 0 for the rest.
    """
    session_type = arguments.get("session_type") or None
    return (
        session_type,
        int(arguments.get("is_lead") == "true"),
        _number(arguments.get("revenue", 0)),
        _number(arguments.get("opportunity_value", 0)),
        int(arguments.get("additional_deal") == "true"),
        int(_number(arguments.get("units", 0))),
        _number(arguments.get("asr_amount", 0)),
    )


# --------------------------------------------------------------------------- customers at scale

_NAME_FIRST = (
    "Harbor", "Maple", "Summit", "Riverside", "Sunrise", "Oak", "Golden", "Lakeside", "Northway",
    "Cedar", "Bright", "Urban", "Coastal", "Pine", "Silver", "Meadow", "Elm", "Crescent",
)  # fmt: skip
_NAME_KIND = (
    ("Dental", "dental"), ("Auto", "auto"), ("Bistro", "restaurant"), ("Yoga", "studio"),
    ("Physio", "clinic"), ("Vet Clinic", "clinic"), ("Salon", "studio"), ("Plumbing", "trade"),
    ("Law Office", "office"), ("Realty", "office"), ("Fitness", "studio"), ("Hotel", "hotel"),
)  # fmt: skip
#: Zones of generated customers, with how often each comes up (half-hour and DST zones too).
_ZONES = (
    ("America/New_York", 5), ("America/Chicago", 3), ("America/Los_Angeles", 3),
    ("America/Toronto", 2), ("Europe/Berlin", 4), ("Europe/London", 3), ("Europe/Stockholm", 1),
    ("Asia/Kolkata", 1), ("Australia/Sydney", 1), ("UTC", 1),
)  # fmt: skip
_HOURS = {
    "dental": ((0, 1, 2, 3, 4), 8, 18), "auto": ((0, 1, 2, 3, 4, 5), 8, 19),
    "restaurant": ((1, 2, 3, 4, 5, 6), 11, 22), "studio": ((0, 1, 2, 3, 4, 5), 7, 21),
    "clinic": ((0, 1, 2, 3, 4), 8, 18), "trade": ((0, 1, 2, 3, 4), 7, 17),
    "office": ((0, 1, 2, 3, 4), 9, 17), "hotel": ((0, 1, 2, 3, 4, 5, 6), 0, 24),
}  # fmt: skip
_TEMPLATES = ("acme-dental", "autohaus-mueller", "bistro-ca-va", "nordlicht-yoga")


def _generated_customer(seed: int, index: int) -> dict[str, Any]:
    """The ``index``-th generated demo customer (``demo-001``, ...): a realistic spread of
    names, time zones, working hours and volumes, the same for the same seed."""
    import numpy as np

    rng = np.random.default_rng([seed, 9_001, index])
    first = _NAME_FIRST[int(rng.integers(len(_NAME_FIRST)))]
    kind, family = _NAME_KIND[int(rng.integers(len(_NAME_KIND)))]
    zones, weights = zip(*_ZONES, strict=True)
    p = np.array(weights, dtype=float) / sum(weights)
    zone = zones[int(rng.choice(len(zones), p=p))]
    days, start, end = _HOURS[family]
    return {
        "external_id": f"demo-{index:03d}",
        "name": f"{first} {kind} #{index}",
        "timezone": zone,
        "work_days": days,
        "work_start": start,
        "work_end": min(end, 23),
        # sessions per month at scale 1: a long tail, as real businesses have
        "volume": int(np.clip(rng.lognormal(6.5, 0.7), 80, 4000)),
        "template": _TEMPLATES[index % len(_TEMPLATES)],
    }


def demo_customers(count: int | None = None, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """The sandbox's customers: the named demo customers, then generated ones up to
    ``count`` (None: the named ones only)."""
    named = [dict(c) for c in DEMO_CUSTOMERS]
    if count is None:
        return named
    if count <= len(named):
        return named[:count]
    return named + [_generated_customer(seed, i) for i in range(1, count - len(named) + 1)]


def connectors_of(customer: dict[str, Any]) -> tuple[tuple[str, str, float, float], ...]:
    """A customer's connectors (generated customers borrow a named customer's set)."""
    return CONNECTORS[customer.get("template", customer["external_id"])]


def volume_of(customer: dict[str, Any]) -> float:
    """Sessions per month at scale 1 in the end month."""
    return customer.get("volume") or VOLUME[customer["external_id"]]
