"""An independent Portal for tests: the spec's three read endpoints over a small in-memory
list of sessions, written from the API document alone (no sandbox code), on a loopback port.

Its statistics are computed here in plain Python, so a test can compare what portal-reports
shows with what this server says, month by month.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class QuietHTTPServer(ThreadingHTTPServer):
    """A test server that prints no traceback when the client under test hangs up."""

    daemon_threads = True

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


SECRET = "stub-secret-4Kq"
CUSTOMER = "harbour-vet"


def make_sessions(months: dict[str, int]) -> list[dict]:
    """``count`` sessions in each ``YYYY-MM``: every third a lead worth 100.5, every fourth
    voice, every fifth after hours (reported in ``arguments``)."""
    out = []
    for month, count in months.items():
        start = datetime.fromisoformat(f"{month}-01T09:00:00+00:00")
        for i in range(count):
            created = start + timedelta(hours=7 * i)
            lead = i % 3 == 0
            voice = i % 4 == 0
            out.append(
                {
                    "id": f"{month}-{i:05d}",
                    "persona": {
                        "id": "p1",
                        "actor_id": "a1",
                        "name": "Stub Caller",
                        "external_id": "x1",
                        "is_deleted": False,
                    },
                    "integration_idn": "acme_voice" if voice else "web_chat",
                    "connector_idn": "main" if i % 2 == 0 else "backup",
                    "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "arguments": {
                        "is_lead": "true" if lead else "false",
                        "session_type": "booking" if lead else "question",
                        **({"revenue": "100.5"} if lead else {}),
                        **({"asr_amount": "1.25"} if voice else {}),
                    },
                    "user_messages_count": 3,
                    "agent_messages_count": 3,
                    "messages_count": 6,
                    "events_count": 0,
                    "latest_message_datetime": None,
                    "latest_event_datetime": None,
                    "ended_at": (created + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "_after_hours": i % 5 == 0,
                }
            )
    return out


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def statistics(sessions: list[dict]) -> dict:
    """``/sessions/info`` for these sessions, computed from the spec's field descriptions."""
    by_date: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    asr_by_date: dict[str, float] = defaultdict(float)
    types: dict[tuple[bool, str], int] = defaultdict(int)
    channels: dict[str, int] = defaultdict(int)
    summary = {m: {"working_hours": 0.0, "non_working_hours": 0.0, "total": 0.0} for m in (
        "sessions", "leads", "revenue", "asr", "opportunity_sessions", "opportunity_value",
        "additional_deal", "units",
    )}  # fmt: skip
    for s in sessions:
        day = s["created_at"][:10]
        lead = s["arguments"].get("is_lead") == "true"
        revenue = float(s["arguments"].get("revenue", 0))
        asr = float(s["arguments"].get("asr_amount", 0))
        by_date[day][0] += 1
        by_date[day][1] += int(lead)
        asr_by_date[day] += asr
        types[(lead, s["arguments"]["session_type"])] += 1
        channels["voice" if "voice" in s["integration_idn"] else "chat"] += 1
        column = "non_working_hours" if s["_after_hours"] else "working_hours"
        for metric, value in (("sessions", 1), ("leads", int(lead)), ("revenue", revenue),
                              ("asr", asr)):  # fmt: skip
            summary[metric][column] += value
            summary[metric]["total"] += value
    hours = [
        {"hour": "working_hours", "count": int(summary["sessions"]["working_hours"])},
        {"hour": "non_working_hours", "count": int(summary["sessions"]["non_working_hours"])},
    ]
    return {
        "sessions_by_leads": {
            "items": [
                {"date": d, "total_sessions": v[0], "total_sessions_leads": v[1]}
                for d, v in sorted(by_date.items())
            ],
            "total_sessions": len(sessions),
            "total_sessions_leads": sum(v[1] for v in by_date.values()),
        },
        "sessions_by_type": {
            "sessions_leads": [
                {"argument": t, "total_sessions": n} for (lead, t), n in types.items() if lead
            ],
            "sessions_non_leads": [
                {"argument": t, "total_sessions": n} for (lead, t), n in types.items() if not lead
            ],
        },
        "sessions_by_channel": [{"channel": c, "count": n} for c, n in sorted(channels.items())],
        "sessions_by_hours": hours,
        "sessions_by_asr": [
            {"date": d, "asr_amount": round(v, 2)} for d, v in sorted(asr_by_date.items())
        ],
        "summary": {m: {k: round(v, 2) for k, v in cols.items()} for m, cols in summary.items()},
    }


BUSINESS_NAME = {
    "id": "0b7f3f64-1d1a-4a59-9a8b-2d3c2b1a0f01",
    "idn": "business_name",
    "value": "Harbour Vet Clinic",
    "title": "Business name",
    "description": "",
    "group": "business",
    "is_hidden": False,
    "possible_values": [],
    "value_type": "string",
}
ATTRIBUTE_FIELDS = (
    "value", "title", "description", "group", "is_hidden", "possible_values", "value_type",
)  # fmt: skip
NUMBER_TYPES = {"number": (int, float), "integer": (int,), "boolean": (bool,)}


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def put_problem(stored: dict, body: dict) -> str | None:
    """Why a Portal keeping values in their JSON types refuses a PUT: the value must keep the
    JSON type it is held in; with no value yet, a number/integer/boolean ``value_type``
    needs that JSON type."""
    value, old = body.get("value"), stored.get("value")
    if old is not None and value is not None and _json_kind(old) != _json_kind(value):
        return f"value must stay a JSON {_json_kind(old)}"
    wanted = NUMBER_TYPES.get(body.get("value_type"))
    if old is not None or wanted is None or value is None:
        return None
    if isinstance(value, bool) != (bool in wanted) or not isinstance(value, wanted):
        return f"value must be a JSON {body.get('value_type')}"
    return None


