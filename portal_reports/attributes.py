"""Customer attributes: browse them, read one for reports, and change them safely.

Safety rules, because the Portal's PUT replaces the whole attribute:
- values are validated against ``value_type`` / ``possible_values`` before anything is sent;
- changes to hidden attributes are refused unless ``allow_hidden=True``;
- an update sends the attribute back whole with only the named fields changed
  (``PortalClient.update_customer_attribute`` does GET + merge + PUT);
- nothing is sent when the new value equals the current one, so re-applying is a no-op.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .client import ATTRIBUTE_FIELDS
from .errors import AttributeValidationError, ConfigError, NotFoundError, PortalError
from .frames import attributes_frame

if TYPE_CHECKING:
    from .client import PortalClient

ENV_NAME_ATTRIBUTE = "PORTAL_NAME_ATTRIBUTE"
DEFAULT_NAME_ATTRIBUTE = "business_name"

#: Fields of an attribute that a PUT carries (everything but ``id`` and ``idn``).
PUT_FIELDS = ATTRIBUTE_FIELDS
#: Fields a caller of :func:`plan_update` / :func:`set_attribute` may change.
EDITABLE_FIELDS = ("value", "title", "description")
#: Order of the fields in :func:`diff_text` and in the CLI's ``get`` output.
FIELD_ORDER = ("id", "idn", *PUT_FIELDS)

_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}
_ATTRIBUTES_ENDPOINT = "/api/v1/bff/customer/attributes"


# --------------------------------------------------------------------------- browsing


def _customer_label(client: PortalClient) -> str:
    """How error messages name the customer the client is talking about."""
    customer = getattr(client, "customer_id", None)
    return f"customer {customer!r}" if customer else "the account's default customer"


def list_attributes(
    client: PortalClient,
    query: str | None = None,
    group: str | None = None,
    show_hidden: bool = False,
) -> pd.DataFrame:
    """Attributes of the client's customer as a frame; hidden ones only with ``show_hidden``.

    ``query`` is passed to the Portal (it searches name, title and group); ``group`` keeps one
    group (case-insensitive). ``frame.attrs["groups"]`` lists every group the Portal declared.
    """
    frame = attributes_frame(client.customer_attributes(query=query))
    groups = list(frame.attrs.get("groups", []))
    keep = pd.Series(True, index=frame.index)
    if not show_hidden:
        keep &= ~frame["is_hidden"].astype(bool)
    if group is not None:
        keep &= frame["group"].astype("string").fillna("").str.casefold() == group.casefold()
    result = frame.loc[keep].reset_index(drop=True)
    result.attrs["groups"] = groups
    return result


def attribute_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of an attributes frame as plain dicts (missing text -> None), for JSON/CSV output."""
    records = []
    for row in frame.to_dict(orient="records"):
        records.append({k: _plain(v) for k, v in row.items()})
    return records


def _plain(value: Any) -> Any:
    """A frame cell as a plain Python value (NA -> None, lists kept)."""
    if isinstance(value, (list, tuple, dict)):
        return list(value) if isinstance(value, tuple) else value
    if hasattr(value, "tolist"):
        value = value.tolist()
        if isinstance(value, list):
            return value
    return None if pd.isna(value) else value


def _is_uuid(text: str) -> bool:
    """True when ``text`` is a UUID, i.e. an attribute id rather than an idn."""
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return True


def _not_found(client: PortalClient, id_or_idn: str, hint: str = "") -> NotFoundError:
    """The NotFoundError raised for an unknown attribute id or idn."""
    message = f"no attribute with id or idn {id_or_idn!r} for {_customer_label(client)}{hint}"
    return NotFoundError(404, _ATTRIBUTES_ENDPOINT, method="GET", message=message)


def get_attribute(client: PortalClient, id_or_idn: str) -> dict[str, Any]:
    """One attribute as the Portal returns it, by UUID ``id`` or by ``idn``.

    Raises :class:`NotFoundError` naming the attribute and the customer when there is none.
    """
    key = str(id_or_idn).strip()
    if _is_uuid(key):
        try:  # sent in the canonical form (a UUID may be typed without dashes or in braces)
            return client.customer_attribute(str(uuid.UUID(key)))
        except NotFoundError as exc:
            raise _not_found(client, key) from exc
    attributes = client.customer_attributes().get("attributes") or []
    for attribute in attributes:
        if attribute.get("idn") == key:
            return attribute
    idns = [str(a.get("idn")) for a in attributes if a.get("idn")]
    close = difflib.get_close_matches(key, idns, n=3)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    raise _not_found(client, key, hint)


