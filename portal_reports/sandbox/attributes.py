"""The demo customers' attributes (12-16 each, in four groups), with deterministic UUIDs."""

from __future__ import annotations

import json
import uuid
from typing import Any

VALUE_TYPES = ("string", "number", "boolean", "json", "enum")
_NAMESPACE = uuid.UUID("5b1f3c1e-8d3a-4c51-9a0e-2f7c0b6a9d11")

TIME_ZONES = [
    "America/New_York",
    "America/Toronto",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Europe/Stockholm",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Sydney",
    "UTC",
]
VOICES = ["aria", "nova", "sage", "ember", "linnea"]
LANGUAGES = ["en", "de", "fr", "sv", "es"]

# Per customer: values that differ (working hours text, greeting, prices, ...).
_PROFILES: dict[str, dict[str, Any]] = {
    "acme-dental": {
        "working_hours": "Mon-Fri 08:00-18:00",
        "greeting": "Hello, thank you for calling Acme Dental Care! How can I help you today?",
        "price_list": {"cleaning": 120.0, "check_up": 85.0, "whitening": 350.0, "filling": 180.0},
        "email": "front-desk@acme-dental.example",
        "voice": "aria",
        "language": "en",
        "max_call_minutes": "15",
        "transfer_number": "+12125550142",
        "crm": "hubspot",
        "holidays": ["2026-11-26", "2026-12-25", "2027-01-01"],
    },
    "autohaus-mueller": {
        "working_hours": "Mon-Sat 08:00-19:00",
        "greeting": "Grüß Gott beim Autohaus Müller & Söhne, wie können wir Ihnen helfen?",
        "price_list": {"inspektion": 289.0, "ölwechsel": 99.0, "reifenwechsel": 45.0},
        "email": "verkauf@autohaus-mueller.example",
        "voice": "ember",
        "language": "de",
        "max_call_minutes": "20",
        "transfer_number": "+49891234567",
        "crm": "salesforce",
        "holidays": ["2026-12-24", "2026-12-25", "2026-12-26"],
    },
    "bistro-ca-va": {
        "working_hours": "Tue-Sun 11:00-22:00",
        "greeting": "Bonjour et bienvenue au Bistro Ça Va ! Une réservation ce soir ?",
        "price_list": {"table_d_hôte": 54.0, "crème_brûlée": 11.5, "menu_enfant": 16.0},
        "email": "reservations@bistro-ca-va.example",
        "voice": "nova",
        "language": "fr",
        "max_call_minutes": "8.5",
        "transfer_number": "+14165550199",
        "crm": "none",
        "holidays": ["2026-12-25", "2027-01-01"],
    },
    "nordlicht-yoga": {
        "working_hours": "Mon-Fri 07:00-20:00",
        "greeting": "Hej och välkommen till Nordlicht Yoga Åre – hur kan jag hjälpa dig?",
        "price_list": {"drop_in": 220.0, "klippkort_10": 1900.0, "månadskort": 850.0},
        "email": "hej@nordlicht-yoga.example",
        "voice": "linnea",
        "language": "sv",
        "max_call_minutes": "10",
        "transfer_number": None,  # no transfer line, no CRM: a smaller customer, 14 attributes
        "crm": None,
        "holidays": ["2026-12-24", "2026-12-31"],
    },
    "asha-eye-care": {
        "working_hours": "Mon-Sat 09:00-19:00",
        "greeting": "Namaste, welcome to Asha Eye Care! How may I help you today?",
        "price_list": {"eye_test": 500.0, "cataract_consult": 1500.0, "lens_fitting": 2500.0},
        "email": "appointments@asha-eye-care.example",
        "voice": "sage",
        "language": "en",
        "max_call_minutes": "12",
        "transfer_number": "+913340001234",
        "crm": "none",
        "holidays": ["2026-10-20", "2026-11-08", "2026-12-25"],
    },
    "harbour-physio": {
        "working_hours": "Mon-Fri 07:00-19:00",
        "greeting": "G'day, thanks for calling Harbour Physio. How can we help?",
        "price_list": {"initial_consult": 110.0, "follow_up": 95.0, "dry_needling": 70.0},
        "email": "bookings@harbour-physio.example",
        "voice": "nova",
        "language": "en",
        "max_call_minutes": "10",
        "transfer_number": "+61290001234",
        "crm": "pipedrive",
        "holidays": ["2026-12-25", "2026-12-26", "2027-01-26"],
    },
}


