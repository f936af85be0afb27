"""Changing attributes safely: validate against ``value_type``, diff, whole-body PUT.

The Portal's PUT replaces the whole attribute, so every field not named is sent back as it was.

The API has no ETag or version, so a read-modify-write can lose a concurrent change. What
:func:`put_checked` does about it: on this machine, a lock file serialises every portal-reports
process changing the same attribute; against other writers, the attribute is read again just
before the PUT (refused if a field being changed moved since it was planned) and just after it
(:class:`ConcurrentChangeError` if anything differs from the Portal's answer). A change by
another writer landing between our read and our PUT cannot be seen by any client.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._text import printable
from ..data.frames import json_flag
from ..errors import AttributeValidationError, ConcurrentChangeError, ConfigError
from .lookup import FIELD_ORDER, PUT_FIELDS, get_attribute

#: Fields a caller of :func:`plan_update` / :func:`set_attribute` may change.
EDITABLE_FIELDS = ("value", "title", "description")

_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


if TYPE_CHECKING:
    from ..portal.client import PortalClient


# --------------------------------------------------------------------------- validation


def _describe(attribute: Mapping[str, Any]) -> str:
    """``attribute 'idn' (type)`` for messages."""
    return f"attribute {attribute.get('idn') or attribute.get('id')!r} ({_value_type(attribute)})"


def _value_type(attribute: Mapping[str, Any]) -> str:
    """The attribute's value type, lower-cased ("string" when missing)."""
    return str(attribute.get("value_type") or "string").strip().lower()


#: value_type names read as a JSON number, a JSON integer, a JSON boolean.
_NUMBER_TYPES = frozenset({"number", "numeric", "float", "double", "decimal"})
_INTEGER_TYPES = frozenset({"integer", "int", "long"})
_BOOLEAN_TYPES = frozenset({"boolean", "bool"})
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")


def _possible(attribute: Mapping[str, Any]) -> list[tuple[Any, str | None]]:
    """The attribute's possible values as (value as listed, title or None).

    Plain values (``["pro"]``) and objects with a ``value`` key (``[{"value": "pro", "title":
    "Pro"}]``) are both read; the Portal may also send the list JSON-encoded.
    """
    values = attribute.get("possible_values") or []
    if isinstance(values, str):
        try:
            values = json.loads(values)
        except ValueError:
            values = [values]
    if not isinstance(values, list):
        values = [values]
    out: list[tuple[Any, str | None]] = []
    for item in values:
        if isinstance(item, Mapping) and "value" in item:
            title = item.get("title", item.get("label"))
            out.append((item["value"], None if title is None else str(title)))
        else:
            out.append((item, None))
    return out


