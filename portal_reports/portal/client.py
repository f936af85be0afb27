"""The Portal API endpoints: sessions (paged), session statistics and customer attributes.

Transport (timeouts, retries, error mapping) is in :mod:`.transport`; paging in :mod:`.paging`.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..dates import DateLike, format_utc, month_range, to_utc
from ..errors import (
    ConfigError,
)
from ..settings import (
    DEFAULT_FETCH_BUDGET,
    DEFAULT_REQUEST_DEADLINE,
    ENV_FETCH_BUDGET,
    ENV_REQUEST_DEADLINE,
    env_seconds,
    resolve_settings,
)
from .paging import SESSIONS_PATH, RangeTooLarge, SessionPager
from .transport import Limit, Timeout, Transport, check_header_value

if TYPE_CHECKING:
    from ..period import ReportMonth

log = logging.getLogger("portal_reports.client")

SESSIONS_INFO_PATH = "/api/v1/bff/sessions/info"
ATTRIBUTES_PATH = "/api/v1/bff/customer/attributes"
ATTRIBUTE_PATH = "/api/v1/customer/attributes/{id}"

MAX_PER_PAGE = 100  # the server caps ``per``; never ask for more
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
#: Breakdowns a Portal may leave out or send as null: the frames read them as empty.
OPTIONAL_INFO_KEYS = frozenset(INFO_KEYS) - {"summary"}


class PortalClient:
    """Client of the Portal API; use it as a context manager (it owns a ``requests.Session``).

    ``request_deadline`` (default ``PORTAL_REQUEST_DEADLINE``, else 60 s) bounds each API call
    from connecting to the last byte, retries and waits included; ``fetch_budget`` (default
    ``PORTAL_FETCH_BUDGET``, else 900 s) bounds a whole fetch run under :meth:`budget`.
    """

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
        request_deadline: float | None = None,
        fetch_budget: float | None = None,
        slice_size: int = 10_000,
        slice_concurrency: int = 4,
    ) -> None:
        from .. import __version__
        from ..settings import connect

        resolved = resolve_settings(base_url, secret, customer_id)  # reads .env too
        deadline = env_seconds(ENV_REQUEST_DEADLINE, DEFAULT_REQUEST_DEADLINE, request_deadline)
        self.fetch_budget = env_seconds(ENV_FETCH_BUDGET, DEFAULT_FETCH_BUDGET, fetch_budget)
        settings = connect(resolved)
        if not isinstance(per_page, int) or per_page < 1:
            raise ConfigError(f"per_page must be an integer >= 1, got {per_page!r}")
        for name, value in (("slice_size", slice_size), ("slice_concurrency", slice_concurrency)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
        self.slice_size = slice_size
        self.slice_concurrency = slice_concurrency
        self._transport = Transport(
            settings.base_url,
            settings.secret,
            timeout=timeout,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            backoff_max=backoff_max,
            sleep=sleep,
            user_agent=f"portal-reports/{__version__}",
            request_deadline=deadline,
            auth=settings.auth,
        )
        self.base_url: str = self._transport.base_url
        self.customer_id: str | None = settings.customer_id
        self.sandbox: bool = settings.sandbox
        if self.customer_id is not None:
            check_header_value("customer id", self.customer_id, show=True)
        self.per_page = min(per_page, MAX_PER_PAGE)
        self.progress = progress
        self._owns_session = True
        # warnings given once per client (shared with the clients of for_customer)
        self._warned: set[str] = set()

    @property
    def transport(self) -> Transport:
        """The transport (session, timeouts, retries) this client sends through."""
        return self._transport

    def budget(self, scope: str, seconds: float | None = None) -> AbstractContextManager[Limit]:
        """Run the calls inside under one overall deadline (default :attr:`fetch_budget`).

        ``with client.budget("fetch of 2026-09"): ...`` — a call still running when it ends is
        cut off with :class:`PortalTimeoutError` naming the call, the budget and ``scope``.
        """
        return self._transport.budget(self.fetch_budget if seconds is None else seconds, scope)

    # -- lifecycle -------------------------------------------------------------------------

    def for_customer(self, customer_id: str | None) -> PortalClient:
        """A client for another customer (``None``: whole account) sharing this session."""
        if customer_id is not None and (not isinstance(customer_id, str) or not customer_id):
            raise ConfigError(f"customer id must be a non-empty string, got {customer_id!r}")
        if customer_id is not None:
            check_header_value("customer id", customer_id, show=True)
        other = object.__new__(PortalClient)
        other.__dict__.update(self.__dict__)
        other.customer_id = customer_id
        other._owns_session = False
        return other

    def close(self) -> None:
        """Close the HTTP session (a no-op for clients made by :meth:`for_customer`)."""
        if self._owns_session:
            self._transport.close()

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
        *,
        max_total: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every session created in [start, end] (raw items, server order, no duplicates).

        Walks all pages; items are deduplicated by id. If the total changes while walking
        (new sessions shift items between pages), the walk restarts from page 1 and merges
        by id, up to ``MAX_WALKS`` walks, then :class:`PaginationError`. Items are yielded
        only once the list is consistent, so a consumer never sees a short list. Arguments
        are checked at once (:class:`ConfigError`); requests start on the first ``next()``.

        ``connectors`` are sent as given, as repeated ``connectors`` keys: the spec's connector
        identifiers (``main_line``); ``integration/connector`` and ``integration/*`` only
        work with the sandbox. The items are also checked here against the same rules (a
        plain identifier matches ``connector_idn``, ``integration/connector`` both fields,
        ``integration/*`` every connector of the integration): a Portal that ignored the
        filter (one reading only ``connectors[]``, say) sends every session, and the others
        are dropped, with one warning per client. Paging still follows the Portal's
        ``metadata.total``; the filter applies on top. ``is_active=True`` sends
        ``is_active=true`` (the spec's "active sessions only") and keeps only the sessions
        with ``ended_at`` null, warning once if the Portal sent others; ``is_active=False`` sends
        nothing and keeps the ended sessions here, since the spec does not say what
        ``is_active=false`` means to the server.
        """
        params = self._range_params(start, end)
        wanted = _connector_list(connectors)
        params += [("connectors", c) for c in wanted]
        if is_active is not None and not isinstance(is_active, bool):
            raise ConfigError(f"is_active must be True, False or None, got {is_active!r}")
        if is_active:
            params.append(("is_active", "true"))
        pager = SessionPager(self._request, self._transport.invalid, self.per_page, max_total)
        items = pager.walk(params, self._show_progress(progress))
        if wanted:
            items = self._applied(
                items,
                connector_matcher(wanted),
                "connectors",
                lambda first, _n: (
                    f"GET {SESSIONS_PATH}: the Portal did not apply the connector filter "
                    f"({', '.join(wanted)}): it sent sessions of other connectors, such as "
                    f"{_connector_name(first)}; they were left out here (check the Portal "
                    "reads the 'connectors' parameter)"
                ),
            )
        if is_active:
            items = self._applied(
                items,
                lambda item: item.get("ended_at") is None,
                "is_active",
                lambda _first, dropped: (
                    f"GET {SESSIONS_PATH}: the Portal did not apply is_active=true: it sent "
                    f"{dropped} ended session(s); they were left out here"
                ),
            )
        if is_active is False:  # the spec has no "ended only" filter: keep ended ones here
            return (item for item in items if item.get("ended_at") is not None)
        return items

    def _applied(
        self,
        items: Iterator[dict[str, Any]],
        keep: Callable[[dict[str, Any]], bool],
        key: str,
        message: Callable[[dict[str, Any], int], str],
    ) -> Iterator[dict[str, Any]]:
        """The items a filter sent to the Portal keeps: a Portal that applied it sends no
        others, so any left out here mean it ignored the filter, which ``message(first left
        out, how many)`` tells once per client (``key``). Counted, not kept: a month of
        hundreds of thousands of sessions may be left out."""
        first: dict[str, Any] | None = None
        dropped = 0
        for item in items:
            if keep(item):
                yield item
            else:
                first = first or item
                dropped += 1
        if first is not None:
            self._warn_once(key, message(first, dropped))
            log.debug("GET %s: %d session(s) outside the %s filter", SESSIONS_PATH, dropped, key)

    def _warn_once(self, key: str, message: str) -> None:
        """Log ``message`` as a warning unless this client (family) already gave ``key``."""
        with _WARN_LOCK:
            if key in self._warned:
                return
            self._warned.add(key)
        log.warning("%s", message)

    def sessions(
        self,
        start: DateLike,
        end: DateLike,
        connectors: Iterable[str] | str | None = None,
        is_active: bool | None = None,
        progress: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Every session created in [start, end], as a list of raw items.

        A range holding more than :attr:`slice_size` sessions is split into time slices
        walked concurrently (:attr:`slice_concurrency` at a time), so a large month never
        asks the Portal for deep pages (page 5,000 of one walk); see :meth:`sessions_sliced`.
        """
        chunks = self.session_chunks(start, end, connectors, is_active, progress)
        return [item for chunk in chunks for item in chunk]

    def session_chunks(
        self,
        start: DateLike,
        end: DateLike,
        connectors: Iterable[str] | str | None = None,
        is_active: bool | None = None,
        progress: bool | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Every session of [start, end] as consecutive lists of at most about
        :attr:`slice_size` raw items (no id twice), so a caller can turn each into columns
        and let it go: a month of 500k sessions is never held as raw items at once.

        The same sessions in the same order as :meth:`sessions`; requests start on the first
        ``next()``.
        """
        try:
            items = list(
                self.iter_sessions(
                    start, end, connectors, is_active, progress, max_total=self.slice_size
                )
            )
        except RangeTooLarge as large:  # page 1 told us: walk time slices instead
            slices = math.ceil(large.total / self.slice_size)
            yield from self._slice_chunks(start, end, slices, connectors, is_active)
            return
        yield items

    def sessions_sliced(
        self,
        start: DateLike,
        end: DateLike,
        slices: int,
        connectors: Iterable[str] | str | None = None,
        is_active: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Every session of [start, end], fetched as ``slices`` consecutive time slices.

        Each slice is walked consistently on its own (see :meth:`iter_sessions`). Slices share
        their boundary second (date-times are whole seconds, sessions may not be), and the
        union is deduplicated by id, so nothing falls between two slices. Newest slice first,
        as the pages come. The caller's fetch budget applies to every slice.
        """
        chunks = self._slice_chunks(start, end, slices, connectors, is_active)
        return [item for chunk in chunks for item in chunk]

    def _slice_chunks(
        self,
        start: DateLike,
        end: DateLike,
        slices: int,
        connectors: Iterable[str] | str | None,
        is_active: bool | None,
    ) -> Iterator[list[dict[str, Any]]]:
        """The slices of :meth:`sessions_sliced`, one list each, newest first.

        At most :attr:`slice_concurrency` slices are walked ahead of the one the caller is
        consuming, so memory holds a few slices, not the month.
        """
        from collections import deque
        from concurrent.futures import Future, ThreadPoolExecutor

        first, last = to_utc(start), to_utc(end)
        span = (last - first).total_seconds()
        slices = max(1, min(int(slices), int(span) + 1))
        bounds = [first + timedelta(seconds=round(span * i / slices)) for i in range(slices + 1)]
        ranges = [(bounds[i], bounds[i + 1]) for i in reversed(range(slices))]
        budget = self._transport.current_budget()

        def walk(bounds_: tuple[datetime, datetime]) -> list[dict[str, Any]]:
            with self._transport.under(budget):
                return list(self.iter_sessions(*bounds_, connectors, is_active, progress=False))

        seen: set[Any] = set()  # ids met so far: the boundary second's sessions come twice
        pool = ThreadPoolExecutor(max_workers=self.slice_concurrency)
        ahead: deque[Future[list[dict[str, Any]]]] = deque()
        try:
            todo = iter(ranges)
            ahead.extend(pool.submit(walk, b) for b in islice(todo, self.slice_concurrency))
            while ahead:
                part = ahead.popleft().result()
                following = next(todo, None)
                if following is not None:  # keep the pool busy while the caller works
                    ahead.append(pool.submit(walk, following))
                fresh = [item for item in part if item["id"] not in seen]
                seen.update(item["id"] for item in fresh)
                del part
                yield fresh
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def sessions_info(self, start: DateLike, end: DateLike) -> dict[str, Any]:
        """Raw ``/sessions/info`` statistics for [start, end] (inclusive)."""
        data = self._request("GET", SESSIONS_INFO_PATH, params=self._range_params(start, end))
        if not isinstance(data, dict):
            raise self._transport.invalid("GET", SESSIONS_INFO_PATH, "no JSON object")
        for key, kind in INFO_KEYS.items():
            value = data.get(key)
            if value is None and key in OPTIONAL_INFO_KEYS:
                continue  # a breakdown left out or null (no voice sessions, say): read as empty
            if not isinstance(value, kind):
                raise self._transport.invalid(
                    "GET", SESSIONS_INFO_PATH, f"no {kind.__name__} {key!r}"
                )
        leads = data.get("sessions_by_leads")
        if leads is not None and not isinstance(leads.get("items", []), list):
            raise self._transport.invalid(
                "GET", SESSIONS_INFO_PATH, "no list 'sessions_by_leads.items'"
            )
        return data

    def month_sessions(
        self,
        month: str | ReportMonth,
        connectors: Iterable[str] | str | None = None,
        is_active: bool | None = None,
        progress: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Every session of a calendar month: a :class:`~portal_reports.period.ReportMonth`
        (the month in its zone), or ``"2024-01"`` (UTC); both ends inclusive."""
        start, end = _month_bounds(month)
        return self.sessions(start, end, connectors, is_active, progress)

    def month_info(self, month: str | ReportMonth) -> dict[str, Any]:
        """Raw ``/sessions/info`` statistics of a calendar month (a ReportMonth, or UTC)."""
        return self.sessions_info(*_month_bounds(month))

    def customer_attributes(self, query: str | None = None) -> dict[str, Any]:
        """The customer's attributes: ``{"groups": [...], "attributes": [...]}``."""
        params = [("query", query)] if query else None
        data = self._request("GET", ATTRIBUTES_PATH, params=params)
        if not isinstance(data, dict):
            raise self._transport.invalid("GET", ATTRIBUTES_PATH, "no JSON object")
        for key in ("groups", "attributes"):
            if not isinstance(data.get(key), list):
                raise self._transport.invalid("GET", ATTRIBUTES_PATH, f"no list {key!r}")
        if not all(isinstance(a, dict) for a in data["attributes"]):
            raise self._transport.invalid(
                "GET", ATTRIBUTES_PATH, "an attribute that is not an object"
            )
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
        current = self.customer_attribute(attribute_id)
        body = {key: current[key] for key in ATTRIBUTE_FIELDS if key in current}
        body.update(changes)
        return self.replace_customer_attribute(attribute_id, body)

    def replace_customer_attribute(self, attribute_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT ``body`` as the attribute's new fields (the Portal replaces them all: a field
        left out is reset). Prefer :meth:`update_customer_attribute`, or
        ``portal_reports.attributes.set_attribute``, which also guards against lost updates.
        Returns the attribute as the Portal answered it; only ``{"id": ...}`` when the answer
        is not an attribute object (no body, say: read it back for its fields)."""
        unknown = sorted(set(body) - set(ATTRIBUTE_FIELDS))
        if unknown:
            raise ConfigError(f"unknown attribute field(s) {', '.join(unknown)}")
        path = _attribute_path(attribute_id)
        answer = self._request("PUT", path, json_body=body)
        if not isinstance(answer, dict) or "id" not in answer:
            # "200 OK – attribute updated": the spec shows no body. None (no body), or an
            # object that is not the attribute ({"status": "updated"}): the change was made
            return {"id": attribute_id}
        return answer

    # -- HTTP ------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """One API call through the transport, with this client's customer header."""
        headers = {"x-portal-external-customer-id": self.customer_id} if self.customer_id else {}
        return self._transport.request(
            method, path, params=params, json_body=json_body, headers=headers
        )

    def _check_attribute(self, method: str, path: str, data: Any) -> dict[str, Any]:
        """Check an attribute answer is an object with an id."""
        if not isinstance(data, dict) or "id" not in data:
            raise self._transport.invalid(method, path, "no attribute object (no 'id')")
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


def _month_bounds(month: str | ReportMonth) -> tuple[Any, Any]:
    from ..period import ReportMonth

    if isinstance(month, ReportMonth):
        return month.range_utc
    return month_range(month)


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


def connector_matcher(connectors: Iterable[str] | str) -> Callable[[dict[str, Any]], bool]:
    """A test of whether a session item belongs to one of ``connectors``.

    The rules the client documents for the ``connectors`` filter: a plain identifier
    (``main_line``) matches ``connector_idn``; ``integration/connector`` matches both
    ``integration_idn`` and ``connector_idn``; ``integration/*`` every connector of the
    integration. Surrounding spaces are ignored, as the sandbox ignores them.
    """
    rules: list[tuple[str | None, str]] = []
    for text in _connector_list(connectors):
        integration, slash, connector = text.strip().partition("/")
        rules.append((integration, connector) if slash else (None, integration))

    def match(item: dict[str, Any]) -> bool:
        integration, connector = item.get("integration_idn"), item.get("connector_idn")
        for want_integration, want_connector in rules:
            if want_integration is not None and want_integration != integration:
                continue
            if want_connector == "*" and want_integration is not None:
                return True
            if want_connector == connector:
                return True
        return False

    return match


def _connector_name(item: dict[str, Any]) -> str:
    """``integration/connector`` of a session item, for messages (printable)."""
    from .._text import printable

    return printable(f"{item.get('integration_idn')}/{item.get('connector_idn')}")


_WARN_LOCK = threading.Lock()


def _attribute_path(attribute_id: str) -> str:
    """The per-attribute path, with the id quoted as one path segment."""
    if not isinstance(attribute_id, str) or not attribute_id.strip():
        raise ConfigError(f"bad attribute id {attribute_id!r}")
    return ATTRIBUTE_PATH.format(id=quote(attribute_id, safe=""))