def connector_filter(values: list[str]):
    """The spec's ``connectors`` filter read from its description alone: a plain identifier
    is a ``connector_idn``; ``integration/connector`` both; ``integration/*`` an integration."""

    def keep(session: dict) -> bool:
        for value in values:
            integration, slash, connector = value.partition("/")
            if not slash and session["connector_idn"] == value:
                return True
            wanted = ("*", session["connector_idn"])
            if slash and session["integration_idn"] == integration and connector in wanted:
                return True
        return False

    return keep


class StubPortal:
    """``with StubPortal({"2026-08": 40, ...}) as portal``: ``portal.url``, ``portal.info_ranges``
    (every ``/sessions/info`` range asked for), ``portal.month_statistics(month)``,
    ``portal.session_queries`` (the query of every ``/sessions`` call, keys to value lists).

    ``connectors`` is the query key whose connector filter the server applies: ``None``
    (default) ignores any filter, ``"connectors"`` reads repeated keys (the spec's form as the
    project reads it), ``"connectors[]"`` reads only the bracket form.
    """

    def __init__(
        self,
        months: dict[str, int],
        *,
        connectors: str | None = None,
        attributes: list[dict] | None = None,
        list_omits: tuple[str, ...] = (),
    ) -> None:
        self.sessions = make_sessions(months)
        self.connectors = connectors
        # customer attributes (default: business_name only); ``list_omits``: fields the list
        # endpoint leaves out while the single-attribute GET has them
        self.attributes = json.loads(json.dumps(attributes or [BUSINESS_NAME]))
        self.list_omits = list_omits
        self.put_bodies: list[tuple[str, dict]] = []  # (attribute id, body) of every PUT
        self.info_ranges: list[tuple[str, str]] = []
        self.session_queries: list[dict[str, list[str]]] = []
        self.url = ""
        self._server: ThreadingHTTPServer | None = None

    def in_range(self, start: str, end: str) -> list[dict]:
        a, b = _time(start), _time(end)
        return [s for s in self.sessions if a <= _time(s["created_at"]) <= b]

    def month_statistics(self, month: str) -> dict:
        year, mon = map(int, month.split("-"))
        nxt = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC) - timedelta(seconds=1)
        return statistics(self.in_range(f"{month}-01T00:00:00Z", nxt.isoformat()))

    def __enter__(self) -> StubPortal:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                lists = parse_qs(url.query)
                query = {k: v[0] for k, v in lists.items()}
                if self.headers.get("x-portal-secret") != SECRET:
                    return self._send(401, {"code": 401, "type": "Unauthorized", "reason": "no"})
                customer = self.headers.get("x-portal-external-customer-id")
                if customer not in (None, CUSTOMER):
                    return self._send(404, {"code": 404, "type": "Not Found", "reason": "who"})
                if url.path == "/api/v1/bff/sessions/info":
                    start, end = query["from_datetime"], query["to_datetime"]
                    stub.info_ranges.append((start, end))
                    return self._send(200, statistics(stub.in_range(start, end)))
                if url.path == "/api/v1/bff/sessions":
                    stub.session_queries.append(lists)
                    found = stub.in_range(query["from_datetime"], query["to_datetime"])
                    if stub.connectors and lists.get(stub.connectors):
                        found = list(filter(connector_filter(lists[stub.connectors]), found))
                    found.sort(key=lambda s: (s["created_at"], s["id"]), reverse=True)
                    page, per = int(query["page"]), min(int(query["per"]), 50)
                    items = [
                        {k: v for k, v in s.items() if not k.startswith("_")}
                        for s in found[(page - 1) * per : page * per]
                    ]
                    meta = {"page": page, "per": per, "total": len(found)}
                    return self._send(200, {"items": items, "metadata": meta})
                if url.path == "/api/v1/bff/customer/attributes":
                    listed = [
                        {k: v for k, v in a.items() if k not in stub.list_omits}
                        for a in stub.attributes
                    ]
                    groups = sorted({a["group"] for a in stub.attributes})
                    return self._send(200, {"groups": groups, "attributes": listed})
                attribute = self._attribute(url.path)
                if attribute is not None:
                    return self._send(200, attribute)
                return self._send(404, {"code": 404, "type": "Not Found", "reason": url.path})

            def _attribute(self, path: str) -> dict | None:
                prefix = "/api/v1/customer/attributes/"
                if not path.startswith(prefix):
                    return None
                found = [a for a in stub.attributes if a["id"] == path[len(prefix) :]]
                return found[0] if found else None

            def do_PUT(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.headers.get("x-portal-secret") != SECRET:
                    return self._send(401, {"code": 401, "type": "Unauthorized", "reason": "no"})
                attribute = self._attribute(urlsplit(self.path).path)
                if attribute is None:
                    return self._send(404, {"code": 404, "type": "Not Found", "reason": "what"})
                stub.put_bodies.append((attribute["id"], body))
                problem = put_problem(attribute, body)
                if problem:
                    error = {"message": problem, "code": "invalid_value"}
                    reason = "Invalid value"
                    answer = {"code": 422, "type": "Unprocessable Entity", "reason": reason}
                    return self._send(422, {**answer, "errors": [error]})
                attribute.update({k: body.get(k) for k in ATTRIBUTE_FIELDS})  # PUT replaces
                return self._send(200, attribute)

        self._server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