def _text(value: Any) -> str:
    """A value as text to compare with what a person typed (JSON spelling for non-strings)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _invalid(attribute: Mapping[str, Any], value: Any, accepted: str) -> AttributeValidationError:
    """A one-line validation error naming the attribute, its type and what is accepted."""
    return AttributeValidationError(
        f"{_describe(attribute)}: invalid value {value!r}; accepted: {accepted}"
    )


def _json_kind(attribute: Mapping[str, Any]) -> str | None:
    """The JSON type a new value is sent as: "integer", "number", "boolean", "json" (any
    JSON value, parsed), or None for a string.

    The type the Portal holds the value in is kept, so a change never changes it: the
    current value's JSON type when it has one (a string stays a string, whatever the
    ``value_type``: the sandbox and Portals like it keep numbers as text), else, with no
    current value, a ``value_type`` naming a number, integer or boolean type.
    """
    current = attribute.get("value")
    kind = _value_type(attribute)
    if isinstance(current, str):
        return None
    if isinstance(current, bool):
        return "boolean"
    if isinstance(current, int | float):
        return "integer" if kind in _INTEGER_TYPES else "number"
    if isinstance(current, dict | list):
        return "json"
    if kind in _INTEGER_TYPES:
        return "integer"
    if kind in _NUMBER_TYPES:
        return "number"
    if kind in _BOOLEAN_TYPES:
        return "boolean"
    return None


def validate_value(attribute: Mapping[str, Any], value: Any) -> Any:
    """The value to send, checked against the attribute's ``value_type``, in the attribute's
    JSON type.

    The JSON type: the current value's (a JSON number ``5`` gets a number, ``true`` a
    boolean, a string a string); with no current value, a number/integer/boolean
    ``value_type`` (see :func:`_json_kind`). As a string, by ``value_type``: string: any
    text; number: a finite decimal, kept as written ("3.50" stays "3.50"); integer: whole
    digits; boolean: true/false/yes/no/1/0 (any case) -> "true"/"false"; json: valid JSON,
    kept as written (Python dicts/lists are dumped compactly). As a JSON number or boolean,
    the same spellings parsed (``"9"`` -> ``9``, ``"3.5"`` -> ``3.5``, ``"no"`` -> ``false``).
    enum: one of ``possible_values`` (plain values or objects with a ``value``; a
    case-insensitive unique match of a value or title is sent as the value is listed).
    Unknown types accept any text. Raises :class:`AttributeValidationError` (one line)
    otherwise, before anything is sent.
    """
    kind = _value_type(attribute)
    if value is None:
        raise _invalid(attribute, value, "a value (None given)")
    if kind == "enum":
        return _enum(attribute, value)
    typed = _json_kind(attribute)
    if typed == "boolean":
        return _boolean(attribute, value) == "true"
    if typed in ("number", "integer"):
        return _json_number(attribute, value, integer=typed == "integer")
    if typed == "json":
        return json.loads(_json(attribute, value))
    if kind in _NUMBER_TYPES:
        return _number(attribute, value)
    if kind in _INTEGER_TYPES:
        return _integer(attribute, value)
    if kind in _BOOLEAN_TYPES:
        return _boolean(attribute, value)
    if kind == "json":
        return _json(attribute, value)
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


def _integer(attribute: Mapping[str, Any], value: Any) -> str:
    """Whole digits (an optional sign), kept as written."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if isinstance(value, bool) else str(value).strip()
    if not _INTEGER_RE.fullmatch(text):
        raise _invalid(attribute, value, "a whole number such as 12 or -3")
    return text


def _json_number(attribute: Mapping[str, Any], value: Any, *, integer: bool) -> int | float:
    """A JSON number (an int when written as one, or when the type is an integer type)."""
    if integer:
        return int(_integer(attribute, value))
    text = _number(attribute, value)
    return int(text) if _INTEGER_RE.fullmatch(text) else float(text)


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


def _enum(attribute: Mapping[str, Any], value: Any) -> Any:
    """One of ``possible_values``, sent as listed (a value's title also picks it)."""
    possible = _possible(attribute)
    raw = _text(value)
    text = raw.strip()
    for candidate in (raw, text):
        for listed, _ in possible:
            if _text(listed) == candidate:
                return listed
    for key in (lambda p: _text(p[0]), lambda p: p[1] or ""):
        folded = [p[0] for p in possible if key(p).casefold() == text.casefold()]
        if len(folded) == 1:
            return folded[0]
        if folded:
            break
    if not possible:
        raise _invalid(attribute, value, "one of nothing (no possible_values)")
    shown = ", ".join(
        repr(_text(v))
        + (f" ({title})" if title and title.casefold() != _text(v).casefold() else "")
        for v, title in possible
    )
    raise _invalid(attribute, value, f"one of {printable(shown)}")


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
    """A field value as JSON text (strings quoted, so trailing spaces and "" are visible;
    control characters escaped, so a value cannot drive the terminal)."""
    text = json.dumps(value, ensure_ascii=False)
    return text if text.isprintable() else printable(text)


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
    if changes and json_flag(before.get("is_hidden")) and not allow_hidden:
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


def _same_value(attribute: Mapping[str, Any], new_value: Any) -> bool:
    """True when the attribute already holds ``new_value`` (a validated value).

    A current value in another form than the one it would be sent in (``15`` for a number
    the Portal holds as text, say) is compared as it would be sent, so re-applying the same
    value never sends anything.
    """
    current = attribute.get("value")
    if current is None or isinstance(current, str) or _same(current, new_value):
        return _same(current, new_value)
    try:
        return _same(validate_value(attribute, current), new_value)
    except AttributeValidationError:
        return False


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same JSON kind (``True`` is not ``1``, ``"5"`` is not ``5``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, str) or isinstance(b, str):
        return a == b and type(a) is type(b)
    return bool(a == b)


