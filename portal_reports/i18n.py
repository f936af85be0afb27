"""Language and formats of a customer's reports: Babel (CLDR data) and gettext catalogs.

A :class:`Language` is a locale (``de_DE``) and a currency (``EUR``): it formats numbers,
money, percentages, dates and month names as the locale writes them (``96.648,49 €``,
``$96,648.49``, ``1 234,5``), and translates text through the ``portal_reports`` gettext
catalogs in ``portal_reports/locale/`` (English is the source language; German is complete; a
locale without a catalog gets English text with its own number formats).

One language is *active* at a time: the kernel of a report activates the customer's
(``kit.setup``), the runner and the mailer use ``with using(language):``. The helpers of
:mod:`portal_reports.reports.format` and :func:`_` read the active one, so report code keeps
calling ``fmt_money(x)`` and ``_("Leads")``, as with Django's or Flask-Babel's active locale.
"""

from __future__ import annotations

import contextlib
import copy
import gettext as _gettext
import math
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from .errors import ConfigError

DOMAIN = "portal_reports"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LOCALE = "en_US"
MINUS = "\u2212"  # a real minus sign, as typography wants
DASH = "\u2013"  # an empty cell

__all__ = [
    "DEFAULT_LOCALE",
    "Language",
    "N_",
    "_",
    "activate",
    "current",
    "language_for",
    "parse_currency",
    "parse_locale",
    "using",
]


# --------------------------------------------------------------------------- validation


def parse_locale(value: object, where: str = "locale") -> str:
    """A CLDR locale name normalised to ``ll_TT`` (``de-DE`` -> ``de_DE``); :class:`ConfigError`
    (one line, starting with ``where``) for a locale Babel does not know."""
    from babel import Locale, UnknownLocaleError

    text = value.strip().replace("-", "_") if isinstance(value, str) else ""
    if text and re.fullmatch(r"[A-Za-z]{2,3}(_[A-Za-z0-9]{2,8})*", text):
        try:
            return str(Locale.parse(text))
        except (UnknownLocaleError, ValueError):
            pass
    raise ConfigError(f"{where}: unknown locale {value!r} (expected e.g. en_US, de_DE, fr_CA)")


def parse_currency(value: object, where: str = "currency") -> str:
    """An ISO 4217 code (``EUR``); :class:`ConfigError` for an unknown one."""
    from babel.numbers import is_currency

    text = value.strip().upper() if isinstance(value, str) else ""
    if text and re.fullmatch(r"[A-Z]{3}", text) and is_currency(text):
        return text
    raise ConfigError(f"{where}: unknown currency {value!r} (expected an ISO 4217 code, e.g. EUR)")


