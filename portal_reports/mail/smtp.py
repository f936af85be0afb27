"""SMTP transport: one reusable connection, bounded retries on transient failures, 5XX final."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from .._text import scrub
from ..mail.recipients import (
    addr_spec,
)
from .settings import SmtpSettings

log = logging.getLogger("portal_reports.mail")


# --- SMTP delivery ---------------------------------------------------------------------------


@dataclass
class _Outcome:
    accepted: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    fatal: str | None = None


class _Fatal(Exception):
    """Nothing more can be sent in this batch (login, TLS, server unreachable)."""


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}".strip()


class _Mailer:
    """One reusable SMTP connection with bounded exponential-backoff retries."""

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        attempts: int,
        backoff: float,
        sleep: Callable[[float], Any],
    ) -> None:
        self.settings = settings
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.sleep = sleep
        self._conn: smtplib.SMTP | None = None

    def _redact(self, text: str) -> str:
        return scrub(text, self.settings.password)

    def _connect(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        s = self.settings
        context = ssl.create_default_context()
        if s.security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=context
            )
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if s.user and s.password:
                if s.security == "none" and not _is_loopback(s.host):
                    raise _Fatal(
                        f"refusing to send the SMTP password unencrypted to {s.host}: "
                        "set SMTP_SECURITY=starttls or ssl"
                    )
                try:
                    conn.login(s.user, s.password)
                except smtplib.SMTPAuthenticationError as exc:
                    raise _Fatal(
                        f"SMTP login as {s.user!r} failed: {_reply(exc.smtp_code, exc.smtp_error)}"
                    ) from None
        except BaseException:
            _close(conn)
            raise
        self._conn = conn
        return conn

    def close(self) -> None:
        """Say QUIT (best effort) and forget the connection."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                conn.quit()
            _close(conn)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            _close(conn)

    def deliver(
        self, msg: EmailMessage, rcpts: list[str], on_accepted: Callable[[list[str]], None]
    ) -> _Outcome:
        """Send ``msg`` to ``rcpts``; retry 4XX/connection failures; 5XX is final per recipient."""
        out = _Outcome()
        pending = list(rcpts)
        sender = addr_spec(self.settings.sender)
        last = ""
        connection_trouble = False
        attempt = 0
        for attempt in range(1, self.attempts + 1):
            try:
                conn = self._connect()
                try:
                    bad = conn.send_message(msg, from_addr=sender, to_addrs=pending)
                except smtplib.SMTPRecipientsRefused as exc:
                    bad = exc.recipients
                accepted = [a for a in pending if a not in bad]
                if accepted:
                    out.accepted += accepted
                    on_accepted(accepted)
                pending = []
                for addr, (code, text) in bad.items():
                    if 400 <= code < 500:
                        pending.append(addr)
                        last = _reply(code, text)
                    else:
                        out.refused[addr] = _reply(code, text)
                connection_trouble = False
            except _Fatal as exc:
                out.fatal = self._redact(str(exc))
                break
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                last = self._redact(_describe_os_error(exc, self.settings))
                connection_trouble = True
            except smtplib.SMTPResponseException as exc:
                self._drop()
                last = self._redact(_reply(exc.smtp_code, exc.smtp_error))
                connection_trouble = False
                if not 400 <= exc.smtp_code < 500:
                    out.refused.update(dict.fromkeys(pending, last))
                    pending = []
            except ssl.SSLError as exc:
                self._drop()
                out.fatal = f"TLS with {self.settings.host}:{self.settings.port} failed: {exc}"
                break
            except smtplib.SMTPException as exc:  # e.g. STARTTLS/AUTH not offered by the server
                self._drop()
                out.fatal = self._redact(f"SMTP with {self.settings.host} failed: {exc}")
                break
            except OSError as exc:  # refused, reset, timed out, DNS
                self._drop()
                last = self._redact(_describe_os_error(exc, self.settings))
                connection_trouble = True
            if not pending:
                break
            if attempt < self.attempts:
                delay = min(self.backoff * 2 ** (attempt - 1), 60.0)
                log.warning("retrying in %.1fs (attempt %d): %s", delay, attempt + 1, last)
                self.sleep(delay)
        if pending:
            gave_up = f"gave up after {attempt} attempt(s): {last}"
            out.refused.update(dict.fromkeys(pending, out.fatal or gave_up))
            if connection_trouble and out.fatal is None:
                out.fatal = f"SMTP server unavailable ({last})"
        return out


def _close(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe_os_error(exc: BaseException, s: SmtpSettings) -> str:
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"connection to {s.host}:{s.port} lost: {exc}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection to {s.host}:{s.port} refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"connection to {s.host}:{s.port} timed out after {s.timeout:g}s"
    return f"connection to {s.host}:{s.port} failed: {exc}"
