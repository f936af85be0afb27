"""The sandbox Portal: a threaded HTTP/1.1 server over the synthetic SQLite dataset.

Use it in-process (``with Sandbox(...) as sb``: an ephemeral loopback port, a temp database),
through :func:`default_sandbox` (one per process, started lazily), or from the CLI
(``portal-reports sandbox``).
"""

from __future__ import annotations

import atexit
import contextlib
import hmac
import json
import math
import os
import shutil
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple, TextIO
from urllib.parse import parse_qs, quote, unquote, urlsplit

from requests.structures import CaseInsensitiveDict

from ..dates import current_month, parse_month
from ..errors import ConfigError
from . import model, queries
from .faults import STATUS_KINDS, Fault, Faults, make_fault
from .generate import generate
from .params import (
    MAX_PER,
    RANGE_PARAMS,
    STRICT_PAGE_CAP,
    ApiError,
    check_known,
    error_body,
    parse_range,
    parse_sessions_query,
)
from .schema import SCHEMA_VERSION, read_meta

SESSIONS = "/api/v1/bff/sessions"
INFO = "/api/v1/bff/sessions/info"
ATTRIBUTES = "/api/v1/bff/customer/attributes"
ATTRIBUTE = "/api/v1/customer/attributes/"
FAULTS = "/_sandbox/faults"
SECRET_HEADER = "x-portal-secret"
CUSTOMER_HEADER = "x-portal-external-customer-id"
REDACTED = "[redacted]"
ENV_SEED = "PORTAL_SANDBOX_SEED"
ENV_END_MONTH = "PORTAL_SANDBOX_END_MONTH"
ENV_CUSTOMERS = "PORTAL_SANDBOX_CUSTOMERS"
MAX_BODY = 1 << 20


TMP_PREFIX = "portal-sandbox-"


def remove_stale_sandbox_dirs() -> None:
    """Delete temporary sandbox databases left by processes that were killed."""
    from .._io import remove_stale_temp_dirs

    remove_stale_temp_dirs(TMP_PREFIX)


