"""portal-reports: monthly leads, revenue and ASR reports from the Portal API."""

from __future__ import annotations

__version__ = "0.1.0"
