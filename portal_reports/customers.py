"""Which customers "every customer" means: the sandbox's demo customers, or customers.toml."""

from __future__ import annotations

import os

from .errors import ConfigError
from .mail.recipients import load_recipients
from .settings import resolve_settings


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
    ids = list(load_recipients(config))
    if not ids:
        raise ConfigError(f"no customers configured in {config} (name customers with --customer)")
    return ids