class RequestRecord(NamedTuple):
    """One request the sandbox saw; the secret is redacted from the path and headers."""

    method: str
    path: str
    headers: CaseInsensitiveDict


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its sandbox and can close idle keep-alive sockets."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):  # type: ignore[no-untyped-def]
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):  # type: ignore[no-untyped-def]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut every open client socket (their handler threads then end)."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # a client went away: not worth a traceback
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Routes one connection's requests; one SQLite connection per client connection."""

    protocol_version = "HTTP/1.1"
    server_version = "PortalSandbox/1.0"
    disable_nagle_algorithm = True  # headers and body go out in two writes: don't wait 40 ms
    timeout = 120  # idle keep-alive connections are closed after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        self._db: sqlite3.Connection | None = None

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self._db is not None:
                self._db.close()

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = self.server.sandbox.connect()
            self._db.row_factory = sqlite3.Row
        return self._db

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the sandbox logs requests itself, only when asked to."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, unsupported method) with the spec body."""
        self.close_connection = True
        reason = message or self.responses.get(code, ("Error",))[0]
        body = error_body(code, reason, [{"message": explain or reason, "code": "http_error"}])
        self._send(code, body)

    def __getattr__(self, name: str) -> Callable[[], None]:
        """``do_<METHOD>`` for every method (http.server answers 501 when one is missing):
        each request is authenticated, then routed; a resource answers 405 with ``Allow``
        to a method it does not support, and HEAD like GET without the body."""
        if name.startswith("do_"):
            return lambda: self._handle(name[3:])
        raise AttributeError(name)

    # -- plumbing -------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        *,
        raw: bytes | None = None,
        truncate: bool = False,
    ) -> None:
        data = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if truncate:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            raise ApiError(
                411,
                "Length Required",
                [{"message": "Send the body with a Content-Length header.", "code": "http_error"}],
            )
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            size = -1
        if not 0 <= size <= MAX_BODY:
            self.close_connection = True
            raise ApiError(
                400,
                "Invalid Content-Length",
                [{"message": f"Content-Length must be 0..{MAX_BODY}.", "code": "http_error"}],
            )
        return self.rfile.read(size)

    def _handle(self, method: str) -> None:
        sb = self.server.sandbox
        started = time.perf_counter()
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        sb._record(method, self.path, self.headers)
        fault: Fault | None = None
        status, payload, headers = 200, None, {}
        try:
            body = self._read_body()
            if not path.startswith("/_sandbox/"):
                fault = sb.faults.take(path, insert_ok=method == "GET" and path in (SESSIONS, INFO))
            if fault and fault.kind == "drop":
                self.close_connection = True
                sb._log(self, method, "-", started, fault)
                return
            if fault and fault.kind in STATUS_KINDS:
                raise _fault_error(fault)
            if fault and fault.kind == "slow":
                time.sleep(fault.delay)
            self._check_secret(sb.secret)
            payload, status = self._route(method, path, query, body, fault)
        except ApiError as exc:
            status, payload, headers = exc.status, exc.body(), exc.headers
        except Exception:  # a sandbox bug: answer 500 and show it
            traceback.print_exc(file=sys.stderr)
            status = 500
            payload = error_body(
                500,
                "Internal Server Error",
                [{"message": "The sandbox failed.", "code": "internal"}],
            )
        if fault and fault.kind == "garbage":
            self._send(200, None, raw=b"<html><body>502 Bad Gateway... not JSON {")
        else:
            self._send(status, payload, headers, truncate=bool(fault and fault.kind == "truncate"))
        sb._log(self, method, status, started, fault)

    def _check_secret(self, secret: str) -> None:
        given = self.headers.get(SECRET_HEADER)
        expected = secret.encode()
        # Header values arrive decoded as latin-1: re-encode to get the client's bytes back.
        if given is None or not hmac.compare_digest(given.encode("latin-1", "replace"), expected):
            raise ApiError(
                401,
                "Invalid or missing x-portal-secret",
                [
                    {
                        "message": "Send your secret key in the x-portal-secret header.",
                        "code": "unauthorized",
                    }
                ],
            )

    def _check_json_content_type(self, strict: bool) -> None:
        """415 for a body sent as something else than JSON (strict: also for none named)."""
        kind = self.headers.get("Content-Type")
        media = (kind or "").split(";", 1)[0].strip().lower()
        if kind is None and not strict or media == "application/json" or media.endswith("+json"):
            return
        raise ApiError(
            415,
            "Unsupported Media Type",
            [
                {
                    "message": "Send the body as JSON (Content-Type: application/json).",
                    "code": "unsupported_media_type",
                }
            ],
        )

    def _customer(self) -> str | None:
        value = (self.headers.get(CUSTOMER_HEADER) or "").strip()
        if not value:
            return None
        if model.customer_by_id(value, self.server.sandbox.customer_list) is None:
            raise ApiError(
                404,
                f"Unknown customer '{value}'",
                [{"message": f"No customer with external id '{value}'.", "code": "not_found"}],
            )
        return value

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, fault: Fault | None
    ) -> tuple[Any, int]:
        sb = self.server.sandbox
        if path == FAULTS:
            _allow(method, ("GET", "HEAD", "POST", "DELETE"))
            return sb._faults_endpoint(method, body)
        if path in (SESSIONS, INFO, ATTRIBUTES):
            _allow(method, ("GET", "HEAD"))
            if sb.strict and path != SESSIONS:  # the listing checks its own
                check_known(query, RANGE_PARAMS if path == INFO else _QUERY_PARAM)
            customer = self._customer()
            if path == ATTRIBUTES:
                who = customer or model.PRIMARY_CUSTOMER
                return queries.customer_attributes(self.db, who, _first(query, "query")), 200
            strict = sb.strict
            q = parse_sessions_query(query, strict=strict) if path == SESSIONS else None
            start, end = (q.start, q.end) if q else parse_range(query, required=True, strict=strict)
            if fault and fault.kind == "insert":
                sb._insert(customer, q, start, end, fault.count)
            if q is not None:
                page = queries.list_sessions(self.db, customer, q, sb.page_cap, strict=strict)
                return page, 200
            return queries.sessions_info(self.db, customer, start, end), 200
        if path.startswith(ATTRIBUTE) and "/" not in path[len(ATTRIBUTE) :] and path != ATTRIBUTE:
            _allow(method, ("GET", "HEAD", "PUT"))
            if sb.strict:
                check_known(query, frozenset())
            who = self._customer() or model.PRIMARY_CUSTOMER
            ident = unquote(path[len(ATTRIBUTE) :], errors="replace")
            if method != "PUT":
                return queries.customer_attribute(self.db, who, ident), 200
            self._check_json_content_type(sb.strict)
            with sb._write_lock:
                return queries.replace_attribute(self.db, who, ident, _json_body(body)), 200
        raise ApiError(
            404,
            "Not Found",
            [{"message": f"No endpoint {method} {path[:200]}.", "code": "not_found"}],
        )


