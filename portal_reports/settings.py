"""Where the Portal is and how to authenticate: arguments, then the environment, then ``.env``.

With neither ``PORTAL_BASE_URL`` nor ``PORTAL_SECRET`` configured, the embedded sandbox is
used (started in the background on a free loopback port), so everything runs out of the box.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from .errors import ConfigError

ENV_BASE_URL = "PORTAL_BASE_URL"
ENV_SECRET = "PORTAL_SECRET"
ENV_CUSTOMER = "PORTAL_CUSTOMER_ID"
ENV_REQUEST_DEADLINE = "PORTAL_REQUEST_DEADLINE"
ENV_FETCH_BUDGET = "PORTAL_FETCH_BUDGET"
DEFAULT_REQUEST_DEADLINE = 60.0  # seconds for one API call: connect, every read, retries, waits
DEFAULT_FETCH_BUDGET = 900.0  # seconds for a whole fetch (a month's sessions, statistics, ...)
MAX_SECONDS = 86400.0

Auth = tuple[str, str]


def split_url_credentials(url: str) -> tuple[str, Auth | None]:
    """``https://user:pass@host/x`` -> (``https://host/x``, ("user", "pass")).

    The credentials are sent as HTTP Basic auth; only the clean URL is ever recorded
    (data.json, manifests, HTML/PDF/notebook metadata, logs, messages).
    """
    try:
        parts = urlsplit(url)
        username, password = parts.username, parts.password
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # a bad port or bracket: refuse without echoing what may be a password
        raise ConfigError(
            f"{ENV_BASE_URL} is not a valid URL (check the host and port; it is not shown "
            "because it may hold a password)"
        ) from None
    if "@" not in parts.netloc:
        return url, None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host + (f":{port}" if port is not None else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, (unquote(username or ""), unquote(password or ""))


def redact_url(url: str) -> str:
    """``url`` without any ``user:password@`` part (for anything recorded or shown)."""
    try:
        return split_url_credentials(url)[0]
    except ConfigError:
        return "(invalid URL)"


def env_seconds(name: str, default: float, value: float | str | None = None) -> float:
    """Seconds from ``value``, else the environment variable ``name``, else ``default``:
    finite, above 0 and at most a day, or a :class:`ConfigError` naming the variable."""
    if value is not None:
        name, raw = name.removeprefix("PORTAL_").lower(), value  # given as an argument
    else:
        raw = (os.environ.get(name) or "").strip() or None
    if raw is None:
        return float(default)
    if isinstance(raw, bool):
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}")
    try:
        seconds = float(raw)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_SECONDS:
        raise ConfigError(
            f"{name} must be more than 0 and at most {MAX_SECONDS:g} seconds, got {raw!r}"
        )
    return seconds


def find_dotenv_file(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest ``.env`` in ``start`` (default: the working directory) or a folder above it,
    as python-dotenv's ``find_dotenv`` looks: a notebook in ``project/notebooks/`` finds
    ``project/.env``."""
    here = Path(start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        candidate = folder / ".env"
        if candidate.is_file():
            return candidate
    return None


def load_dotenv_file(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Read ``.env`` (``path``, else the nearest one from the working directory upwards) into
    ``os.environ`` without overriding what is set; returns the file read, if any."""
    from dotenv import load_dotenv

    target = Path(path) if path else find_dotenv_file()
    if target is None or not target.is_file():
        return None
    try:
        load_dotenv(target, override=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{target}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{target}: cannot read: {exc.strerror or exc}") from None
    return target


@dataclass(frozen=True)
class Settings:
    """Resolved connection settings. The secret and any URL credentials (``auth``, sent as
    HTTP Basic auth; never part of ``base_url``) are kept out of ``repr``."""

    base_url: str | None
    secret: str | None = field(repr=False)
    customer_id: str | None = None
    sandbox: bool = False
    auth: Auth | None = field(default=None, repr=False)

    @property
    def data_source(self) -> str:
        """``"sandbox"`` (built-in demo data) or ``"portal"``: recorded in manifests."""
        return "sandbox" if self.sandbox else "portal"

    def __str__(self) -> str:
        who = f" customer={self.customer_id}" if self.customer_id else ""
        where = self.base_url or "(embedded, not started)"
        return f"Portal {where}{who}{' (sandbox)' if self.sandbox else ''}"


def resolve_settings(
    base_url: str | None = None,
    secret: str | None = None,
    customer_id: str | None = None,
    *,
    use_sandbox: bool | None = None,
) -> Settings:
    """Resolve settings from arguments, then environment/``.env``, else the embedded sandbox.

    Pure: nothing is started. A sandbox result has no URL yet; :func:`connect` starts it.
    """
    load_dotenv_file()
    base_url = base_url or os.environ.get(ENV_BASE_URL) or None
    secret = secret or os.environ.get(ENV_SECRET) or None
    if customer_id is None:
        customer_id = os.environ.get(ENV_CUSTOMER) or None
    if use_sandbox or (use_sandbox is None and base_url is None and secret is None):
        return Settings(None, None, customer_id, sandbox=True)
    if not base_url:
        raise ConfigError(f"{ENV_BASE_URL} is not set (it is required when {ENV_SECRET} is set)")
    if not secret:
        raise ConfigError(f"{ENV_SECRET} is not set (it is required when {ENV_BASE_URL} is set)")
    base_url, auth = split_url_credentials(base_url)
    if not base_url.startswith(("http://", "https://")):
        shown = "***@" + base_url.rsplit("@", 1)[1] if "@" in base_url else base_url
        if secret in shown:  # the secret pasted into the wrong variable
            shown = "(not shown: it holds the secret)"
        raise ConfigError(f"{ENV_BASE_URL} must start with http:// or https://, got {shown!r}")
    return Settings(base_url.rstrip("/"), secret, customer_id, auth=auth)


def connect(settings: Settings) -> Settings:
    """Settings with an address: starts the embedded sandbox when ``settings`` asks for it.

    Called at the edges (client construction, CLI, notebook setup), never while resolving.
    """
    if settings.base_url is not None and settings.secret is not None:
        return settings
    from .sandbox import default_sandbox

    sb = default_sandbox()
    return Settings(sb.url, sb.secret, settings.customer_id, sandbox=True)
