"""Fault injection: a thread-safe FIFO of faults the server serves instead of (or before) answers."""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass
from typing import Any

FAULT_KINDS = ("429", "500", "502", "503", "504", "drop", "truncate", "slow", "garbage", "insert")
STATUS_KINDS = frozenset({"429", "500", "502", "503", "504"})
DEFAULT_PATH = "/api/"


@dataclass
class Fault:
    """One pending fault: ``kind`` on the next ``count`` requests whose path starts with ``path``.

    For "insert", ``count`` is the number of sessions inserted, all before one answer.
    """

    kind: str
    count: int = 1
    path: str = DEFAULT_PATH
    retry_after: int = 1
    delay: float = 2.0


def make_fault(
    kind: str | int,
    count: Any = 1,
    path: Any = DEFAULT_PATH,
    retry_after: Any = 1,
    delay: Any = 2.0,
) -> Fault:
    """A validated :class:`Fault` (ValueError naming the bad field otherwise)."""
    kind = str(kind)
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}, got {kind!r}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be an integer >= 1, got {count!r}")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"path must be a string starting with '/', got {path!r}")
    if isinstance(retry_after, bool) or not isinstance(retry_after, int | float) or retry_after < 0:
        raise ValueError(f"retry_after must be a number >= 0, got {retry_after!r}")
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 300:
        raise ValueError(f"delay must be a number of seconds in 0..300, got {delay!r}")
    # Retry-After is whole seconds on the wire (clients reject fractions): round up.
    return Fault(kind, count, path, math.ceil(retry_after), float(delay))


class Faults:
    """Pending faults of a sandbox; ``served`` counts the answers a fault changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []
        self._served = 0

    def add(
        self,
        kind: str | int,
        count: int = 1,
        path: str = DEFAULT_PATH,
        retry_after: float = 1,
        delay: float = 2.0,
    ) -> Fault:
        """Queue a fault; ``path`` is a prefix of the request path (query string excluded)."""
        fault = make_fault(kind, count, path, retry_after, delay)
        with self._lock:
            self._pending.append(fault)
        return fault

    def clear(self) -> int:
        """Drop every pending fault; return how many there were."""
        with self._lock:
            dropped = len(self._pending)
            self._pending.clear()
        return dropped

    @property
    def served(self) -> int:
        """How many answers a fault has changed so far."""
        with self._lock:
            return self._served

    @property
    def pending(self) -> list[dict[str, Any]]:
        """The queued faults (a copy), oldest first."""
        with self._lock:
            return [asdict(f) for f in self._pending]

    def take(self, path: str, *, insert_ok: bool) -> Fault | None:
        """The fault to serve for a request to ``path`` (consuming one use), or None.

        "insert" faults only fire on the session endpoints (``insert_ok``); others wait.
        """
        with self._lock:
            for fault in self._pending:
                if not path.startswith(fault.path) or (fault.kind == "insert" and not insert_ok):
                    continue
                if fault.kind == "insert":
                    self._pending.remove(fault)
                    served = fault
                else:
                    fault.count -= 1
                    if fault.count == 0:
                        self._pending.remove(fault)
                    served = Fault(fault.kind, 1, fault.path, fault.retry_after, fault.delay)
                self._served += 1
                return served
        return None
