"""Transport to the Portal: one keep-alive ``requests.Session``, timeouts, retries with
backoff and jitter, error mapping to the :mod:`portal_reports.errors` tree, secret scrubbing.

No endpoint or paging knowledge lives here (see :mod:`.client` and :mod:`.paging`).
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3.exceptions

from .._text import scrub
from ..errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    InvalidResponseError,
    NotFoundError,
    PortalConnectionError,
    PortalError,
    PortalHTTPError,
    RateLimitError,
    ServerError,
)

log = logging.getLogger("portal_reports.client")  # one logger name for the whole client

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


class Transport:
    """Sends one API call at a time with timeouts, retries and error mapping.

    Owns the ``requests.Session`` (keep-alive) and the secret; :class:`PortalClient` adds the
    endpoints and the customer header. Retry policy: connection errors, bodies broken
    mid-read, read timeouts, 429 (honouring ``Retry-After``) and 502/503/504; never other
    statuses. The secret never appears in a message, log line, ``repr`` or exception.
    """

    def __init__(
        self,
        base_url: str,
        secret: str,
        *,
        timeout: Timeout = (3.05, 30),
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        backoff_max: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "portal-reports",
    ) -> None:
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        if backoff_factor < 0 or backoff_max < 0:
            raise ConfigError("backoff_factor and backoff_max must be >= 0")
        self.base_url = base_url.rstrip("/")
        self._secret = check_header_value("secret", secret, show=False)
        self.timeout = _check_timeout(timeout)
        self.max_retries = max_retries
        self.backoff_factor = float(backoff_factor)
        self.backoff_max = float(backoff_max)
        self._sleep = sleep
        self._rng = random.Random()
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})

    def close(self) -> None:
        """Close the HTTP session."""
        self._session.close()

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | dict[str, Any] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send one API call with timeouts and retries; return the decoded JSON (2XX only)."""
        url = self.base_url + path
        headers = {**(headers or {}), "x-portal-secret": self._secret}
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
                    self.scrub(f"{method} {path}: TLS failure ({type(exc).__name__}: {exc})")
                )
            except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
                fatal = ConfigError(self.scrub(f"bad Portal URL {self.base_url!r}: {exc}"))
            except (requests.exceptions.InvalidHeader, UnicodeError):
                # requests quotes the offending header value, which may be the secret
                fatal = ConfigError(
                    f"{method} {path}: the secret or customer id is not a valid header value"
                )
            except _TRANSIENT_ERRORS as exc:
                failure = self.scrub(_describe(exc))
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
        raise self.invalid(method, path, f"a body that is not JSON ({kind}): {text[:60]!r}")

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
        exc.args = (self.scrub(text),)
        return exc

    def invalid(self, method: str, path: str, what: str) -> InvalidResponseError:
        """An InvalidResponseError for a 2XX answer that breaks the spec."""
        return InvalidResponseError(self.scrub(f"{method} {path} answered 2XX with {what}"))

    def scrub(self, text: str) -> str:
        """Remove the secret from text built from foreign strings (server or library)."""
        return scrub(text, self._secret)

    def _scrub_json(self, value: Any) -> Any:
        """``_scrub`` applied to every string of a decoded JSON value (error bodies)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {self.scrub(str(k)): self._scrub_json(v) for k, v in value.items()}
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


def check_header_value(name: str, value: str, *, show: bool) -> str:
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
