"""Who receives each customer's monthly reports: the mail keys of ``customers.toml``.

The file is read by :mod:`portal_reports.customers` (which also holds each customer's time
zone, locale, currency and brand); the mail keys of one customer table are::

    [customers.acme-dental]
    name = "Acme Dental Care"                      # display name (subject, file names)
    to = ["Dr. Jane Doe <jane@acme-dental.example>"]
    cc = ["office@acme-dental.example"]            # optional
    reply_to = "Account team <team@agency.example>"  # optional

Unknown keys are errors, so a typo cannot silently drop a recipient. The plan keys
(``targets``, ``review``, ``send_empty``) and the ``[defaults]`` table are read and checked by
:mod:`portal_reports.plan`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr
from pathlib import Path

from ..errors import ConfigError
from ..plan import PLAN_KEYS

DEFAULT_CONFIG = "customers.toml"
_KEYS = {"name", "to", "cc", "reply_to"}
_OTHER_KEYS = PLAN_KEYS  # read by portal_reports.plan


@dataclass(frozen=True)
class Recipients:
    """The configured recipients of one customer's reports (addresses as written)."""

    customer: str
    name: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    reply_to: str | None = None

    @property
    def envelope(self) -> list[str]:
        """Bare addresses for the SMTP envelope (to, then cc), without duplicates."""
        seen: dict[str, str] = {}
        for entry in (*self.to, *self.cc):
            spec = addr_spec(entry)
            seen.setdefault(spec.lower(), spec)
        return list(seen.values())


def addr_spec(address: str) -> str:
    """The bare ``local@domain`` part of an address such as ``"Jane <jane@x.example>"``."""
    return parseaddr(address)[1]


def validate_address(address: object, where: str) -> str:
    """Return ``address`` stripped, or raise :class:`ConfigError` saying where it is bad."""
    if not isinstance(address, str) or not address.strip():
        raise ConfigError(f"{where}: expected an email address, got {address!r}")
    text = address.strip()
    parsed = getaddresses([text])
    spec = parsed[0][1] if len(parsed) == 1 else ""
    local, at, domain = spec.rpartition("@")
    ok = (
        at
        and local
        and domain
        and "@" not in local
        and spec.isascii()
        and not any(ch.isspace() for ch in spec)
        and not domain.startswith(".")
        and not domain.endswith(".")
        and ".." not in domain
    )
    if not ok:
        raise ConfigError(f"{where}: {text!r} is not a valid email address (one per entry)")
    return text


def _address_list(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list of email addresses")
    return tuple(validate_address(item, where) for item in value)


def parse_recipients(customer: str, table: object, source: str = DEFAULT_CONFIG) -> Recipients:
    """Validate one ``[customers.<id>]`` table into :class:`Recipients`."""
    where = f"{source}: customer {customer!r}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table ([customers.{customer}])")
    unknown = sorted(set(table) - _KEYS - _OTHER_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_KEYS | _OTHER_KEYS))
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {allowed})")
    name = table.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ConfigError(f"{where}: name must be a non-empty string")
    reply_to = table.get("reply_to")
    if reply_to is not None:
        reply_to = validate_address(reply_to, f"{where}, reply_to")
    return Recipients(
        customer=customer,
        name=name.strip() if name else None,
        to=_address_list(table.get("to"), f"{where}, to"),
        cc=_address_list(table.get("cc"), f"{where}, cc"),
        reply_to=reply_to,
    )


def load_recipients(path: str | os.PathLike[str] | None = None) -> dict[str, Recipients]:
    """Read and validate ``customers.toml``: ``{external_id: Recipients}``.

    The whole file is validated (``[defaults]`` and every customer's settings, see
    :mod:`portal_reports.customers`). The default (no path, or the bare name
    ``customers.toml``) is the working directory's file, else the current project's (found
    from the working directory upwards).
    """
    from ..customers import CustomersConfig

    target = Path(path or DEFAULT_CONFIG)
    if str(target) == DEFAULT_CONFIG and not target.exists():
        from ..project import current_project

        target = current_project().customers_file
    if not target.is_file():
        raise ConfigError(f"recipients file {str(target)!r} not found")
    return CustomersConfig.load(target, required=True).recipients


__all__ = [
    "DEFAULT_CONFIG",
    "Recipients",
    "addr_spec",
    "load_recipients",
    "parse_recipients",
    "validate_address",
]