def _missing(value: float | None) -> bool:
    """None, NaN or an infinity: nothing a reader could use."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


# --------------------------------------------------------------------------- the language


@dataclass(frozen=True)
class Language:
    """A locale and a currency: how a customer's reports are written."""

    locale: str = DEFAULT_LOCALE
    currency: str | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False, hash=False)

    @cached_property
    def babel(self):  # -> babel.Locale
        from babel import Locale

        return Locale.parse(self.locale)

    @cached_property
    def translations(self) -> _gettext.NullTranslations:
        """The catalog for the locale (``de_AT`` uses ``de``); English text when there is none."""
        return _translations(self.locale)

    @property
    def has_catalog(self) -> bool:
        """Whether text is translated (a catalog exists for the locale or its language)."""
        return type(self.translations) is not _gettext.NullTranslations

    @property
    def language(self) -> str:
        """The language code (``de``)."""
        return self.babel.language

    @property
    def html_lang(self) -> str:
        """The BCP 47 tag for ``<html lang>`` (``de-DE``)."""
        return self.locale.replace("_", "-")

    # ---- text ---------------------------------------------------------------------------

    def gettext(self, message: str) -> str:
        """``message`` translated (itself when the catalog has no translation)."""
        return self.translations.gettext(message) if message else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    # ---- numbers ------------------------------------------------------------------------

    def _minus(self, text: str) -> str:
        """The locale's minus sign (and a hyphen-minus, which some CLDR currency patterns
        use) replaced by a real one (U+2212)."""
        sign = self._cache.get("minus")
        if sign is None:
            from babel.numbers import get_minus_sign_symbol

            sign = self._cache["minus"] = get_minus_sign_symbol(self.babel)
        return text.replace(sign, MINUS).replace("-", MINUS)

    def _pattern(self, kind: str, digits: int):
        key = (kind, digits)
        pattern = self._cache.get(key)
        if pattern is None:
            from babel.numbers import parse_pattern

            source = self.babel.decimal_formats[None]
            if kind == "percent":
                source = self.babel.percent_formats[None]
            pattern = copy.copy(parse_pattern(source))  # Babel caches parsed patterns
            pattern.frac_prec = (digits, digits)
            self._cache[key] = pattern
        return pattern

    def decimal(self, value: float | None, digits: int = 2) -> str:
        """``1234.5`` -> ``1,234.50`` / ``1.234,50`` / ``1 234,50`` (locale grouping, e.g.
        ``12,34,567.50`` for en_IN); ``–`` for None/NaN."""
        if _missing(value):
            return DASH
        number = Decimal(repr(float(value))) if not isinstance(value, int) else Decimal(value)
        return self._minus(self._pattern("decimal", digits).apply(number, self.babel))

    def integer(self, value: float | None) -> str:
        """``1234`` -> ``1,234`` (rounded); ``–`` for None/NaN."""
        if _missing(value):
            return DASH
        return self.decimal(round(value), 0)  # type: ignore[arg-type]

    def compact(self, value: float | None, digits: int = 1) -> str:
        """A large number in the locale's short words, for narrow chart axes: ``1.5M`` /
        ``1,5 Mio.`` / ``1,5 mn`` (CLDR); ``–`` for None/NaN. Below a million some locales
        (German) have no short form, so callers keep :meth:`decimal` for smaller numbers."""
        if _missing(value):
            return DASH
        from babel.numbers import format_compact_decimal

        text = format_compact_decimal(value, locale=self.babel, fraction_digits=digits)
        return self._minus(text)

    def money(self, value: float | None, digits: int = 2) -> str:
        """Money in the currency (``$96,648.49``, ``96.648,49 €``); a plain amount without one."""
        if _missing(value):
            return DASH
        if not self.currency:
            return self.decimal(value, digits)
        from babel.numbers import format_currency

        return self._minus(format_currency(float(value), self.currency, locale=self.babel))

    def percent(self, ratio: float | None, digits: int = 1) -> str:
        """A ratio as a percentage: ``0.1234`` -> ``12.3%`` / ``12,3 %``; ``n/a`` for None."""
        if _missing(ratio):
            return self.gettext("n/a")
        number = Decimal(repr(float(ratio)))
        return self._minus(self._pattern("percent", digits).apply(number, self.babel))

    def signed(self, text: str, value: float) -> str:
        """``text`` (an absolute value's formatting) with ``+`` or a real minus in front."""
        if value > 0:
            return f"+{text}"
        if value < 0:
            return f"{MINUS}{text}"
        return text

    def signed_percent(self, ratio: float, digits: int = 1) -> str:
        """``+12.3%`` / ``−4.5 %``."""
        return self.signed(self.percent(abs(ratio), digits), ratio)

    def signed_points(self, points: float, digits: int = 1) -> str:
        """A change in percentage points: ``+1.2 pts`` / ``−0,4 Pp.``."""
        value = self.signed(self.decimal(abs(points), digits), points)
        return self.gettext("{value} pts").format(value=value)

    # ---- dates --------------------------------------------------------------------------

    def date(self, value: date | datetime, skeleton: str | None = None) -> str:
        """A date in the locale's words: its long format (``November 25, 2026`` in en_US,
        ``25 November 2026`` in en_GB, ``25. November 2026`` in de), or a CLDR skeleton's
        (``MMMd``: ``Nov 25``)."""
        from babel.dates import format_date, format_skeleton

        if skeleton is None:
            return format_date(value, "long", locale=self.babel)
        return format_skeleton(skeleton, value, locale=self.babel)

    def month_year(self, value: date) -> str:
        """``October 2026`` / ``Oktober 2026`` / ``octobre 2026``."""
        return self.date(value, "yMMMM")

    def month_name(self, value: date) -> str:
        """``October`` / ``Oktober`` (stand-alone)."""
        from babel.dates import format_date

        return format_date(value, "LLLL", locale=self.babel)

    def day_label(self, value: date) -> str:
        """A short day for chart ticks: ``Oct 1`` / ``1. Okt.`` / ``1 oct.``."""
        return self.date(value, "MMMd")

    def zone_label(self, tz: ZoneInfo | str) -> str:
        """``New York time`` / ``Ortszeit New York`` (the zone's city in the locale's words);
        ``UTC`` for UTC."""
        from babel.dates import get_timezone_location

        key = tz.key if isinstance(tz, ZoneInfo) else str(tz)
        if key in ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu"):
            return "UTC"
        try:
            city = get_timezone_location(key, locale=self.babel, return_city=True)
        except (LookupError, ValueError):
            city = key.rsplit("/", 1)[-1].replace("_", " ")
        return self.gettext("{city} time").format(city=city)


