"""Number formatting for reports and emails: counts, amounts, money, percentages.

One place, so a figure reads the same in a report, a chart label and an email.
"""

from __future__ import annotations

import math
import os

ENV_CURRENCY = "PORTAL_CURRENCY"


def currency_symbol() -> str:
    """Currency symbol prefixed to money (env ``PORTAL_CURRENCY``, default none)."""
    return os.environ.get(ENV_CURRENCY, "").strip()


def fmt_int(value: float | None) -> str:
    """``1234`` -> ``"1,234"``; None/NaN -> ``"–"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{round(value):,}"


def fmt_amount(value: float | None, decimals: int = 2) -> str:
    """``1234.5`` -> ``"1,234.50"`` (ASR amounts and other plain quantities)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{decimals}f}"


def fmt_money(value: float | None, decimals: int = 2) -> str:
    """``12345.5`` -> ``"12,345.50"``, prefixed with ``PORTAL_CURRENCY`` when set."""
    text = fmt_amount(value, decimals)
    symbol = currency_symbol()
    if text == "–" or not symbol:
        return text
    return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"


def fmt_pct(value: float | None, decimals: int = 1) -> str:
    """A ratio as a percentage: ``0.1234`` -> ``"12.3%"``; None -> ``"n/a"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value * 100:.{decimals}f}%"
