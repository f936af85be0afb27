"""``customers.toml``: every customer's settings, read and validated once, and which customers
"every customer" means.

    [defaults]                           # the whole account; each key optional
    time_zone = "America/New_York"       # IANA name
    locale = "en_US"                     # CLDR locale: numbers, dates, text language
    currency = "USD"                     # ISO 4217
    [defaults.brand]
    logo = "brand/agency-logo.svg"       # SVG or PNG, relative to this file
    accent = "#1d4e89"

    [customers.autohaus-mueller]         # one table per external customer id
    name = "Autohaus Müller & Söhne"     # recipients: name, to, cc, reply_to (see mail)
    to = ["Klaus Müller <klaus@autohaus-mueller.example>"]
    locale = "de_DE"
    currency = "EUR"
    [customers.autohaus-mueller.brand]
    accent = "#8a1538"                   # overrides the agency's accent for this customer

A customer's time zone is its own ``time_zone``, else its Portal attribute named by
``PORTAL_TIME_ZONE_ATTRIBUTE`` (default ``time_zone``), else ``[defaults]``, else UTC. Unknown
keys and unknown time zones, locales, currencies, colours or logos are one-line
:class:`ConfigError`\\ s naming the file, the customer and the value, raised when the file is
read: before anything is fetched.
"""

from __future__ import annotations

import base64
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .errors import ConfigError
from .i18n import DEFAULT_LOCALE, Language, parse_currency, parse_locale
from .mail.recipients import Recipients, parse_recipients
from .period import UTC_ZONE, parse_time_zone
from .settings import resolve_settings

PROJECT_FILE = "customers.toml"
ENV_TIME_ZONE_ATTRIBUTE = "PORTAL_TIME_ZONE_ATTRIBUTE"
DEFAULT_TIME_ZONE_ATTRIBUTE = "time_zone"
ENV_CURRENCY = "PORTAL_CURRENCY"

RECIPIENT_KEYS = frozenset({"name", "to", "cc", "reply_to"})
SETTING_KEYS = frozenset({"time_zone", "locale", "currency", "brand"})
BRAND_KEYS = frozenset({"logo", "accent"})
MAX_LOGO_BYTES = 1_000_000
_ACCENT = re.compile(r"#[0-9a-fA-F]{6}")
_PNG = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- brand


@dataclass(frozen=True)
class Logo:
    """A logo file's content (SVG or PNG), read once; reports embed it as a ``data:`` URI."""

    name: str
    media_type: str
    data: bytes = field(repr=False)

    @property
    def extension(self) -> str:
        return ".svg" if self.media_type == "image/svg+xml" else ".png"

    def data_uri(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "media_type": self.media_type,
            "data": base64.b64encode(self.data).decode("ascii"),
        }

    @classmethod
    def from_json(cls, raw: Any) -> Logo | None:
        if not isinstance(raw, dict) or raw.get("media_type") not in ("image/svg+xml", "image/png"):
            return None
        try:
            data = base64.b64decode(str(raw.get("data") or ""), validate=True)
        except ValueError:
            return None
        return cls(str(raw.get("name") or "logo"), raw["media_type"], data) if data else None


@dataclass(frozen=True)
class Brand:
    """The logo and accent colour on report headers, PDF running headers, charts and email.
    Empty: the toolkit's own look."""

    accent: str | None = None
    logo: Logo | None = None

    def over(self, base: Brand) -> Brand:
        """This brand's keys over ``base``'s (a customer's brand over the agency's)."""
        return Brand(self.accent or base.accent, self.logo or base.logo)

    def __bool__(self) -> bool:
        return bool(self.accent or self.logo)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.accent:
            out["accent"] = self.accent
        if self.logo:
            out["logo"] = self.logo.to_json()
        return out

    @classmethod
    def from_json(cls, raw: Any) -> Brand:
        if not isinstance(raw, dict):
            return cls()
        accent = raw.get("accent")
        accent = accent.lower() if isinstance(accent, str) and _ACCENT.fullmatch(accent) else None
        return cls(accent, Logo.from_json(raw.get("logo")))


def read_logo(value: object, base: Path, where: str) -> Logo:
    """Read and check a logo file (``value`` relative to ``base``): an SVG or PNG file."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: logo must be a file path (SVG or PNG), got {value!r}")
    path = (base / value.strip()).expanduser()
    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise ConfigError(f"{where}: logo {value!r} is not an SVG or PNG file (.svg or .png)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = "not found" if isinstance(exc, FileNotFoundError) else exc.strerror or str(exc)
        raise ConfigError(f"{where}: logo {value!r}: {reason} ({path})") from None
    if len(data) > MAX_LOGO_BYTES:
        raise ConfigError(f"{where}: logo {value!r} is larger than 1 MB ({len(data):,} bytes)")
    if suffix == ".png" and not data.startswith(_PNG):
        raise ConfigError(f"{where}: logo {value!r} is not a PNG image")
    if suffix == ".svg" and b"<svg" not in data[:4096]:
        raise ConfigError(f"{where}: logo {value!r} is not an SVG image (no <svg> element)")
    media = "image/svg+xml" if suffix == ".svg" else "image/png"
    return Logo(path.name, media, data)


def parse_accent(value: object, where: str) -> str:
    """``#rrggbb`` (lower-cased), or :class:`ConfigError`."""
    if isinstance(value, str) and _ACCENT.fullmatch(value.strip()):
        return value.strip().lower()
    raise ConfigError(f"{where}: accent {value!r} is not a colour (expected #rrggbb, e.g. #1d4e89)")


