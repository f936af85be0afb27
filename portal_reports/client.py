"""HTTP client for the Portal API: one keep-alive session, timeouts, retries, error mapping.

Every call goes through :meth:`PortalClient._request`, which applies the connect/read timeouts,
retries transient failures (connection errors, bodies broken mid-read, read timeouts, 429,
502/503/504) with exponential backoff and full jitter, and maps the rest to the
:mod:`portal_reports.errors` tree. 500 and other statuses are never retried. The secret is sent
as a header and never appears in a message, log line, ``repr`` or exception.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import random
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
import urllib3.exceptions
from tqdm import tqdm

from .config import resolve_settings
from .dates import DateLike, format_utc, month_range, to_utc
from .errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    InvalidResponseError,
    NotFoundError,
    PaginationError,
    PortalConnectionError,
    PortalError,
    PortalHTTPError,
    RateLimitError,
    ServerError,
)

log = logging.getLogger("portal_reports.client")

SESSIONS_PATH = "/api/v1/bff/sessions"
SESSIONS_INFO_PATH = "/api/v1/bff/sessions/info"
ATTRIBUTES_PATH = "/api/v1/bff/customer/attributes"
ATTRIBUTE_PATH = "/api/v1/customer/attributes/{id}"

MAX_PER_PAGE = 100  # the server caps ``per``; never ask for more
MAX_WALKS = 3  # full walks of the pages before giving up on a moving total
ATTRIBUTE_FIELDS = (
    "value",
    "title",
    "description",
    "group",
    "is_hidden",
    "possible_values",
    "value_type",
)
INFO_KEYS = {
    "sessions_by_leads": dict,
    "sessions_by_type": dict,
    "sessions_by_channel": list,
    "sessions_by_hours": list,
    "sessions_by_asr": list,
    "summary": dict,
}

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Failures while sending or reading: retried (GET and PUT are both idempotent here).
_TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.IncompleteRead,
    urllib3.exceptions.TimeoutError,
    http.client.IncompleteRead,
    ConnectionError,
)

Timeout = float | tuple[float, float]


class PortalClient:
    """Client of the Portal API; use it as a context manager (it owns a ``requests.Session``)."""

    def __init__(
        self,
        base_url: str | None = None,
        secret: str | None = None,
        customer_id: str | None = None,
        *,
        timeout: Timeout = (3.05, 30),
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        backoff_max: float = 30.0,
        per_page: int = 100,
        progress: bool | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from . import __version__

        settings = resolve_settings(base_url, secret, customer_id)
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        if backoff_factor < 0 or backoff_max < 0:
            raise ConfigError("backoff_factor and backoff_max must be >= 0")
        if not isinstance(per_page, int) or per_page < 1:
            raise ConfigError(f"per_page must be an integer >= 1, got {per_page!r}")
        self.base_url: str = settings.base_url.rstrip("/")
        self.customer_id: str | None = settings.customer_id
        self.sandbox: bool = settings.sandbox
        self._secret = _check_header_value("secret", settings.secret, show=False)
        if self.customer_id is not None:
            _check_header_value("customer id", self.customer_id, show=True)
        self.timeout = _check_timeout(timeout)
        self.max_retries = max_retries
        self.backoff_factor = float(backoff_factor)
        self.backoff_max = float(backoff_max)
        self.per_page = min(per_page, MAX_PER_PAGE)
        self.progress = progress
        self._sleep = sleep
        self._rng = random.Random()
        self._session = requests.Session()
        self._session.headers.update(
            {"User-Agent": f"portal-reports/{__version__}", "Accept": "application/json"}
        )
        self._owns_session = True

    # -- lifecycle -------------------------------------------------------------------------

    def for_customer(self, customer_id: str | None) -> PortalClient:
        """A client for another customer (``None``: whole account) sharing this session."""
        if customer_id is not None and (not isinstance(customer_id, str) or not customer_id):
            raise ConfigError(f"customer id must be a non-empty string, got {customer_id!r}")
        if customer_id is not None:
            _check_header_value("customer id", customer_id, show=True)
        other = object.__new__(PortalClient)
        other.__dict__.update(self.__dict__)
        other.customer_id = customer_id
        other._owns_session = False
        return other

    def close(self) -> None:
        """Close the HTTP session (a no-op for clients made by :meth:`for_customer`)."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PortalClient(base_url={self.base_url!r}, customer_id={self.customer_id!r})"

    # -- endpoints -------------------------------------------------------------------------

    def iter_sessions(
        self,
        start: DateLike,
        end: DateLike,
        connectors: Iterable[str] | str | None = None,
        is_active: bool | None = None,
        progress: bool | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every session created in [start, end] (raw items, server order, no duplicates).

        Walks all pages; items are deduplicated by id. If the total changes while walking
        (new sessions shift items between pages), the walk restarts from page 1 and merges
        by id, up to ``MAX_WALKS`` walks, then :class:`PaginationError`. Items are yielded
        only once the list is consistent, so a consumer never sees a short list. Arguments
        are checked at once (:class:`ConfigError`); requests start on the first ``next()``.

        ``connectors`` are sent as given, as repeated ``connectors`` keys: the spec's connector
        identifiers (``main_line``); ``integration/connector`` and ``integration/*`` only
        work with the sandbox. ``is_active=True`` sends ``is_active=true`` (the spec's "active
        sessions only"); ``is_active=False`` sends nothing and keeps the ended sessions here,
        since the spec does not say what ``is_active=false`` means to the server.
        """
        params = self._range_params(start, end)
        params += [("connectors", c) for c in _connector_list(connectors)]
        if is_active is not None and not isinstance(is_active, bool):
            raise ConfigError(f"is_active must be True, False or None, got {is_active!r}")
        if is_active:
            params.append(("is_active", "true"))
        items = self._walk(params, self._show_progress(progress))
        if is_active is False:
            return (item for item in items if item.get("ended_at") is not None)
        return items

    def sessions(
        self,
        start: DateLike,
        end: DateLike,
        connectors: Iterable[str] | str | None = None,
        is_active: bool | None = None,
        progress: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Every session created in [start, end], as a list of raw items."""
        return list(self.iter_sessions(start, end, connectors, is_active, progress))

    def sessions_info(self, start: DateLike, end: DateLike) -> dict[str, Any]:
        """Raw ``/sessions/info`` statistics for [start, end] (inclusive)."""
        data = self._request("GET", SESSIONS_INFO_PATH, params=self._range_params(start, end))
        for key, kind in INFO_KEYS.items():
            if not isinstance(data.get(key), kind):
                raise self._invalid("GET", SESSIONS_INFO_PATH, f"no {kind.__name__} {key!r}")
        if not isinstance(data["sessions_by_leads"].get("items"), list):
            raise self._invalid("GET", SESSIONS_INFO_PATH, "no list 'sessions_by_leads.items'")
        return data

    def month_sessions(
        self,
        month: str,
        connectors: Iterable[str] | str | None = None,
        is_active: bool | None = None,
        progress: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Every session of a calendar month (``"2024-01"``, UTC, both ends inclusive)."""
        start, end = month_range(month)
        return self.sessions(start, end, connectors, is_active, progress)

    def month_info(self, month: str) -> dict[str, Any]:
        """Raw ``/sessions/info`` statistics of a calendar month (``"2024-01"``, UTC)."""
        return self.sessions_info(*month_range(month))

    def customer_attributes(self, query: str | None = None) -> dict[str, Any]:
        """The customer's attributes: ``{"groups": [...], "attributes": [...]}``."""
        params = [("query", query)] if query else None
        data = self._request("GET", ATTRIBUTES_PATH, params=params)
        for key in ("groups", "attributes"):
            if not isinstance(data.get(key), list):
                raise self._invalid("GET", ATTRIBUTES_PATH, f"no list {key!r}")
        return data

    def customer_attribute(self, attribute_id: str) -> dict[str, Any]:
        """One customer attribute by id (note: this endpoint has no ``/bff``)."""
        path = _attribute_path(attribute_id)
        return self._check_attribute("GET", path, self._request("GET", path))

    def update_customer_attribute(self, attribute_id: str, **changes: Any) -> dict[str, Any]:
        """Change some fields of an attribute, keeping the others (PUT replaces the whole body).

        Reads the attribute, applies ``changes`` and sends every field back. Returns the
        server's answer. Unknown field names raise :class:`ConfigError` before any request.
        """
        unknown = sorted(set(changes) - set(ATTRIBUTE_FIELDS))
        if unknown:
            raise ConfigError(
                f"unknown attribute field(s) {', '.join(unknown)}; "
                f"expected some of {', '.join(ATTRIBUTE_FIELDS)}"
            )
        path = _attribute_path(attribute_id)
        current = self.customer_attribute(attribute_id)
        body = {key: current[key] for key in ATTRIBUTE_FIELDS if key in current}
        body.update(changes)
        return self._check_attribute("PUT", path, self._request("PUT", path, json_body=body))

    # -- paging ----------------------------------------------------------------------------

    def _walk(self, params: list[tuple[str, str]], show: bool) -> Iterator[dict[str, Any]]:
        """Walk the pages until the list is consistent; then yield it (see iter_sessions)."""
        bar = tqdm(unit="session", disable=not show, file=sys.stderr, desc="sessions")
        seen: dict[str, dict[str, Any]] = {}  # every item of every walk, by id
        history: list[int] = []  # every total seen, in order
        pace = [self.per_page]  # the ``per`` to ask: lowered to the page size the server serves
        try:
            problem = ""
            for walk in range(1, MAX_WALKS + 1):
                items, problem = self._walk_once(params, bar, seen, history, pace)
                if not problem:
                    yield from items
                    return
                if walk < MAX_WALKS:
                    log.warning(
                        "GET %s: %s; walking the pages again (walk %d of %d)",
                        SESSIONS_PATH,
                        problem,
                        walk + 1,
                        MAX_WALKS,
                    )
        finally:
            bar.close()
        raise PaginationError(
            f"GET {SESSIONS_PATH}: no consistent list after {MAX_WALKS} walks of the pages "
            f"({problem}); the sessions keep changing, try again later"
        )

    def _walk_once(
        self,
        params: list[tuple[str, str]],
        bar: Any,
        seen: dict[str, dict[str, Any]],
        history: list[int],
        pace: list[int],
    ) -> tuple[list[dict[str, Any]], str]:
        """One walk from page 1: (items in server order, problem or "" when consistent).

        A walk is consistent when the total stayed the same and it met exactly that many
        distinct ids. A re-walk may stop early: when the total only ever grew (sessions were
        added, none removed) and the ids met over all walks now number exactly the total,
        the newcomers on the first pages complete the earlier walks' items.

        ``pace[0]`` is the ``per`` to ask. When a page holds fewer items than asked while
        more remain, the server capped ``per``; from the next page on the client asks for
        what it was served, so page N starts at the same offset whether the server counts
        pages by the ``per`` asked or by the one it applied.
        """
        per = pace[0]
        items: dict[str, dict[str, Any]] = {}
        totals: list[int] = []
        served = 0
        page = 0
        smallest_page = per
        rewalk = bool(seen)
        while True:
            page += 1
            query = [("page", str(page)), ("per", str(per)), *params]
            data = self._request("GET", SESSIONS_PATH, params=query)
            page_items, total, meta_per = _sessions_page(data, self._invalid)
            totals.append(total)
            history.append(total)
            served += len(page_items)
            for item in page_items:
                items.setdefault(item["id"], item)
                seen.setdefault(item["id"], item)
            bar.total = total
            bar.update(min(len(seen), total) - bar.n)
            if not page_items or len(items) >= total:
                break
            merged = _merged(items, seen, totals, history) if rewalk else None
            if merged is not None:
                return merged, ""
            if total - totals[0] >= served:
                return [], f"sessions arrive faster than pages are read ({totals[0]} -> {total})"
            if page == 1 and len(page_items) < per:  # the server capped ``per``
                per = pace[0] = max(1, min(len(page_items), meta_per or per))
            # Never loop forever (e.g. a server ignoring ``page``): allow slack for items
            # shifting between pages, but stop well past the last page the total allows.
            smallest_page = min(smallest_page, len(page_items), meta_per or per)
            if page >= math.ceil(totals[0] / max(smallest_page, 1)) + 5:
                return [], f"still {len(items)} of {total} sessions after page {page}"
        if len(set(totals)) == 1 and len(items) == total:
            return list(items.values()), ""
        merged = _merged(items, seen, totals, history) if rewalk else None
        if merged is not None:
            return merged, ""
        if len(set(totals)) > 1:
            return [], f"the total changed while paging ({totals[0]} -> {totals[-1]})"
        return [], f"{len(items)} distinct sessions but the total says {total}"

    # -- HTTP ------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """Send one API call with timeouts and retries; return the decoded JSON (2XX only)."""
        url = self.base_url + path
        headers = {"x-portal-secret": self._secret}
        if self.customer_id:
            headers["x-portal-external-customer-id"] = self.customer_id
        attempt = 0
        while True:
            attempt += 1
            failure, status, retry_after = "", 0, None
            fatal: PortalError | None = None
            started = time.monotonic()
            try:
                resp = self._session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,  # a redirect must never carry the secret elsewhere
                )
            except requests.exceptions.SSLError as exc:
                fatal = PortalConnectionError(
                    self._scrub(f"{method} {path}: TLS failure ({type(exc).__name__}: {exc})")
                )
            except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
                fatal = ConfigError(self._scrub(f"bad Portal URL {self.base_url!r}: {exc}"))
            except (requests.exceptions.InvalidHeader, UnicodeError):
                # requests quotes the offending header value, which may be the secret
                fatal = ConfigError(
                    f"{method} {path}: the secret or customer id is not a valid header value"
                )
            except _TRANSIENT_ERRORS as exc:
                failure = self._scrub(_describe(exc))
            else:
                status = resp.status_code
                log.debug(
                    "%s %s -> %s in %.3fs (attempt %d)",
                    method,
                    path,
                    status,
                    time.monotonic() - started,
                    attempt,
                )
                if 200 <= status < 300:
                    try:
                        return self._decode(method, path, resp)
                    except _Truncated:
                        failure = "the body ended early"
                elif status in RETRY_STATUSES:
                    failure = f"HTTP {status}"
                    if status in (429, 503):
                        retry_after = _retry_after(resp.headers.get("Retry-After"))
                else:
                    raise self._http_error(method, path, resp, attempt)
            if fatal is not None:
                raise fatal  # outside the except block: no chained requests exception
            if attempt > self.max_retries:
                if status in RETRY_STATUSES:
                    raise self._http_error(method, path, resp, attempt)
                raise PortalConnectionError(
                    f"{method} {path} failed after {attempt} attempt(s): {failure}"
                )
            wait = self._backoff(attempt, retry_after)
            log.warning(
                "%s %s: %s (attempt %d of %d); retrying in %.2fs",
                method,
                path,
                failure,
                attempt,
                self.max_retries + 1,
                wait,
            )
            self._sleep(wait)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry ``attempt``: Retry-After if given, else full jitter."""
        if retry_after is not None:
            return min(retry_after, self.backoff_max)
        ceiling = min(self.backoff_max, self.backoff_factor * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)

    def _decode(self, method: str, path: str, resp: requests.Response) -> Any:
        """Decode a 2XX JSON body, or raise InvalidResponseError (``_Truncated`` if cut short)."""
        text = resp.content.decode(resp.encoding or "utf-8", errors="replace").strip()
        try:
            return json.loads(resp.content)
        except ValueError:
            framed = "Content-Length" in resp.headers or "chunked" in resp.headers.get(
                "Transfer-Encoding", ""
            )
            if text.startswith(("{", "[")) and not framed:
                raise _Truncated from None  # a close-delimited JSON body cut short
        kind = resp.headers.get("Content-Type", "no content type")
        raise self._invalid(method, path, f"a body that is not JSON ({kind}): {text[:60]!r}")

    def _http_error(
        self, method: str, path: str, resp: requests.Response, attempts: int
    ) -> PortalHTTPError:
        """The exception for a non-2XX answer, carrying the decoded error body."""
        status = resp.status_code
        try:
            body = resp.json()
        except ValueError:
            body = {}
        body = self._scrub_json(body) if isinstance(body, dict) else {}
        kind = _ERROR_CLASSES.get(status)
        if kind is None:
            kind = ServerError if status >= 500 else PortalHTTPError
        exc = kind(status, path, body, method=method)
        text = str(exc)
        if not exc.reason and resp.reason:
            text += f" {resp.reason}"
        if 300 <= status < 400 and resp.headers.get("Location"):
            # not followed: the secret header must not travel to another address
            text += f" (redirects to {resp.headers['Location']}; is PORTAL_BASE_URL right?)"
        if attempts > 1:
            text += f" (after {attempts} attempts)"
        exc.args = (self._scrub(text),)
        return exc

    def _invalid(self, method: str, path: str, what: str) -> InvalidResponseError:
        """An InvalidResponseError for a 2XX answer that breaks the spec."""
        return InvalidResponseError(self._scrub(f"{method} {path} answered 2XX with {what}"))

    def _check_attribute(self, method: str, path: str, data: Any) -> dict[str, Any]:
        """Check an attribute answer is an object with an id."""
        if not isinstance(data, dict) or "id" not in data:
            raise self._invalid(method, path, "no attribute object (no 'id')")
        return data

    def _range_params(self, start: DateLike, end: DateLike) -> list[tuple[str, str]]:
        """``from_datetime``/``to_datetime`` for an inclusive range, checked to be in order."""
        if to_utc(start) > to_utc(end):
            raise ConfigError(f"start {format_utc(start)} is after end {format_utc(end)}")
        return [("from_datetime", format_utc(start)), ("to_datetime", format_utc(end))]

    def _show_progress(self, progress: bool | None) -> bool:
        """Whether to draw a progress bar: explicit choice, else the client's, else a TTY."""
        for choice in (progress, self.progress):
            if choice is not None:
                return bool(choice)
        return sys.stderr.isatty()

    def _scrub(self, text: str) -> str:
        """Remove the secret from text built from foreign strings (server or library)."""
        if self._secret and len(self._secret) >= 4:
            text = text.replace(self._secret, "***")
        return text

    def _scrub_json(self, value: Any) -> Any:
        """``_scrub`` applied to every string of a decoded JSON value (error bodies)."""
        if isinstance(value, str):
            return self._scrub(value)
        if isinstance(value, dict):
            return {self._scrub(str(k)): self._scrub_json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub_json(v) for v in value]
        return value


class _Truncated(Exception):
    """Internal: a 2XX JSON body that ended early (retried like a broken read)."""


_ERROR_CLASSES: dict[int, type[PortalHTTPError]] = {
    400: BadRequestError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    422: BadRequestError,
    429: RateLimitError,
}


def _merged(
    items: dict[str, dict[str, Any]],
    seen: dict[str, dict[str, Any]],
    totals: list[int],
    history: list[int],
) -> list[dict[str, Any]] | None:
    """This re-walk's items then the earlier walks' others, if together they are complete.

    Only when the total never shrank (nothing removed, so nothing seen is stale), stayed the
    same during this walk, and the distinct ids met over all walks number exactly the total.
    """
    if len(set(totals)) != 1 or history != sorted(history) or len(seen) != totals[-1]:
        return None
    return [*items.values(), *(item for key, item in seen.items() if key not in items)]


def _sessions_page(
    data: Any, invalid: Callable[[str, str, str], InvalidResponseError]
) -> tuple[list[dict[str, Any]], int, int | None]:
    """Check one sessions page: (items, metadata.total, metadata.per or None)."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise invalid("GET", SESSIONS_PATH, "no list 'items'")
    meta = data.get("metadata")
    total = _count(meta.get("total")) if isinstance(meta, dict) else None
    if total is None:
        raise invalid("GET", SESSIONS_PATH, "no integer 'metadata.total'")
    for item in data["items"]:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str | int):
            raise invalid("GET", SESSIONS_PATH, "an item without an 'id'")
    per = _count(meta.get("per"))
    return data["items"], total, per if per else None


def _count(value: Any) -> int | None:
    """A non-negative integer from JSON (int, integral float or digit string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(seconds, 0.0)


def _describe(exc: BaseException) -> str:
    """Short text for a transport failure (requests messages hold the URL, never headers)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "read timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | http.client.IncompleteRead):
        return "the body broke off mid-read"
    if isinstance(exc, urllib3.exceptions.ProtocolError | urllib3.exceptions.IncompleteRead):
        return "the body broke off mid-read"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "the body could not be decoded"
    return f"connection failed ({_root_cause(exc)})"


_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def _root_cause(exc: BaseException) -> str:
    """The innermost useful words of a requests/urllib3 error ("Connection refused"),
    not its whole chain with the URL repeated."""
    text = str(exc)
    found = _ERRNO_TEXT.search(text)
    if found:
        return found.group(1).strip()
    for marker in ("Connection aborted.", "RemoteDisconnected", "Name or service not known"):
        if marker in text:
            return marker.rstrip(".")
    return type(exc).__name__


def _connector_list(connectors: Iterable[str] | str | None) -> list[str]:
    """Connector filters as a list of connector identifiers (sent as given)."""
    if connectors is None:
        return []
    if isinstance(connectors, str):
        connectors = [connectors]
    result = list(connectors)
    for item in result:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"bad connector {item!r}: expected a connector identifier")
    return result


def _attribute_path(attribute_id: str) -> str:
    """The per-attribute path, with the id quoted as one path segment."""
    if not isinstance(attribute_id, str) or not attribute_id.strip():
        raise ConfigError(f"bad attribute id {attribute_id!r}")
    return ATTRIBUTE_PATH.format(id=quote(attribute_id, safe=""))


def _check_header_value(name: str, value: str, *, show: bool) -> str:
    """Refuse header values requests would reject (and quote): blanks, control characters,
    and characters outside Latin-1 (http.client cannot encode them; its UnicodeEncodeError
    would carry the whole value, the secret included)."""
    shown = f" {value!r}" if show else ""
    if value != value.strip() or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ConfigError(f"the {name}{shown} has leading/trailing blanks or control characters")
    if any(ord(c) > 255 for c in value):
        raise ConfigError(f"the {name}{shown} has characters that cannot be sent in an HTTP header")
    return value


def _check_timeout(timeout: Timeout) -> Timeout:
    """Validate a requests timeout: seconds, or (connect, read) seconds."""
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    if len(values) not in (1, 2) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in values
    ):
        raise ConfigError(f"timeout must be seconds or (connect, read) seconds, got {timeout!r}")
    return timeout