def name_from_attributes(payload: Mapping[str, Any], idn: str | None = None) -> str | None:
    """The business name in an attributes payload (idn from env PORTAL_NAME_ATTRIBUTE,
    default ``business_name``); a missing attribute or an empty value gives ``None``."""
    idn = idn or os.environ.get(ENV_NAME_ATTRIBUTE) or DEFAULT_NAME_ATTRIBUTE
    for attribute in payload.get("attributes") or []:
        if isinstance(attribute, Mapping) and attribute.get("idn") == idn:
            value = attribute.get("value")
            text = str(value).strip() if value is not None else ""
            return text or None
    return None


def business_name(client: PortalClient, idn: str | None = None) -> str | None:
    """The customer's display name from an attribute (env PORTAL_NAME_ATTRIBUTE), else None.

    Reports use it as a title; a missing attribute, empty value or 404 gives ``None``.
    """
    try:
        payload = client.customer_attributes()
    except NotFoundError:
        return None
    return name_from_attributes(payload, idn)


# --------------------------------------------------------------------------- validation


def _describe(attribute: Mapping[str, Any]) -> str:
    """``attribute 'idn' (type)`` for messages."""
    return f"attribute {attribute.get('idn') or attribute.get('id')!r} ({_value_type(attribute)})"


def _value_type(attribute: Mapping[str, Any]) -> str:
    """The attribute's value type, lower-cased ("string" when missing)."""
    return str(attribute.get("value_type") or "string").strip().lower()


def _possible(attribute: Mapping[str, Any]) -> list[str]:
    """The attribute's possible values as strings (the Portal may send a JSON-encoded list)."""
    values = attribute.get("possible_values") or []
    if isinstance(values, str):
        try:
            values = json.loads(values)
        except ValueError:
            values = [values]
    if not isinstance(values, list):
        values = [values]
    return [str(v) for v in values]


def _invalid(attribute: Mapping[str, Any], value: Any, accepted: str) -> AttributeValidationError:
    """A one-line validation error naming the attribute, its type and what is accepted."""
    return AttributeValidationError(
        f"{_describe(attribute)}: invalid value {value!r}; accepted: {accepted}"
    )


