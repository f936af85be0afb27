"""Bulk attribute changes from a CSV (``idn,value``): read, plan, apply in order."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data.frames import json_flag
from ..errors import (
    AttributeValidationError,
    ConcurrentChangeError,
    ConfigError,
    PortalError,
    PortalHTTPError,
)
from .edit import _describe, _same_value, _show, put_checked, validate_value
from .lookup import _customer_label, full_attribute

if TYPE_CHECKING:
    from ..portal.client import PortalClient


# --------------------------------------------------------------------------- bulk updates

CHANGE, UNCHANGED, INVALID, DUPLICATE = "change", "unchanged", "invalid", "duplicate"


@dataclass
class BulkRow:
    """One CSV row and what the plan decided for it."""

    line: int
    idn: str
    value: str
    status: str  # change | unchanged | invalid | duplicate
    reason: str = ""
    attribute: dict[str, Any] | None = None
    new_value: Any = None  # the value to send, in the attribute's JSON type
    after: dict[str, Any] | None = None  # the attribute as the Portal returned it once applied

    @property
    def old_value(self) -> Any:
        """The attribute's value when planned (None if the idn is unknown)."""
        return self.attribute.get("value") if self.attribute else None

    def describe(self) -> str:
        """One line for plans and results."""
        head = f"line {self.line}: {self.idn or '(empty idn)'}"
        if self.status == CHANGE:
            return f"{head}: {_show(self.old_value)} -> {_show(self.new_value)}"
        if self.status == UNCHANGED:
            return f"{head}: already {_show(self.old_value)}"
        return f"{head}: {self.reason}"


@dataclass
class BulkPlan:
    """Every row of a bulk file, classified; only ``changes`` are ever sent."""

    rows: list[BulkRow]
    customer_id: str | None = None
    allow_hidden: bool = False

    def _with(self, *statuses: str) -> list[BulkRow]:
        return [r for r in self.rows if r.status in statuses]

    @property
    def changes(self) -> list[BulkRow]:
        """Rows whose value differs and will be sent, in file order."""
        return self._with(CHANGE)

    @property
    def unchanged(self) -> list[BulkRow]:
        """Rows whose attribute already has the value."""
        return self._with(UNCHANGED)

    @property
    def invalid(self) -> list[BulkRow]:
        """Rows that cannot be applied: unknown idn, bad value, hidden, duplicate idn."""
        return self._with(INVALID, DUPLICATE)

    def summary(self) -> str:
        """``N to change, M already equal, K invalid``."""
        return (
            f"{len(self.changes)} to change, {len(self.unchanged)} already equal, "
            f"{len(self.invalid)} invalid"
        )

    def text(self) -> str:
        """The whole plan, for printing before confirmation."""
        lines = [f"Plan: {self.summary()}"]
        for title, rows in (
            ("To change", self.changes),
            ("Already equal", self.unchanged),
            ("Invalid", self.invalid),
        ):
            if rows:
                lines.append(f"{title}:")
                lines.extend(f"  {r.describe()}" for r in rows)
        return "\n".join(lines)