def parse_brand(table: object, base: Path, where: str) -> Brand:
    """A ``brand`` table: ``logo`` and ``accent``, both optional."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: brand must be a table with logo and/or accent")
    _no_unknown(table, BRAND_KEYS, f"{where}, brand")
    accent = parse_accent(table["accent"], where) if "accent" in table else None
    logo = read_logo(table["logo"], base, where) if "logo" in table else None
    return Brand(accent, logo)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class CustomerSettings:
    """One table of ``customers.toml`` (``[defaults]`` or ``[customers.<id>]``), validated.

    Values are the table's own (None when absent); :meth:`CustomersConfig.settings_for`
    merges a customer's over the defaults.
    """

    customer: str | None
    time_zone: ZoneInfo | None = None
    locale: str | None = None
    currency: str | None = None
    brand: Brand = field(default_factory=Brand)
    recipients: Recipients | None = None


def _no_unknown(table: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"
        )


def parse_table(customer: str | None, table: object, source: Path) -> CustomerSettings:
    """Validate one table: ``customer`` None is ``[defaults]``."""
    where = f"{source}: " + ("[defaults]" if customer is None else f"customer {customer!r}")
    if not isinstance(table, dict):
        header = "[defaults]" if customer is None else f"[customers.{customer}]"
        raise ConfigError(f"{where}: expected a table ({header})")
    from .plan import PLAN_KEYS  # targets, review, send_empty: read by plan.py

    allowed = SETTING_KEYS | PLAN_KEYS
    if customer is not None:
        allowed |= RECIPIENT_KEYS
    _no_unknown(table, allowed, where)
    tz = parse_time_zone(table["time_zone"], where) if "time_zone" in table else None
    locale = parse_locale(table["locale"], where) if "locale" in table else None
    currency = parse_currency(table["currency"], where) if "currency" in table else None
    brand = parse_brand(table["brand"], source.parent, where) if "brand" in table else Brand()
    recipients = None
    if customer is not None:
        mail = {k: v for k, v in table.items() if k in RECIPIENT_KEYS}
        recipients = parse_recipients(customer, mail, str(source))
    return CustomerSettings(customer, tz, locale, currency, brand, recipients)


@dataclass(frozen=True)
class ReportSettings:
    """How one customer's reports are made, resolved once and carried in ``data.json`` (so
    kernels need neither ``customers.toml`` nor credentials): language, currency, brand and
    where the time zone came from (the zone itself is the period's)."""

    locale: str = DEFAULT_LOCALE
    currency: str | None = None
    brand: Brand = field(default_factory=Brand)
    time_zone_source: str = "default (UTC)"

    @property
    def language(self) -> Language:
        from .i18n import language_for

        return language_for(self.locale, self.currency)

    def to_json(self, time_zone: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "locale": self.locale,
            "currency": self.currency,
            "time_zone": time_zone,
            "time_zone_source": self.time_zone_source,
        }
        if self.brand:
            out["brand"] = self.brand.to_json()
        return out

    @classmethod
    def from_json(cls, raw: Any) -> ReportSettings:
        """Settings saved by :meth:`to_json` (checked again: the file may be edited)."""
        if not isinstance(raw, dict):
            return cls()
        locale = parse_locale(raw.get("locale") or DEFAULT_LOCALE, "data.json settings")
        currency = raw.get("currency")
        currency = parse_currency(currency, "data.json settings") if currency else None
        return cls(
            locale,
            currency,
            Brand.from_json(raw.get("brand")),
            str(raw.get("time_zone_source") or "default (UTC)"),
        )


@dataclass(frozen=True)
class ResolvedSettings:
    """A customer's settings after merging over ``[defaults]``, before the Portal is asked."""

    customer: str | None
    time_zone: ZoneInfo | None
    time_zone_source: str
    default_time_zone: ZoneInfo | None
    locale: str
    currency: str | None
    brand: Brand

    def resolve_time_zone(self, attributes: Mapping[str, Any] | None) -> tuple[ZoneInfo, str]:
        """The zone of the customer's month and where it came from: ``customers.toml``, else
        the customer's time-zone attribute, else ``[defaults]``, else UTC."""
        if self.time_zone is not None:
            return self.time_zone, self.time_zone_source
        if self.customer is not None and attributes:
            idn = os.environ.get(ENV_TIME_ZONE_ATTRIBUTE) or DEFAULT_TIME_ZONE_ATTRIBUTE
            value = attribute_value(attributes, idn)
            if value is not None:
                where = f"customer {self.customer!r}: Portal attribute {idn}"
                return parse_time_zone(value, where), f"attribute {idn}"
        if self.default_time_zone is not None:
            return self.default_time_zone, "customers.toml [defaults]"
        return UTC_ZONE, "default (UTC)"

    def report_settings(self, time_zone_source: str) -> ReportSettings:
        return ReportSettings(self.locale, self.currency, self.brand, time_zone_source)


def attribute_value(payload: Mapping[str, Any], idn: str) -> str | None:
    """The value of attribute ``idn`` in an attributes payload (blank -> None)."""
    for attribute in payload.get("attributes") or []:
        if isinstance(attribute, Mapping) and attribute.get("idn") == idn:
            value = attribute.get("value")
            text = str(value).strip() if value is not None else ""
            return text or None
    return None


@dataclass(frozen=True)
class CustomersConfig:
    """``customers.toml`` read and validated: ``[defaults]`` and ``[customers.<id>]``."""

    path: Path | None
    defaults: CustomerSettings = field(default_factory=lambda: CustomerSettings(None))
    customers: dict[str, CustomerSettings] = field(default_factory=dict)

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] | None = None, *, required: bool = False
    ) -> CustomersConfig:
        """Read ``path`` (default: the current project's ``customers.toml``). A missing file
        is an empty configuration (defaults only), or a :class:`ConfigError` if ``required``."""
        if path is None:
            from .project import current_project

            target = current_project().customers_file
        else:
            target = Path(path)
        try:
            with target.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            if required:
                raise ConfigError(f"customers file {str(target)!r} not found") from None
            return cls(None, _env_defaults(CustomerSettings(None)), {})
        except OSError as exc:
            raise ConfigError(f"{target}: cannot read: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{target}: invalid TOML: {exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{target}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
        return cls.from_toml(data, target)

    @classmethod
    def from_toml(cls, data: Mapping[str, Any], source: Path) -> CustomersConfig:
        extra = sorted(set(data) - {"customers", "defaults"})
        if extra:
            raise ConfigError(
                f"{source}: unknown top-level key(s) {', '.join(extra)} "
                "(allowed: [defaults], [customers.<id>])"
            )
        customers = data.get("customers", {})
        if not isinstance(customers, dict):
            raise ConfigError(f"{source}: [customers] must be a table of customer tables")
        defaults = parse_table(None, data.get("defaults", {}), source)
        parsed = {cid: parse_table(cid, table, source) for cid, table in customers.items()}
        return cls(source, _env_defaults(defaults), parsed)

    @property
    def recipients(self) -> dict[str, Recipients]:
        """``{external_id: Recipients}`` of every configured customer (the mail's book)."""
        return {cid: s.recipients for cid, s in self.customers.items() if s.recipients}

    def settings_for(self, customer: str | None) -> ResolvedSettings:
        """A customer's settings over the defaults (``None`` or ``"all"``: the whole account,
        which uses ``[customers.all]`` when configured)."""
        own = self.customers.get(customer or "all") or CustomerSettings(customer)
        d = self.defaults
        source = f"{self.path or PROJECT_FILE}"
        return ResolvedSettings(
            customer=customer,
            time_zone=own.time_zone,
            time_zone_source=f"{Path(source).name} [customers.{customer or 'all'}]",
            default_time_zone=d.time_zone,
            locale=own.locale or d.locale or DEFAULT_LOCALE,
            currency=own.currency or d.currency,
            brand=own.brand.over(d.brand),
        )


def _env_defaults(defaults: CustomerSettings) -> CustomerSettings:
    """``PORTAL_CURRENCY`` (an ISO 4217 code) as the account's currency when ``[defaults]``
    names none."""
    raw = os.environ.get(ENV_CURRENCY, "").strip()
    if defaults.currency or not raw:
        return defaults
    currency = parse_currency(raw, ENV_CURRENCY)
    return CustomerSettings(
        None, defaults.time_zone, defaults.locale, currency, defaults.brand, None
    )


def load_customers(
    path: str | os.PathLike[str] | None = None, *, required: bool = False
) -> CustomersConfig:
    """:meth:`CustomersConfig.load`."""
    return CustomersConfig.load(path, required=required)


def all_customer_ids(config: str | os.PathLike[str] | None = None) -> list[str]:
    """External ids to report on: the embedded sandbox's customers when no Portal is
    configured, else the customers configured in ``customers.toml`` (``all`` = whole account)."""
    settings = resolve_settings()
    if settings.sandbox:
        from .sandbox import default_sandbox

        return [c["external_id"] for c in default_sandbox().customers]
    if config is None:
        from .project import current_project

        config = current_project().customers_file
    if not os.path.exists(config):
        raise ConfigError(
            f"no customers configured: {config} not found (name customers with --customer)"
        )
    ids = list(CustomersConfig.load(config, required=True).customers)
    if not ids:
        raise ConfigError(f"no customers configured in {config} (name customers with --customer)")
    return ids


__all__ = [
    "Brand",
    "CustomerSettings",
    "CustomersConfig",
    "Logo",
    "ReportSettings",
    "ResolvedSettings",
    "all_customer_ids",
    "load_customers",
]
