"""Number formatting for reports, charts and emails: counts, amounts, money, percentages.

One place, so a figure reads the same in a report, a chart label and an email. Each helper
formats for the active language (:mod:`portal_reports.i18n`: the customer's locale and
currency, activated by ``kit.setup`` in a report kernel): ``1,234`` / ``1.234`` / ``1 234``.
"""

from __future__ import annotations

from ..i18n import current


def fmt_int(value: float | None) -> str:
    """``1234`` -> ``"1,234"`` (``1.234`` in de_DE); None/NaN -> ``"–"``."""
    return current().integer(value)


def fmt_amount(value: float | None, decimals: int = 2) -> str:
    """``1234.5`` -> ``"1,234.50"`` (ASR amounts and other plain quantities)."""
    return current().decimal(value, decimals)


def fmt_money(value: float | None, decimals: int = 2) -> str:
    """Money in the customer's currency: ``$12,345.50``, ``12.345,50 €``; a plain amount
    (``12,345.50``) when no currency is configured."""
    return current().money(value, decimals)


def fmt_pct(value: float | None, decimals: int = 1) -> str:
    """A ratio as a percentage: ``0.1234`` -> ``"12.3%"`` (``12,3 %`` in de_DE); None -> n/a."""
    return current().percent(value, decimals)


def fmt_signed_pct(value: float, decimals: int = 1) -> str:
    """A change as a signed percentage with a real minus sign: ``+4.2%``, ``−3.1%``."""
    return current().signed_percent(value, decimals)


def fmt_date(value, skeleton: str | None = None) -> str:  # noqa: ANN001 - date or datetime
    """A date in the locale's words (``November 25, 2026`` / ``25. November 2026``)."""
    return current().date(value, skeleton)
