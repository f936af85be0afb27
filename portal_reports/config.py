"""Where the Portal is and how to authenticate: arguments, then the environment, then ``.env``.

With neither ``PORTAL_BASE_URL`` nor ``PORTAL_SECRET`` configured, the embedded sandbox is
used (started in the background on a free loopback port), so everything runs out of the box.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

ENV_BASE_URL = "PORTAL_BASE_URL"
ENV_SECRET = "PORTAL_SECRET"
ENV_CUSTOMER = "PORTAL_CUSTOMER_ID"


def load_dotenv_file(path: str | os.PathLike[str] | None = None) -> None:
    """Read ``.env`` (current directory or ``path``) into ``os.environ`` without overriding."""
    from dotenv import load_dotenv

    target = Path(path) if path else Path.cwd() / ".env"
    if target.is_file():
        load_dotenv(target, override=False)


@dataclass(frozen=True)
class Settings:
    """Resolved connection settings. The secret is kept out of ``repr``."""

    base_url: str
    secret: str = field(repr=False)
    customer_id: str | None = None
    sandbox: bool = False

    def __str__(self) -> str:
        who = f" customer={self.customer_id}" if self.customer_id else ""
        return f"Portal {self.base_url}{who}{' (sandbox)' if self.sandbox else ''}"


def resolve_settings(
    base_url: str | None = None,
    secret: str | None = None,
    customer_id: str | None = None,
    *,
    use_sandbox: bool | None = None,
) -> Settings:
    """Resolve settings from arguments, then environment/``.env``, else the embedded sandbox."""
    load_dotenv_file()
    base_url = base_url or os.environ.get(ENV_BASE_URL) or None
    secret = secret or os.environ.get(ENV_SECRET) or None
    if customer_id is None:
        customer_id = os.environ.get(ENV_CUSTOMER) or None
    if use_sandbox or (use_sandbox is None and base_url is None and secret is None):
        from .sandbox import default_sandbox

        sb = default_sandbox()
        return Settings(sb.url, sb.secret, customer_id, sandbox=True)
    if not base_url:
        raise ConfigError(f"{ENV_BASE_URL} is not set (it is required when {ENV_SECRET} is set)")
    if not secret:
        raise ConfigError(f"{ENV_SECRET} is not set (it is required when {ENV_BASE_URL} is set)")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"{ENV_BASE_URL} must start with http:// or https://, got {base_url!r}")
    return Settings(base_url.rstrip("/"), secret, customer_id)