_QUERY_PARAM = frozenset({"query"})


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _allow(method: str, allowed: tuple[str, ...]) -> None:
    """405 with ``Allow`` unless ``method`` is allowed (every GET resource also takes HEAD)."""
    if method not in allowed:
        raise ApiError(
            405,
            "Method Not Allowed",
            [
                {
                    "message": f"Use {', '.join(allowed)} on this endpoint.",
                    "code": "method_not_allowed",
                }
            ],
            headers={"Allow": ", ".join(allowed)},
        )


def _json_body(body: bytes) -> Any:
    """The decoded JSON body; 400 unless it is UTF-8 JSON whose strings are all Unicode text
    (no lone surrogates such as ``"\\ud800"``, which SQLite cannot store) and that nests
    fewer levels than the parser's recursion limit."""
    try:
        value = json.loads(body.decode("utf-8"))
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # lone surrogates fail here
    except RecursionError:
        problem = "The request body is nested too deeply."
    except ValueError:  # UnicodeDecodeError and UnicodeEncodeError included
        problem = "The request body must be JSON in UTF-8, without lone surrogates in strings."
    else:
        return value
    raise ApiError(400, "Invalid JSON body", [{"message": problem, "code": "invalid_body"}])


def _fault_error(fault: Fault) -> ApiError:
    status = int(fault.kind)
    reasons = {
        429: "Rate limit exceeded",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    headers = {"Retry-After": str(fault.retry_after)} if status == 429 else {}
    return ApiError(
        status,
        reasons[status],
        [{"message": "Injected by the sandbox (fault injection).", "code": "sandbox_fault"}],
        headers=headers,
    )


class Sandbox:
    """A sandbox Portal server over a deterministic synthetic dataset.

    Same ``seed``, ``end_month``, ``months`` and ``scale`` give the same rows. ``end_month``
    defaults to the current UTC month (then nothing is generated after now). ``page_cap`` is
    the most items a page holds whatever ``per`` asks (default 100; the reported ``per`` says
    so).

    ``strict=True`` reads the spec the least forgiving way a real Portal might: date-times
    only as ``YYYY-MM-DDTHH:MM:SSZ``, ``connectors`` only as plain identifiers in repeated
    keys, booleans only ``true``/``false``, each parameter once, unknown parameters refused
    (400), a PUT body only as ``application/json``; and pages hold at most ``page_cap``
    (default 60) items while ``metadata.per`` echoes the ``per`` asked and pages are counted
    by it, so a client must notice a short page by itself.
    """

    def __init__(
        self,
        seed: int | None = None,
        end_month: str | None = None,
        months: int = model.DEFAULT_MONTHS,
        scale: float = 1.0,
        secret: str = model.DEFAULT_SECRET,
        db: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        page_cap: int | None = None,
        log: bool | TextIO | Callable[[str], Any] | None = None,
        strict: bool = False,
        customers: int | None = None,
    ) -> None:
        self.seed = model.DEFAULT_SEED if seed is None else int(seed)
        if customers is not None and (
            isinstance(customers, bool) or not isinstance(customers, int) or customers < 1
        ):
            raise ConfigError(f"customers must be an integer >= 1, got {customers!r}")
        self.customer_list = model.demo_customers(customers, self.seed)
        self.end_month = parse_month(end_month) if end_month else current_month()
        if isinstance(months, bool) or not isinstance(months, int) or months < 1:
            raise ConfigError(f"months must be an integer >= 1, got {months!r}")
        if not isinstance(scale, int | float) or not (math.isfinite(scale) and scale > 0):
            raise ConfigError(f"scale must be a positive number, got {scale!r}")
        if not isinstance(secret, str) or not secret:
            raise ConfigError("the sandbox secret must be a non-empty string")
        if page_cap is None:
            page_cap = STRICT_PAGE_CAP if strict else MAX_PER
        if isinstance(page_cap, bool) or not isinstance(page_cap, int) or page_cap < 1:
            raise ConfigError(f"page_cap must be an integer >= 1, got {page_cap!r}")
        self.strict = bool(strict)
        self.months, self.scale, self.secret, self.page_cap = months, float(scale), secret, page_cap
        self.host, self.port = host, port
        self.url = ""
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self.stats: dict[str, int] = {}
        self._db_arg = db
        self._tmpdir: str | None = None
        self.db_path = ""
        self._log_target = log
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._write_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._inserts = 0

    def __repr__(self) -> str:
        state = self.url or "stopped"
        return (
            f"Sandbox({state}, seed={self.seed}, end_month={self.end_month!r}, "
            f"months={self.months}, scale={self.scale:g}{', strict' if self.strict else ''})"
        )

    @property
    def customers(self) -> list[dict[str, Any]]:
        """The demo customers (external_id, name, timezone, work_days, work_start, work_end)."""
        return [{**c, "work_days": list(c["work_days"])} for c in self.customer_list]

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    def connect(self) -> sqlite3.Connection:
        """A new connection to the sandbox database (for independent SQL checks)."""
        if not self.db_path:
            raise RuntimeError("the sandbox is not started")
        conn = sqlite3.connect(self.db_path, timeout=15.0)
        conn.execute("PRAGMA busy_timeout = 15000")
        return conn

    # -- lifecycle ------------------------------------------------------------------------

    def _expected_meta(self) -> dict[str, str]:
        return {
            "customers": str(len(self.customer_list)),
            "schema_version": SCHEMA_VERSION,
            "seed": str(self.seed),
            "end_month": self.end_month,
            "months": str(self.months),
            "scale": repr(self.scale),
        }

    def _prepare_db(self) -> None:
        if self._db_arg is None:
            remove_stale_sandbox_dirs()
            self._tmpdir = tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-")
            path = Path(self._tmpdir) / "sandbox.db"
        else:
            path = Path(self._db_arg).expanduser().resolve()
            if path.exists():
                meta = read_meta(path)
                if meta is None:
                    raise ConfigError(f"{path} is not a sandbox database: refusing to overwrite it")
                expected = self._expected_meta()
                if meta and all(meta.get(k) == v for k, v in expected.items()):
                    self.db_path = str(path)
                    with self.connect() as conn:
                        n = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
                    self.stats = {"sessions": n, "reused": 1}
                    return
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = OFF")
            started = time.perf_counter()
            self.stats = generate(
                conn,
                seed=self.seed,
                end_month=self.end_month,
                months=self.months,
                scale=self.scale,
                customers=len(self.customer_list),
            )
            self.stats["generate_ms"] = round((time.perf_counter() - started) * 1000)
        finally:
            conn.close()
        self.db_path = str(path)

    def start(self) -> Sandbox:
        """Generate (or reuse) the database and serve on a background thread."""
        with self._state_lock:
            if self._server is not None:
                return self
            self._prepare_db()
            server_cls = _Server
            if ":" in self.host:
                server_cls = type("_Server6", (_Server,), {"address_family": socket.AF_INET6})
            try:
                server = server_cls((self.host, self.port), self)
            except OSError as exc:
                self._cleanup_files()
                raise ConfigError(
                    f"cannot listen on {self.host}:{self.port}: {exc.strerror}"
                ) from None
            port = server.server_address[1]
            host = self.host
            if host in ("", "0.0.0.0"):
                host = "127.0.0.1"
            elif host == "::":
                host = "::1"
            self.url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
            self.port = port
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"portal-sandbox-{port}",
                daemon=True,
            )
            self._thread.start()
            return self

    def stop(self) -> None:
        """Stop serving, close client connections and delete a temporary database."""
        with self._state_lock:
            server, self._server = self._server, None
            if server is not None:
                server.shutdown()
                server.close_connections()
                server.server_close()
                if self._thread is not None:
                    self._thread.join(timeout=5)
            self._cleanup_files()

    def _cleanup_files(self) -> None:
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def serve_until_interrupted(self) -> None:
        """Block until Ctrl-C (KeyboardInterrupt), then stop."""
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- used by the handler ----------------------------------------------------------------

    def _redact(self, text: str) -> str:
        for form in {self.secret, quote(self.secret, safe=""), quote(self.secret)}:
            if form:
                text = text.replace(form, REDACTED)
        return text

    def _record(self, method: str, path: str, headers: Any) -> None:
        clean = CaseInsensitiveDict()
        for name, value in headers.items():
            clean[name] = REDACTED if name.lower() == SECRET_HEADER else self._redact(value)
        self.requests.append(RequestRecord(method, self._redact(path), clean))

    def _log(
        self, handler: _Handler, method: str, status: Any, started: float, fault: Fault | None
    ) -> None:
        target = self._log_target
        if not target:
            return
        customer = handler.headers.get(CUSTOMER_HEADER) or "-"
        line = (
            f"{handler.client_address[0]} {method} {self._redact(handler.path)} {status} "
            f"{(time.perf_counter() - started) * 1000:.1f}ms customer={self._redact(customer)}"
            + (f" fault={fault.kind}" if fault else "")
        )
        if target is True:
            print(line, file=sys.stderr, flush=True)
        elif callable(target):
            target(line)
        else:
            target.write(line + "\n")

    def _insert(
        self, customer: str | None, q: Any, start: str | None, end: str | None, count: int
    ) -> None:
        with self._write_lock:
            self._inserts += 1
            conn = self.connect()
            try:
                with conn:
                    queries.insert_sessions(
                        conn, customer, q, start, end, count, self.seed, self._inserts,
                        self.customer_list,
                    )  # fmt: skip
            finally:
                conn.close()

    def _faults_endpoint(self, method: str, body: bytes) -> tuple[dict[str, Any], int]:
        if method == "DELETE":
            return {"cleared": self.faults.clear(), "served": self.faults.served}, 200
        if method == "POST":
            spec = _json_body(body)
            allowed = {"kind", "count", "path", "retry_after", "delay"}
            if not isinstance(spec, dict) or "kind" not in spec or set(spec) - allowed:
                raise ApiError(
                    422,
                    "Invalid fault",
                    [
                        {
                            "message": "Send a JSON object with 'kind' and optionally count, path, "
                            "retry_after, delay.",
                            "code": "invalid_body",
                        }
                    ],
                )
            try:
                fault = make_fault(**spec)
            except ValueError as exc:
                raise ApiError(
                    422, "Invalid fault", [{"message": str(exc), "code": "invalid_value"}]
                ) from None
            self.faults.add(fault.kind, fault.count, fault.path, fault.retry_after, fault.delay)
            return {"pending": self.faults.pending, "served": self.faults.served}, 201
        return {"pending": self.faults.pending, "served": self.faults.served}, 200