def _rows(customer: dict[str, Any], profile: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(idn, value, title, description, group, is_hidden, possible_values, value_type) rows."""
    rows: list[tuple[Any, ...]] = [
        (
            "business_name",
            customer["name"],
            "Business name",
            "Name the agent uses for the business.",
            "business",
            False,
            [],
            "string",
        ),
        (
            "greeting",
            profile["greeting"],
            "Greeting",
            "First sentence of every conversation.",
            "business",
            False,
            [],
            "string",
        ),
        (
            "price_list",
            json.dumps(profile["price_list"], ensure_ascii=False),
            "Price list",
            "Prices the agent may quote.",
            "business",
            False,
            [],
            "json",
        ),
        (
            "lead_notification_email",
            profile["email"],
            "Lead notification email",
            "Where new leads are announced.",
            "business",
            False,
            [],
            "string",
        ),
        (
            "internal_score",
            "0.82",
            "Internal score",
            "Account health score (internal).",
            "business",
            True,
            [],
            "number",
        ),
        (
            "working_hours",
            profile["working_hours"],
            "Working hours",
            "Opening hours in the customer's time zone.",
            "schedule",
            False,
            [],
            "string",
        ),
        (
            "time_zone",
            customer["timezone"],
            "Time zone",
            "IANA time zone of the business.",
            "schedule",
            False,
            TIME_ZONES,
            "enum",
        ),
        (
            "booking_enabled",
            "true",
            "Booking enabled",
            "Whether the agent may book appointments.",
            "schedule",
            False,
            [],
            "boolean",
        ),
        (
            "holiday_closures",
            json.dumps(profile["holidays"]),
            "Holiday closures",
            "Dates the business is closed.",
            "schedule",
            False,
            [],
            "json",
        ),
        (
            "agent_voice",
            profile["voice"],
            "Agent voice",
            "Voice used on calls.",
            "agent",
            False,
            VOICES,
            "enum",
        ),
        (
            "agent_language",
            profile["language"],
            "Agent language",
            "Default conversation language.",
            "agent",
            False,
            LANGUAGES,
            "enum",
        ),
        (
            "max_call_minutes",
            profile["max_call_minutes"],
            "Max call minutes",
            "Calls longer than this are wrapped up.",
            "agent",
            False,
            [],
            "number",
        ),
        (
            "sms_followup_enabled",
            "false",
            "SMS follow-up",
            "Send an SMS summary after calls.",
            "integrations",
            False,
            [],
            "boolean",
        ),
        (
            "api_webhook_secret_ref",
            f"vault://webhooks/{customer['external_id']}",
            "Webhook secret reference",
            "Where the webhook signing key is stored.",
            "integrations",
            True,
            [],
            "string",
        ),
    ]
    if profile["transfer_number"]:
        rows.append(
            (
                "transfer_number",
                profile["transfer_number"],
                "Transfer number",
                "Number calls are transferred to.",
                "agent",
                False,
                [],
                "string",
            )
        )
    if profile["crm"]:
        rows.append(
            (
                "crm_system",
                profile["crm"],
                "CRM system",
                "Where leads are pushed.",
                "integrations",
                False,
                ["none", "hubspot", "salesforce", "pipedrive"],
                "enum",
            )
        )
    return rows


def profile_of(customer: dict[str, Any]) -> dict[str, Any]:
    """A customer's attribute values: its own profile, or (generated customers) its
    template's with its own working hours and e-mail."""
    if customer["external_id"] in _PROFILES:
        return _PROFILES[customer["external_id"]]
    days = customer["work_days"]
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    span = f"{names[days[0]]}-{names[days[-1]]}"
    hours = f"{customer['work_start']:02d}:00-{customer['work_end']:02d}:00"
    return {
        **_PROFILES[customer["template"]],
        "working_hours": f"{span} {hours}",
        "greeting": f"Hello, thank you for contacting {customer['name']}! How can I help?",
        "email": f"hello@{customer['external_id']}.example",
        "holidays": [],
    }


def attribute_rows(seed: int, customers: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows for the ``attributes`` table: ids are uuid5 of (seed, customer, idn)."""
    out = []
    for customer in customers:
        for idn, value, title, desc, group, hidden, possible, vtype in _rows(
            customer, profile_of(customer)
        ):
            ident = str(uuid.uuid5(_NAMESPACE, f"{seed}:{customer['external_id']}:{idn}"))
            out.append(
                (
                    ident,
                    customer["external_id"],
                    idn,
                    value,
                    title,
                    desc,
                    group,
                    int(hidden),
                    json.dumps(possible),
                    vtype,
                )
            )
    return out


def attribute_json(row: Any) -> dict[str, Any]:
    """The API form of an ``attributes`` row (sqlite3.Row or mapping)."""
    return {
        "id": row["id"],
        "idn": row["idn"],
        "value": row["value"],
        "title": row["title"],
        "description": row["description"],
        "group": row["group"],
        "is_hidden": bool(row["is_hidden"]),
        "possible_values": json.loads(row["possible_values"] or "[]"),
        "value_type": row["value_type"],
    }


def validate_put(body: Any) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """Check a PUT body; return the full replacement (omitted fields emptied) or errors."""
    if not isinstance(body, dict):
        return None, [
            {"message": "The request body must be a JSON object.", "code": "invalid_body"}
        ]
    errors: list[dict[str, str]] = []

    def bad(field: str, message: str, code: str = "invalid_type") -> None:
        errors.append({"message": f"'{field}': {message}", "code": code})

    new = {
        "value": body.get("value"),
        "title": body.get("title", ""),
        "description": body.get("description", ""),
        "group": body.get("group", ""),
        "is_hidden": body.get("is_hidden", False),
        "possible_values": body.get("possible_values", []),
        "value_type": body.get("value_type", "string"),
    }
    if "value" not in body:
        bad("value", "field required", "missing_field")
    elif not isinstance(new["value"], str):
        bad("value", "must be a string")
    for field in ("title", "description", "group"):
        if not isinstance(new[field], str):
            bad(field, "must be a string")
    if not isinstance(new["is_hidden"], bool):
        bad("is_hidden", "must be a boolean")
    possible = new["possible_values"]
    if not isinstance(possible, list) or not all(isinstance(v, str) for v in possible):
        bad("possible_values", "must be a list of strings")
    if new["value_type"] not in VALUE_TYPES:
        bad("value_type", f"must be one of {', '.join(VALUE_TYPES)}", "invalid_value")
    if errors:
        return None, errors
    problem = value_problem(new["value"], new["value_type"], possible)
    if problem:
        bad("value", problem, "invalid_value")
        return None, errors
    return new, []


def value_problem(value: str, value_type: str, possible: list[str]) -> str | None:
    """Why ``value`` does not fit ``value_type`` (None when it does)."""
    if value_type == "number":
        try:
            number = float(value)
        except ValueError:
            return "must be a number for value_type 'number'"
        if number != number or number in (float("inf"), float("-inf")):
            return "must be a finite number for value_type 'number'"
    elif value_type == "boolean" and value not in ("true", "false"):
        return "must be 'true' or 'false' for value_type 'boolean'"
    elif value_type == "json":
        try:
            json.loads(value)
        except ValueError:
            return "must be valid JSON for value_type 'json'"
    elif value_type == "enum":
        if not possible:
            return "value_type 'enum' needs non-empty possible_values"
        if value not in possible:
            return "must be one of possible_values for value_type 'enum'"
    return None
