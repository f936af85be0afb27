"""Small text helpers used everywhere: one comma-list parser, one secret scrubber, one-liners."""

from __future__ import annotations

from collections.abc import Iterable

REDACTED = "***"


def split_list(values: str | Iterable[str] | None) -> list[str]:
    """``"a, b"`` or ``["a,b", "c"]`` -> ``["a", "b", "c"]``: blanks dropped, order kept."""
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` with every secret (of 4 characters or more) replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def one_line(text: object) -> str:
    """Any text as one line (runs of whitespace, newlines included, become one space)."""
    return " ".join(str(text).split())


def printable(text: object) -> str:
    """Foreign text made safe for a terminal: one line, and every other non-printable
    character (escape sequences, C1 controls) shown as ``\\xNN``/``\\uNNNN``."""
    line = one_line(text)
    if line.isprintable():
        return line
    return "".join(
        ch if ch.isprintable() else (f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
        for ch in line
    )