_default: Sandbox | None = None
_default_lock = threading.Lock()


def sandbox_settings_from_env() -> dict[str, Any]:
    """Sandbox keyword arguments from PORTAL_SANDBOX_SEED / _END_MONTH / _CUSTOMERS."""
    settings: dict[str, Any] = {}
    seed = os.environ.get(ENV_SEED, "").strip()
    if seed:
        try:
            settings["seed"] = int(seed)
        except ValueError:
            raise ConfigError(f"{ENV_SEED} must be an integer, got {seed!r}") from None
    end_month = os.environ.get(ENV_END_MONTH, "").strip()
    if end_month:
        settings["end_month"] = parse_month(end_month)
    customers = os.environ.get(ENV_CUSTOMERS, "").strip()
    if customers:
        if not customers.isdigit() or not 1 <= int(customers) <= 10_000:
            raise ConfigError(f"{ENV_CUSTOMERS} must be a number of customers, got {customers!r}")
        settings["customers"] = int(customers)
    return settings


def default_sandbox() -> Sandbox:
    """The process-wide embedded sandbox: started once (thread-safe), stopped at exit."""
    global _default
    with _default_lock:
        if _default is None:
            sandbox = Sandbox(**sandbox_settings_from_env()).start()
            atexit.register(sandbox.stop)
            _default = sandbox
        return _default