@cache
def _translations(locale: str) -> _gettext.NullTranslations:
    from babel import Locale

    parsed = Locale.parse(locale)
    languages = list(dict.fromkeys([str(parsed), parsed.language]))
    return _gettext.translation(DOMAIN, str(LOCALE_DIR), languages=languages, fallback=True)


@cache
def _language(locale: str, currency: str | None) -> Language:
    return Language(locale, currency)


def language_for(locale: str | Language | None = None, currency: str | None = None) -> Language:
    """A :class:`Language` for ``locale`` (None: the active one); cached per locale/currency."""
    if isinstance(locale, Language):
        return locale
    if locale is None:
        active = current()
        return active if currency is None else _language(active.locale, currency)
    return _language(locale, currency)


# --------------------------------------------------------------------------- the active language

_global: Language = Language()
_context: ContextVar[Language | None] = ContextVar("portal_reports_language", default=None)


def current() -> Language:
    """The active language: the innermost :func:`using`, else the one :func:`activate` set
    (a kernel's customer), else ``en_US`` without a currency."""
    return _context.get() or _global


def activate(language: Language) -> None:
    """Make ``language`` the process-wide default (a report kernel serves one customer)."""
    global _global
    _global = language


@contextlib.contextmanager
def using(language: Language) -> Iterator[Language]:
    """Make ``language`` active inside the block (this thread/task only)."""
    token = _context.set(language)
    try:
        yield language
    finally:
        _context.reset(token)


def _(message: str) -> str:
    """``message`` in the active language."""
    return current().gettext(message)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for the catalogs without translating it now (translated at use)."""
    return message


# --------------------------------------------------------------------------- notebook prose

_BLANK = re.compile(r"(\n[ \t]*\n)")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")


def markdown_messages(source: str) -> list[tuple[str, str]]:
    """The translatable units of a Markdown cell, as ``(block, msgid)`` pairs.

    A unit is a paragraph (msgid: its text with whitespace collapsed) or a heading (msgid:
    its text without the ``#``), as Sphinx's gettext builder cuts documents; code fences,
    HTML and blocks without letters are left alone. The catalogs' extractor and
    :func:`translate_markdown` use this one cut, so their msgids agree.
    """
    out = []
    for block in _BLANK.split(source):
        text = block.strip()
        if not text or _BLANK.fullmatch(block) or text.startswith(("```", "~~~", "<")):
            continue
        if not any(ch.isalpha() for ch in text):
            continue
        heading = _HEADING.match(text) if "\n" not in text else None
        out.append((block, heading.group(2) if heading else " ".join(text.split())))
    return out


def translate_markdown(source: str, language: Language | None = None) -> str:
    """A Markdown cell with each paragraph and heading the catalog translates replaced by its
    translation (headings keep their level); untranslated units stay exactly as written."""
    lang = language or current()
    if not lang.has_catalog:
        return source
    pieces = _BLANK.split(source)
    units = dict(markdown_messages(source))
    for i, block in enumerate(pieces):
        msgid = units.get(block)
        if msgid is None:
            continue
        translated = lang.gettext(msgid)
        if translated == msgid:
            continue
        lead = block[: len(block) - len(block.lstrip())]
        heading = _HEADING.match(block.strip())
        body = (
            f"{heading.group(1)} {translated}"
            if heading and "\n" not in block.strip()
            else translated
        )
        pieces[i] = lead + body
    return "".join(pieces)


def available_catalogs() -> list[str]:
    """The languages with a compiled catalog (``["de"]``)."""
    if not LOCALE_DIR.is_dir():
        return []
    return sorted(
        p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()
    )


def month_label(month: str) -> str:
    """``2026-10`` -> ``October 2026`` (``Oktober 2026``) in the active language."""
    from datetime import date

    year, mon = map(int, month.split("-"))
    return current().month_year(date(year, mon, 1))
