"""Reading customer attributes: list, find one by id or idn, the business name for reports."""

from __future__ import annotations

import difflib
import os
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..data.frames import attributes_frame
from ..errors import NotFoundError
from ..portal.client import ATTRIBUTE_FIELDS

if TYPE_CHECKING:
    from ..portal.client import PortalClient


ENV_NAME_ATTRIBUTE = "PORTAL_NAME_ATTRIBUTE"
DEFAULT_NAME_ATTRIBUTE = "business_name"

#: Fields of an attribute that a PUT carries (everything but ``id`` and ``idn``).
PUT_FIELDS = ATTRIBUTE_FIELDS
#: Order of the fields in :func:`diff_text` and in the CLI's ``get`` output.
FIELD_ORDER = ("id", "idn", *PUT_FIELDS)

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

    By idn, the list finds it; when the list entry lacks fields (``description``,
    ``possible_values``), the attribute is read by id for them (see :func:`full_attribute`).
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
            return full_attribute(client, attribute)
    idns = [str(a.get("idn")) for a in attributes if a.get("idn")]
    close = difflib.get_close_matches(key, idns, n=3)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    raise _not_found(client, key, hint)


def full_attribute(client: PortalClient, listed: Mapping[str, Any]) -> dict[str, Any]:
    """A list entry with every field a change needs: the entry itself when it has them, else
    the attribute as its own endpoint returns it.

    A Portal's list may leave fields out (``description``, ``possible_values``) that the
    single attribute has; an enum listed without possible values is read again too, since
    nothing can be validated against an empty list.
    """
    attribute_id = listed.get("id")
    if not isinstance(attribute_id, str) or not attribute_id.strip():
        return dict(listed)
    missing = [key for key in ATTRIBUTE_FIELDS if key not in listed]
    enum = str(listed.get("value_type") or "").strip().lower() == "enum"
    if not missing and not (enum and not listed.get("possible_values")):
        return dict(listed)
    return client.customer_attribute(attribute_id)


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
