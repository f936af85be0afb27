"""One month of Portal data, fetched once and shared by every report of a run.

A :class:`MonthData` holds the raw JSON (kept verbatim in ``raw`` and hashed for provenance)
and the frames built from it. The runner saves it as ``data.json``; notebooks load that file,
so the three reports of a run present exactly the same numbers. Besides the Portal's answers it
carries the month's history (:mod:`.history`) and what the agency added for the month
(``targets`` from ``customers.toml``, the account manager's ``note``), so kernels need neither
credentials, the cache nor the project.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._io import atomic_write
from ..attributes.lookup import name_from_attributes
from ..dates import format_utc, month_range, parse_month, shift_month, to_utc
from ..errors import ConfigError, PortalHTTPError
from .history import History, HistoryCache, fetch_history

if TYPE_CHECKING:
    from ..data.frames import SessionsInfo
    from ..portal.client import PortalClient

ALL_CUSTOMERS = "All customers"
RAW_KEYS = (
    "month",
    "customer_id",
    "base_url",
    "fetched_at",
    "sessions",
    "info",
    "previous_info",
    "attributes",
)


def canonical_json(obj: Any) -> str:
    """Canonical JSON text (sorted keys, no spaces, UTF-8 kept) used for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def raw_sha256(raw: dict[str, Any]) -> str:
    """SHA-256 hex digest of the canonical JSON of ``raw``."""
    return hashlib.sha256(canonical_json(raw).encode("utf-8")).hexdigest()


def customer_name_from(attributes: dict[str, Any], customer_id: str | None) -> str:
    """The business name for the report heading.

    The whole account (``customer_id`` None) is always "All customers": the Portal answers
    attributes of its primary customer there, which would mislabel account-wide figures.
    Otherwise the name attribute's value, falling back to the customer id.
    """
    if customer_id is None:
        return ALL_CUSTOMERS
    return name_from_attributes(attributes) or customer_id


@dataclass
class MonthData:
    """Everything the reports need for one month and one customer (or the whole account)."""

    month: str
    customer_id: str | None
    customer_name: str
    base_url: str
    fetched_at: datetime
    sha256: str
    sessions: pd.DataFrame = field(repr=False)
    info: SessionsInfo = field(repr=False)
    previous_info: SessionsInfo = field(repr=False)
    attributes: pd.DataFrame = field(repr=False)
    raw: dict[str, Any] = field(repr=False)
    data_source: str = "portal"
    history: History | None = field(default=None, repr=False)
    targets: dict[str, float] = field(default_factory=dict)  # figure key -> monthly target
    note: dict[str, str] | None = field(default=None, repr=False)  # path, markdown, html

    @property
    def is_sandbox(self) -> bool:
        """True when the data is the built-in sandbox's demo data (reports say so)."""
        return self.data_source == "sandbox"

    @property
    def previous_month(self) -> str:
        """The month the deltas compare against (``YYYY-MM``)."""
        return shift_month(self.month, -1)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> MonthData:
        """Build frames from the raw JSON of a fetch (as saved in ``data.json``)."""
        from ..data.frames import attributes_frame, info_frames, sessions_frame

        missing = [k for k in RAW_KEYS if k not in raw]
        if missing:
            raise ConfigError(f"month data lacks {', '.join(missing)}")
        customer_id = raw["customer_id"]
        attributes = raw["attributes"] or {"groups": [], "attributes": []}
        return cls(
            month=parse_month(raw["month"]),
            customer_id=customer_id,
            customer_name=customer_name_from(attributes, customer_id),
            base_url=raw["base_url"],
            fetched_at=to_utc(raw["fetched_at"]),
            sha256=raw_sha256(raw),
            sessions=sessions_frame(raw["sessions"]),
            info=info_frames(raw["info"]),
            previous_info=info_frames(raw["previous_info"]),
            attributes=attributes_frame(attributes),
            raw=raw,
            data_source="sandbox" if raw.get("data_source") == "sandbox" else "portal",
            history=History.from_json(raw.get("history"), parse_month(raw["month"])),
            targets=dict(raw.get("targets") or {}),
            note=raw.get("note") or None,
        )

    def with_context(
        self, *, targets: dict[str, float] | None = None, note: dict[str, str] | None = None
    ) -> MonthData:
        """This month with the agency's targets and rendered note (stored in ``data.json``)."""
        raw = {**self.raw, "targets": dict(targets or {}), "note": note}
        return replace(
            self, raw=raw, sha256=raw_sha256(raw), targets=dict(targets or {}), note=note
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the raw JSON to ``path`` atomically (temp file in the same folder + replace)."""
        text = json.dumps(self.raw, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        return atomic_write(path, text)


def _fetch_attributes(client: PortalClient) -> dict[str, Any]:
    """Customer attributes, or an empty payload when the Portal refuses them (4XX)."""
    try:
        return client.customer_attributes()
    except PortalHTTPError as exc:
        if 400 <= exc.status < 500:
            return {"groups": [], "attributes": []}
        raise


def fetch_month(
    month: str,
    customer_id: str | None = None,
    client: PortalClient | None = None,
    *,
    history_cache: HistoryCache | None = None,
) -> MonthData:
    """Fetch the month's sessions, its and the previous month's info, the attributes and the
    month's history (months older than that from ``history_cache`` when they are there).

    ``customer_id`` None is the whole account (no customer header), even when ``client``
    or ``PORTAL_CUSTOMER_ID`` names a customer, so data always matches its parameters.
    """
    month = parse_month(month)
    if client is None:
        from ..portal.client import PortalClient

        with PortalClient(customer_id=customer_id) as own:
            return fetch_month(month, customer_id, own, history_cache=history_cache)
    if client.customer_id != customer_id:  # None means the whole account, whatever the env says
        client = client.for_customer(customer_id)
    start, end = month_range(month)
    prev_start, prev_end = month_range(shift_month(month, -1))
    fetched_at = datetime.now(UTC).replace(microsecond=0)
    raw = {
        "month": month,
        "customer_id": customer_id,
        "base_url": client.base_url,
        "fetched_at": format_utc(fetched_at),
        "sessions": client.sessions(start, end),
        "info": client.sessions_info(start, end),
        "previous_info": client.sessions_info(prev_start, prev_end),
        "attributes": _fetch_attributes(client),
        "data_source": "sandbox" if getattr(client, "sandbox", False) else "portal",
    }
    known = {month: raw["info"], shift_month(month, -1): raw["previous_info"]}
    history = fetch_history(client, month, customer_id, known=known, cache=history_cache)
    raw["history"] = history.to_json()
    return MonthData.from_raw(raw)


def load_month(
    month: str,
    customer_id: str | None = None,
    data_path: str | os.PathLike[str] | None = None,
) -> MonthData:
    """Load ``data_path`` (a runner's data.json) when it exists, else fetch the month live."""
    month = parse_month(month)
    if data_path is not None and Path(data_path).is_file():
        try:
            raw = json.loads(Path(data_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read month data {data_path}: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"month data {data_path} is not a JSON object")
        if raw.get("month") != month or raw.get("customer_id") != customer_id:
            raise ConfigError(
                f"month data {data_path} is for month={raw.get('month')!r} "
                f"customer={raw.get('customer_id')!r}, not month={month!r} "
                f"customer={customer_id!r}"
            )
        return MonthData.from_raw(raw)
    return fetch_month(month, customer_id)
