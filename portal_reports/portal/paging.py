"""Consistent paging over ``/sessions``: dedupe by id, re-walk when the total moves, never
assume the server honoured the ``per`` it was asked for.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable, Iterator
from typing import Any

from tqdm import tqdm

from ..errors import (
    InvalidResponseError,
    PaginationError,
)

log = logging.getLogger("portal_reports.client")


SESSIONS_PATH = "/api/v1/bff/sessions"
MAX_WALKS = 3  # full walks of the pages before giving up on a moving total

Request = Callable[..., Any]
Invalid = Callable[[str, str, str], InvalidResponseError]


class RangeTooLarge(Exception):
    """Internal: the range holds more sessions than one walk should page through."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.total = total


class SessionPager:
    """Walks ``/sessions`` pages for one query until the list is consistent.

    ``request(method, path, params=...)`` sends one call (the client's, with its customer
    header); ``invalid`` builds the error for an answer that breaks the spec.
    """

    def __init__(
        self, request: Request, invalid: Invalid, per_page: int, max_total: int | None = None
    ) -> None:
        self.max_total = max_total  # more sessions than this: RangeTooLarge after page 1
        self._request = request
        self._invalid = invalid
        self.per_page = per_page

    def walk(self, params: list[tuple[str, str]], show: bool) -> Iterator[dict[str, Any]]:
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
        advice = (
            "the sessions keep changing, try again later"
            if len(set(history)) > 1
            else "the total never changed, so the Portal's pages do not add up to it (an "
            "order that is not stable from page to page?)"
        )
        raise PaginationError(
            f"GET {SESSIONS_PATH}: no consistent list after {MAX_WALKS} walks of the pages "
            f"({problem}); {advice}"
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
            if self.max_total is not None and page == 1 and total > self.max_total:
                raise RangeTooLarge(total)
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