def apply_change(client: PortalClient, change: Change) -> Change:
    """Send a planned change (only its changed editable fields); no request if nothing differs.

    Goes through :func:`put_checked`: :class:`ConcurrentChangeError` when the attribute
    changed on the Portal while this ran.
    """
    changes = {k: change.after[k] for k in change.changed_fields if k in EDITABLE_FIELDS}
    other = [k for k in change.changed_fields if k not in EDITABLE_FIELDS]
    if other:
        raise ConfigError(f"refusing to change {', '.join(other)} of {change.idn!r}: not editable")
    if not changes:
        return Change(before=change.before, after=dict(change.before), applied=False)
    after = put_checked(client, change.before, changes)
    return Change(before=change.before, after=dict(after), applied=True)


# --------------------------------------------------------------------------- lost updates

LOCK_WAIT = 30.0  # seconds to wait for another local process changing the same attribute


def put_checked(
    client: PortalClient, planned: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """PUT ``changes`` to the attribute ``planned`` (as read when the change was planned),
    keeping every other field as the Portal holds it now; returns the attribute read back.

    Raises :class:`ConcurrentChangeError` when a field being changed moved since ``planned``
    (nothing is sent) or when the attribute read back right after the PUT differs from the
    Portal's answer to it (someone changed it at the same time; ``applied`` is True).
    """
    attribute_id = str(planned.get("id"))
    name = planned.get("idn") or attribute_id
    with _attribute_lock(client, attribute_id, str(name)):
        current = client.customer_attribute(attribute_id)
        moved = [k for k in changes if current.get(k) != planned.get(k)]
        if moved:
            raise ConcurrentChangeError(
                f"attribute {name!r} changed on the Portal since it was read: "
                f"{_fields(moved, current, planned, 'was')}; nothing was sent "
                "(check it, then run again)",
                applied=False,
                attribute=current,
            )
        if "value" in changes and not _still_fits(current, changes["value"]):
            raise ConcurrentChangeError(
                f"attribute {name!r} changed on the Portal since it was read: the value "
                f"{_show(changes['value'])} no longer fits it ({_describe(current)}); nothing "
                "was sent (check it, then run again)",
                applied=False,
                attribute=current,
            )
        body = {key: current[key] for key in PUT_FIELDS if key in current}
        body.update(changes)
        answer = client.replace_customer_attribute(attribute_id, body)
        after = client.customer_attribute(attribute_id)
    differs = [k for k in PUT_FIELDS if k in answer and after.get(k) != answer.get(k)]
    if differs:
        raise ConcurrentChangeError(
            f"attribute {name!r} was updated, but it changed on the Portal at the same time: "
            f"{_fields(differs, after, answer, 'just set to')}; one change may have overwritten "
            f"the other (check it with `attributes get {name}`)",
            applied=True,
            attribute=after,
        )
    return dict(after)


def _still_fits(attribute: Mapping[str, Any], value: Any) -> bool:
    """True when ``value`` (validated when planned) is valid, in the same form, for the
    attribute as read right before the PUT (its value_type or possible_values may have
    changed since)."""
    try:
        return _same(validate_value(attribute, value), value)
    except AttributeValidationError:
        return False


def _fields(keys: list[str], now: Mapping[str, Any], then: Mapping[str, Any], how: str) -> str:
    """``title is now "B" (was "A")`` for each key."""
    return ", ".join(f"{k} is now {_show(now.get(k))} ({how} {_show(then.get(k))})" for k in keys)


@contextlib.contextmanager
def _attribute_lock(client: PortalClient, attribute_id: str, name: str) -> Iterator[None]:
    """Serialise read-PUT-read of one attribute among portal-reports processes on this machine
    (a lock file per Portal, customer and attribute in the temporary directory)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: the re-reads still detect conflicts
        yield
        return
    key = f"{getattr(client, 'base_url', '')}|{getattr(client, 'customer_id', '')}|{attribute_id}"
    folder = Path(tempfile.gettempdir()) / f"portal-reports-{os.getuid()}" / "attribute-locks"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.lock"
    with path.open("a") as handle:
        give_up = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > give_up:
                    raise ConcurrentChangeError(
                        f"another portal-reports process has been changing attribute {name!r} "
                        f"for over {LOCK_WAIT:g} s; nothing was sent (lock file {path})",
                        applied=False,
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
