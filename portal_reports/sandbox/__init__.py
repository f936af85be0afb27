"""Sandbox Portal: the API spec served over real HTTP from a deterministic synthetic dataset.

    with Sandbox(seed=7, end_month="2026-10") as sb:
        requests.get(sb.url + "/api/v1/bff/sessions/info", ...)

Modules: ``model`` (customers, connectors, derived columns), ``generate`` (the dataset),
``schema`` (SQLite), ``params`` (request validation), ``queries`` (SQL per endpoint),
``attributes`` (demo attributes, PUT validation), ``faults`` (fault injection), ``server``.
"""

from __future__ import annotations

from .faults import FAULT_KINDS, Faults
from .model import DEFAULT_SECRET, DEFAULT_SEED, DEMO_CUSTOMERS, derive_columns
from .server import RequestRecord, Sandbox, default_sandbox, sandbox_settings_from_env

__all__ = [
    "DEFAULT_SECRET",
    "DEFAULT_SEED",
    "DEMO_CUSTOMERS",
    "FAULT_KINDS",
    "Faults",
    "RequestRecord",
    "Sandbox",
    "default_sandbox",
    "derive_columns",
    "sandbox_settings_from_env",
]