def validate_value(attribute: Mapping[str, Any], value: Any) -> str:
    """The value as the string to send, checked against the attribute's ``value_type``.

    string: any text; number: a finite decimal, kept as written ("3.50" stays "3.50");
    boolean: true/false/yes/no/1/0 (any case) -> "true"/"false"; json: valid JSON, kept as
    written (Python dicts/lists are dumped compactly); enum: one of ``possible_values``
    (a case-insensitive unique match is spelled as listed). Unknown types accept any text.
    Raises :class:`AttributeValidationError` (one line) otherwise.
    """
    kind = _value_type(attribute)
    if value is None:
        raise _invalid(attribute, value, "a value (None given)")
    if kind == "number":
        return _number(attribute, value)
    if kind == "boolean":
        return _boolean(attribute, value)
    if kind == "json":
        return _json(attribute, value)
    if kind == "enum":
        return _enum(attribute, value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(attribute: Mapping[str, Any], value: Any) -> str:
    """A finite number, kept as written."""
    accepted = "a number such as 12, -3 or 3.50"
    if isinstance(value, bool):
        raise _invalid(attribute, value, accepted)
    text = str(value).strip()
    if "_" in text:  # Python's float() takes "1_000"; a Portal may not
        raise _invalid(attribute, value, accepted)
    try:
        number = float(text)
    except ValueError:
        raise _invalid(attribute, value, accepted) from None
    if not math.isfinite(number):
        raise _invalid(attribute, value, accepted)
    return text


def _boolean(attribute: Mapping[str, Any], value: Any) -> str:
    """ "true" or "false" from the usual spellings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip().lower()
    if text in _TRUE:
        return "true"
    if text in _FALSE:
        return "false"
    raise _invalid(attribute, value, "true/false (also yes/no, 1/0)")


def _json(attribute: Mapping[str, Any], value: Any) -> str:
    """Valid JSON text, kept as written; Python objects are dumped compactly."""
    if not isinstance(value, str):
        try:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            raise _invalid(attribute, value, "a JSON-serialisable value") from None
    try:
        json.loads(value)
    except ValueError as exc:
        raise _invalid(attribute, value, f"valid JSON ({exc.msg} at char {exc.pos})") from None
    return value


def _enum(attribute: Mapping[str, Any], value: Any) -> str:
    """One of ``possible_values``, spelled as listed."""
    possible = _possible(attribute)
    raw = ("true" if value else "false") if isinstance(value, bool) else str(value)
    text = raw.strip()
    for candidate in (raw, text):
        if candidate in possible:
            return candidate
    folded = [p for p in possible if p.casefold() == text.casefold()]
    if len(folded) == 1:
        return folded[0]
    accepted = ", ".join(repr(p) for p in possible) if possible else "nothing (no possible_values)"
    raise _invalid(attribute, value, f"one of {accepted}")


# --------------------------------------------------------------------------- single update


@dataclass
class Change:
    """A planned or applied change of one attribute: the attribute before and after."""

    before: dict[str, Any]
    after: dict[str, Any]
    applied: bool = False

    @property
    def id(self) -> str:
        """The attribute's UUID."""
        return str(self.before.get("id"))

    @property
    def idn(self) -> str:
        """The attribute's idn."""
        return str(self.before.get("idn"))

    @property
    def changed_fields(self) -> list[str]:
        """Names of the fields that differ between before and after."""
        keys = [k for k in FIELD_ORDER if k in self.before or k in self.after]
        keys += sorted((set(self.before) | set(self.after)) - set(FIELD_ORDER))
        return [k for k in keys if self.before.get(k) != self.after.get(k)]

    @property
    def has_changes(self) -> bool:
        """True when at least one field differs."""
        return bool(self.changed_fields)

    def diff_text(self) -> str:
        """The before/after diff, for printing."""
        return diff_text(self.before, self.after)


def diff_text(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """Readable before/after diff of two attribute dicts, one ``-``/``+`` pair per changed field."""
    name = after.get("idn") or before.get("idn") or after.get("id") or before.get("id")
    keys = [k for k in FIELD_ORDER if k in before or k in after]
    keys += sorted((set(before) | set(after)) - set(FIELD_ORDER))
    lines = [f"attribute {name!r}"]
    for key in keys:
        old, new = before.get(key), after.get(key)
        if old != new:
            lines.append(f"  - {key}: {_show(old)}")
            lines.append(f"  + {key}: {_show(new)}")
    if len(lines) == 1:
        lines.append("  (no changes)")
    return "\n".join(lines)


def _show(value: Any) -> str:
    """A field value as JSON text (strings quoted, so trailing spaces and "" are visible)."""
    return json.dumps(value, ensure_ascii=False)


def plan_update(
    client: PortalClient,
    id_or_idn: str,
    *,
    value: Any = None,
    title: str | None = None,
    description: str | None = None,
    allow_hidden: bool = False,
) -> Change:
    """Validate a change and predict the attribute after it, without sending anything.

    ``None`` means "leave that field as it is". Raises :class:`AttributeValidationError` for a
    bad value or for changing a hidden attribute without ``allow_hidden`` (a no-op is allowed),
    :class:`NotFoundError` if unknown.
    """
    before = get_attribute(client, id_or_idn)
    changes = _changes(before, value=value, title=title, description=description)
    if changes and before.get("is_hidden") and not allow_hidden:
        raise AttributeValidationError(
            f"{_describe(before)} is hidden; refusing to change it without allow_hidden=True "
            "(--allow-hidden)"
        )
    after = {**before, **changes}
    return Change(before=dict(before), after=after, applied=False)


def _changes(before: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    """The validated fields that actually differ from ``before``."""
    changes: dict[str, Any] = {}
    if fields.get("value") is not None:
        value = validate_value(before, fields["value"])
        if not _same_value(before, value):
            changes["value"] = value
    for key in ("title", "description"):
        if fields.get(key) is not None and before.get(key) != str(fields[key]):
            changes[key] = str(fields[key])
    return changes


def _same_value(attribute: Mapping[str, Any], new_value: str) -> bool:
    """True when the attribute already holds ``new_value`` (a validated string).

    The spec's values are strings, but a Portal may send a number or a boolean as JSON
    (``3``, ``true``); those are compared in the form they would be sent, so re-applying
    the same value never sends anything.
    """
    current = attribute.get("value")
    if current is None or isinstance(current, str):
        return current == new_value
    try:
        return validate_value(attribute, current) == new_value
    except AttributeValidationError:
        return False


def apply_change(client: PortalClient, change: Change) -> Change:
    """Send a planned change (only its changed editable fields); no request if nothing differs."""
    changes = {k: change.after[k] for k in change.changed_fields if k in EDITABLE_FIELDS}
    other = [k for k in change.changed_fields if k not in EDITABLE_FIELDS]
    if other:
        raise ConfigError(f"refusing to change {', '.join(other)} of {change.idn!r}: not editable")
    if not changes:
        return Change(before=change.before, after=dict(change.before), applied=False)
    after = client.update_customer_attribute(change.id, **changes)
    return Change(before=change.before, after=dict(after), applied=True)


def set_attribute(
    client: PortalClient,
    id_or_idn: str,
    *,
    value: Any = None,
    title: str | None = None,
    description: str | None = None,
    allow_hidden: bool = False,
) -> Change:
    """Validate, then update one attribute keeping every other field; returns before/after.

    Nothing is sent when the validated value (and title/description) already match.
    """
    change = plan_update(
        client,
        id_or_idn,
        value=value,
        title=title,
        description=description,
        allow_hidden=allow_hidden,
    )
    return apply_change(client, change)


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
    new_value: str | None = None
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
            uncertain = "" if _is_http_answer(self.error) else " (outcome unknown: no answer)"
            lines.append(f"FAILED {self.failed.describe()}{uncertain}: {self.error}")
            rest = [r for r in self.not_applied if r is not self.failed]
            lines.append(f"Not applied ({len(rest)} more):" if rest else "No other rows pending.")
            lines.extend(f"  not applied {r.describe()}" for r in rest)
        return "\n".join(lines)


def _is_http_answer(error: BaseException | None) -> bool:
    """True when the server answered (so a failed PUT was surely not applied)."""
    from .errors import PortalHTTPError

    return isinstance(error, PortalHTTPError)


def read_bulk_csv(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Rows of a bulk file with columns ``idn,value`` (UTF-8, BOM tolerated; other columns ignored)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text: {exc.reason}") from exc
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in ("idn", "value") if c not in columns]
    if missing:
        raise ConfigError(
            f"{path}: missing column(s) {', '.join(missing)} (need a header idn,value)"
        )
    reader.fieldnames = columns
    rows = []
    for record in reader:
        rows.append(
            {
                "line": str(reader.line_num),
                "idn": (record.get("idn") or "").strip(),
                "value": record.get("value") or "",
            }
        )
    return rows


def plan_bulk(
    client: PortalClient,
    rows: Iterable[Mapping[str, Any]],
    *,
    allow_hidden: bool = False,
) -> BulkPlan:
    """Classify each ``{idn, value}`` row against the current attributes; sends nothing.

    A row is a change, unchanged (value already equal after normalisation), invalid (unknown
    idn, bad value, a change to a hidden attribute without ``allow_hidden``) or a duplicate of
    an earlier idn.
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
        attribute = current.get(idn)
        if attribute is None:
            row.reason = f"no attribute with idn {idn!r} for {_customer_label(client)}"
            continue
        row.attribute = dict(attribute)
        try:
            row.new_value = validate_value(attribute, value)
        except AttributeValidationError as exc:
            row.reason = str(exc)
            continue
        if _same_value(attribute, row.new_value):
            row.status = UNCHANGED
        elif attribute.get("is_hidden") and not allow_hidden:
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
            after = client.update_customer_attribute(str(row.attribute["id"]), value=row.new_value)
        except PortalError as exc:
            result.failed, result.error = row, exc
            result.not_applied = pending[index:]
            return result
        row.after = dict(after)
        result.applied.append(row)
        if on_progress is not None:
            on_progress(row)
    return result