@dataclass
class BulkResult:
    """What :func:`apply_bulk` did: rows applied, the row that failed, rows not applied."""

    applied: list[BulkRow] = field(default_factory=list)
    failed: BulkRow | None = None
    error: PortalError | None = None
    not_applied: list[BulkRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every planned change was applied."""
        return self.failed is None

    @property
    def status(self) -> str:
        """ "ok" or "failed"."""
        return "ok" if self.ok else "failed"

    def text(self) -> str:
        """Which rows were applied and which were not, for printing."""
        lines = [f"Applied {len(self.applied)} change(s)."]
        lines.extend(f"  applied {r.describe()}" for r in self.applied)
        if self.failed is not None:
            if isinstance(self.error, ConcurrentChangeError):
                uncertain = " (sent, then changed by someone else)" if self.error.applied else ""
            elif _is_http_answer(self.error):
                uncertain = ""
            else:
                uncertain = " (outcome unknown: no answer)"
            lines.append(f"FAILED {self.failed.describe()}{uncertain}: {self.error}")
            rest = [r for r in self.not_applied if r is not self.failed]
            lines.append(f"Not applied ({len(rest)} more):" if rest else "No other rows pending.")
            lines.extend(f"  not applied {r.describe()}" for r in rest)
        return "\n".join(lines)


def _is_http_answer(error: BaseException | None) -> bool:
    """True when the server answered (so a failed PUT was surely not applied)."""
    return isinstance(error, PortalHTTPError)


def read_bulk_csv(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Rows of a bulk file with columns ``idn,value`` (UTF-8, BOM tolerated; other columns ignored).

    The file is read strictly, and a malformed one is refused as a whole (one-line
    :class:`ConfigError` naming the file and line, so nothing is applied): a quote that is
    never closed or is followed by text, a row with more or fewer fields than the header, a
    NUL byte or another control character, a field longer than ``csv.field_size_limit()``
    (128 KiB). A value with a line break (usually an unbalanced quote that swallowed the next
    row) is refused by :func:`plan_bulk` unless it equals the current value.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text: {exc.reason}") from exc
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ConfigError(f"{path}, line {line}: contains a NUL byte; nothing was applied")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    first = 1
    try:
        for record in reader:
            if record:  # csv gives [] for a blank line
                records.append((first, record))
            first = reader.line_num + 1
    except csv.Error as exc:
        raise ConfigError(
            f"{path}, line {first}: {_csv_problem(exc)}; nothing was applied"
        ) from None
    if not records:
        raise ConfigError(f"{path}: empty file (need a header idn,value)")
    _, header = records[0]
    columns = [c.strip() for c in header]
    missing = [c for c in ("idn", "value") if c not in columns]
    if missing:
        raise ConfigError(
            f"{path}: missing column(s) {', '.join(missing)} (need a header idn,value)"
        )
    twice = sorted({c for c in ("idn", "value") if columns.count(c) > 1})
    if twice:
        raise ConfigError(f"{path}: column(s) {', '.join(twice)} appear more than once")
    idn_at, value_at = columns.index("idn"), columns.index("value")
    rows = []
    for line, record in records[1:]:
        where = f"{path}, line {line}"
        if len(record) != len(columns):
            raise ConfigError(
                f"{where}: {len(record)} field(s) but the header has {len(columns)} "
                "(quote a value that holds a comma); nothing was applied"
            )
        idn, value = record[idn_at].strip(), record[value_at]
        for name, field_text in (("idn", idn), ("value", value)):
            _check_field(where, name, field_text)
        rows.append({"line": str(line), "idn": idn, "value": value})
    return rows


def _csv_problem(exc: csv.Error) -> str:
    """csv's message, in words a person can act on."""
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field is longer than {csv.field_size_limit():,} characters"
    if "unexpected end of data" in text:
        return "a quoted field is never closed (an unbalanced quote)"
    if "expected after" in text:
        return f"text after a closing quote ({text})"
    return text


def _check_field(where: str, name: str, text: str) -> None:
    """Refuse control characters in an idn or value (tab and line breaks allowed here;
    :func:`plan_bulk` refuses a line break in a value that would change anything)."""
    bad = next((ch for ch in text if (ord(ch) < 32 and ch not in "\t\r\n") or ord(ch) == 127), None)
    if bad is not None:
        raise ConfigError(
            f"{where}: the {name} contains the control character U+{ord(bad):04X}; "
            "nothing was applied"
        )


def plan_bulk(
    client: PortalClient,
    rows: Iterable[Mapping[str, Any]],
    *,
    allow_hidden: bool = False,
) -> BulkPlan:
    """Classify each ``{idn, value}`` row against the current attributes; sends nothing.

    A row is a change, unchanged (value already equal after normalisation), invalid (unknown
    idn, bad value, a change to a hidden attribute without ``allow_hidden``, a new value with
    a line break) or a duplicate of an earlier idn. Each known idn is read by id (the list
    may leave fields such as ``possible_values`` out), and its value is validated and typed
    as for ``attributes set`` (:func:`~.edit.validate_value`).
    """
    current = {a.get("idn"): a for a in client.customer_attributes().get("attributes") or []}
    seen: dict[str, int] = {}
    planned: list[BulkRow] = []
    for number, record in enumerate(rows, start=2):
        line = int(record.get("line") or number)
        idn = str(record.get("idn") or "").strip()
        raw = record.get("value")
        value = "" if raw is None else str(raw)
        row = BulkRow(line=line, idn=idn, value=value, status=INVALID)
        planned.append(row)
        if not idn:
            row.reason = "empty idn"
            continue
        if idn in seen:
            row.status, row.reason = DUPLICATE, f"duplicate idn (first on line {seen[idn]})"
            continue
        seen[idn] = line
        listed = current.get(idn)
        if listed is None:
            row.reason = f"no attribute with idn {idn!r} for {_customer_label(client)}"
            continue
        attribute = full_attribute(client, listed)  # the list may leave fields out
        row.attribute = dict(attribute)
        try:
            row.new_value = validate_value(attribute, value)
        except AttributeValidationError as exc:
            row.reason = str(exc)
            continue
        if _same_value(attribute, row.new_value):
            row.status = UNCHANGED
        elif "\n" in value or "\r" in value:
            row.reason = (
                "the value spans several lines (an unbalanced quote that swallowed the next "
                "row?); multi-line values are not applied from a file (use `attributes set`)"
            )
        elif json_flag(attribute.get("is_hidden")) and not allow_hidden:
            row.reason = f"{_describe(attribute)} is hidden (use --allow-hidden to change it)"
        else:
            row.status = CHANGE
    customer = getattr(client, "customer_id", None)
    return BulkPlan(rows=planned, customer_id=customer, allow_hidden=allow_hidden)


def apply_bulk(
    client: PortalClient,
    plan: BulkPlan,
    on_progress: Callable[[BulkRow], None] | None = None,
    *,
    skip_invalid: bool = False,
) -> BulkResult:
    """Apply the plan's changes in file order, stopping at the first failure.

    Refuses (``AttributeValidationError``) while the plan has invalid rows unless
    ``skip_invalid``. A failure does not raise: the result says which rows were applied,
    which one failed with which error, and which were not applied. ``on_progress`` is called
    after each applied row.
    """
    if plan.invalid and not skip_invalid:
        raise AttributeValidationError(
            f"refusing to apply: {len(plan.invalid)} invalid row(s); fix them first "
            f"({plan.invalid[0].describe()})"
        )
    result = BulkResult()
    pending = list(plan.changes)
    for index, row in enumerate(pending):
        try:
            after = put_checked(client, row.attribute, {"value": row.new_value})
        except PortalError as exc:
            result.failed, result.error = row, exc
            result.not_applied = pending[index:]
            return result
        row.after = dict(after)
        result.applied.append(row)
        if on_progress is not None:
            on_progress(row)
    return result
