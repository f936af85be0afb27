"""A hostile HTTP server for tests: a real threaded server on 127.0.0.1:0 whose answers each
test scripts per path (trickled bytes, slow answers, long Retry-After, crafted JSON).

    with HostileServer() as srv:
        srv.route("/api/v1/bff/sessions/info", trickle(b"{}", every=0.2))
        srv.route("/api/v1/bff/sessions", json_answer(page))
        PortalClient(srv.url, "secret", ...)

A handler is ``fn(request) -> None``: it writes the whole answer itself (status line, headers,
body) through ``request.wfile``. It should return soon after ``server.stopping`` is set.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Handler = Callable[["_Request"], None]


class _Request(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    @property
    def route_path(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.body = body
        owner = self.server.owner
        with owner.lock:
            owner.requests.append((self.command, self.path, dict(self.headers), body))
        handler = owner.routes.get(self.route_path) or owner.fallback
        if handler is None:
            send(self, 404, {"code": 404, "type": "Not Found", "reason": "no route", "errors": []})
            return
        try:
            handler(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    body: bytes = b""
    do_GET = do_PUT = do_POST = do_DELETE = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: HostileServer

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the client under test hung up (as a timeout test expects): no traceback
        super().handle_error(request, client_address)


class HostileServer:
    """A scripted HTTP server (see the module docstring); a context manager."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.fallback: Handler | None = None  # for paths without a route
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Request)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


# --------------------------------------------------------------------------- answers


def encode(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def send(req: _Request, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
    """A complete answer with Content-Length."""
    body = encode(payload)
    req.send_response(status)
    req.send_header("Content-Type", "application/json")
    req.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        req.send_header(name, value)
    req.end_headers()
    req.wfile.write(body)
    req.wfile.flush()


def json_answer(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    """Always the same answer."""
    return lambda req: send(req, status, payload, headers)


def _pause(req: _Request, seconds: float) -> bool:
    """Sleep unless the server is stopping (then False)."""
    return not req.server.owner.stopping.wait(seconds)


def slow(payload: Any, delay: float) -> Handler:
    """Answer completely, but only after ``delay`` seconds."""

    def handler(req: _Request) -> None:
        if _pause(req, delay):
            send(req, 200, payload)

    return handler


def trickle_body(payload: Any, every: float) -> Handler:
    """Headers at once (with the full Content-Length), then the body one byte per ``every``."""

    def handler(req: _Request) -> None:
        body = encode(payload)
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.flush()
        for i in range(len(body)):
            req.wfile.write(body[i : i + 1])
            req.wfile.flush()
            if not _pause(req, every):
                return

    return handler


def trickle_headers(every: float) -> Handler:
    """The status line, then one header byte per ``every``: the headers never end."""

    def handler(req: _Request) -> None:
        req.wfile.write(b"HTTP/1.1 200 OK\r\n")
        req.wfile.flush()
        while _pause(req, every):
            req.wfile.write(b"X")
            req.wfile.flush()

    return handler


def portal_error(status: int, reason: str, headers: dict[str, str] | None = None) -> Handler:
    """A spec error body with ``status`` (e.g. 429 with a Retry-After header)."""
    body = {"code": status, "type": "Error", "reason": reason, "errors": []}
    return json_answer(body, status, headers)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """(result or raised exception, seconds it took)."""
    started = time.monotonic()
    try:
        result: Any = fn()
    except Exception as exc:  # the test inspects it
        result = exc
    return result, time.monotonic() - started


# --------------------------------------------------------------------------- a whole fake Portal

SESSIONS = "/api/v1/bff/sessions"
INFO = "/api/v1/bff/sessions/info"
ATTRIBUTES = "/api/v1/bff/customer/attributes"


def empty_info() -> dict[str, Any]:
    """A valid /sessions/info answer with nothing in it."""
    return {
        "sessions_by_leads": {"items": [], "total_sessions": 0, "total_sessions_leads": 0},
        "sessions_by_type": {"sessions_leads": [], "sessions_non_leads": []},
        "sessions_by_channel": [],
        "sessions_by_hours": [],
        "sessions_by_asr": [],
        "summary": {},
    }


def fake_portal(
    server: HostileServer,
    month: str,
    sessions: list[Any],
    info: Any,
    previous_info: Any = None,
    attributes: Any = None,
) -> None:
    """Serve one month: ``sessions`` paged as asked, ``info`` for ``month`` (``previous_info``
    for any other range), ``attributes``. Payloads may be bytes (sent as they are, e.g. JSON
    with NaN or 400-digit numbers) or JSON-able objects."""

    def sessions_page(req: _Request) -> None:
        page, per = int(req.query["page"][0]), int(req.query["per"][0])
        items = sessions[(page - 1) * per : page * per]
        meta = json.dumps({"page": page, "per": per, "total": len(sessions)}).encode()
        items_json = b",".join(encode(i) for i in items)
        send(req, 200, b'{"items": [' + items_json + b'], "metadata": ' + meta + b"}")

    def sessions_info(req: _Request) -> None:
        current = req.query["from_datetime"][0].startswith(month)
        send(req, 200, info if current else (previous_info or empty_info()))

    server.route(SESSIONS, sessions_page)
    server.route(INFO, sessions_info)
    server.route(ATTRIBUTES, json_answer(attributes or {"groups": [], "attributes": []}))


def proxy_to(target: str, before_answer: Callable[[_Request, Any], None] | None = None) -> Handler:
    """Forward a request to ``target`` (e.g. a sandbox) and relay its answer.

    ``before_answer(request, response)`` runs after the target answered and before the
    answer is relayed: a test can act as another writer at exactly that moment.
    """
    import requests

    def handler(req: _Request) -> None:
        headers = {
            k: v for k, v in req.headers.items() if k.lower() not in ("host", "content-length")
        }
        resp = requests.request(
            req.command, target + req.path, headers=headers, data=req.body or None, timeout=10
        )
        if before_answer is not None:
            before_answer(req, resp)
        send(req, resp.status_code, resp.content)

    return handler
