"""SMTP settings from the environment (or ``.env``), validated once; the password never shows."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..mail.recipients import (
    validate_address,
)
from ..settings import load_dotenv_file

log = logging.getLogger(__name__)

DEFAULT_SENDER = "reports@localhost"
SECURITY_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


# --- SMTP settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send mail. The password is kept out of ``repr`` and ``str``."""

    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none | starttls | ssl
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    sender: str = DEFAULT_SENDER

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, require_sender: bool = True
    ) -> SmtpSettings:
        """Read ``SMTP_*`` and ``MAIL_FROM`` (environment, then ``.env``); validate them."""
        if environ is None:
            load_dotenv_file()
            environ = os.environ
        env = {k: v.strip() for k, v in environ.items() if k.startswith(("SMTP_", "MAIL_"))}
        security = (env.get("SMTP_SECURITY") or "none").lower()
        if security not in SECURITY_PORTS:
            raise ConfigError(f"SMTP_SECURITY must be none, starttls or ssl, got {security!r}")
        port = _env_port(env, SECURITY_PORTS[security])
        timeout = _env_seconds(env, "SMTP_TIMEOUT", 30.0)
        user = env.get("SMTP_USER") or None
        password = environ.get("SMTP_PASSWORD") or None
        if bool(user) != bool(password):
            raise ConfigError("SMTP_USER and SMTP_PASSWORD must be set together (or neither)")
        sender = env.get("MAIL_FROM") or ""
        if not sender:
            if require_sender:
                raise ConfigError(
                    "MAIL_FROM is not set: it is required to send "
                    "(e.g. MAIL_FROM='Reports <reports@agency.example>')"
                )
            sender = DEFAULT_SENDER
        sender = validate_address(sender, "MAIL_FROM")
        return cls(
            env.get("SMTP_HOST") or "localhost", port, security, user, password, timeout, sender
        )

    def __str__(self) -> str:
        who = f" as {self.user}" if self.user else ""
        return f"smtp://{self.host}:{self.port} ({self.security}){who}"


def _env_port(env: Mapping[str, str], default: int) -> int:
    """``SMTP_PORT``: a whole number 1..65535."""
    raw = env.get("SMTP_PORT")
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"SMTP_PORT must be a port number from 1 to 65535, got {raw!r}")
    return int(raw)


def _env_seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """Seconds: a finite number above 0 and at most an hour."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or not 0 < value <= 3600:
        raise ConfigError(f"{name} must be more than 0 and at most 3600 seconds, got {raw!r}")
    return value
