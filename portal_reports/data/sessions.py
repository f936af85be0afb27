"""A month's sessions as a typed frame and as the Parquet file that carries it.

The runner writes the sessions as ``sessions.parquet`` beside ``data.json``, which names the
file, its row count, columns, sha256 and the problems found in the Portal's values. A kernel
reads only the columns a report asks for (:meth:`MonthSessions.frame` with ``columns``), so a
month of 500k sessions costs a report a few columns, not the whole JSON of every session.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._io import atomic_write, sha256_file
from ..errors import ConfigError

SESSIONS_FILE = "sessions.parquet"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _parquet(frame: pd.DataFrame) -> bytes:
    """The frame as Parquet bytes: the same frame always gives the same bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


@dataclass(repr=False)
class MonthSessions:
    """The sessions of one customer-month: in memory after a fetch, or a Parquet file read
    column by column when a report asks for them."""

    rows: int
    columns: tuple[str, ...]
    sha256: str  # of the Parquet bytes
    problems: list[str] = field(default_factory=list)
    path: Path | None = None  # the file, when read from disk
    _frame: pd.DataFrame | None = None
    _parquet: bytes | None = None

    def __repr__(self) -> str:
        where = f", path={str(self.path)!r}" if self.path else ""
        return f"MonthSessions(rows={self.rows}, columns={len(self.columns)}{where})"

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> MonthSessions:
        """Sessions as :func:`~portal_reports.data.frames.sessions_frame` built them
        (problems from ``frame.attrs``)."""
        problems = list(frame.attrs.get("problems", []))
        plain = frame.copy(deep=False)
        plain.attrs = {}
        data = _parquet(plain)
        return cls(
            rows=len(frame),
            columns=tuple(str(c) for c in frame.columns),
            sha256=hashlib.sha256(data).hexdigest(),
            problems=problems,
            _frame=plain,
            _parquet=data,
        )

    @classmethod
    def open(cls, folder: str | os.PathLike[str], entry: Any) -> MonthSessions:
        """The sessions ``data.json``'s ``sessions`` entry describes, in ``folder``; the
        file is checked against the sha256 recorded there (a :class:`ConfigError` if not)."""
        if not isinstance(entry, dict):
            raise ConfigError("month data: 'sessions' is neither a list nor a file entry")
        name, rows, columns = entry.get("file"), entry.get("rows"), entry.get("columns")
        sha256, problems = entry.get("sha256"), entry.get("problems", [])
        if name != SESSIONS_FILE:  # one fixed name: a hand-edited entry points nowhere else
            raise ConfigError(f"month data: sessions file must be {SESSIONS_FILE!r}, not {name!r}")
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            raise ConfigError(f"month data: sessions 'rows' is not a count ({rows!r})")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise ConfigError("month data: sessions 'columns' is not a list of names")
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ConfigError("month data: sessions 'sha256' is not a SHA-256 hex digest")
        if not isinstance(problems, list) or not all(isinstance(p, str) for p in problems):
            raise ConfigError("month data: sessions 'problems' is not a list of lines")
        path = Path(folder) / SESSIONS_FILE
        try:
            actual = sha256_file(path)
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
        if actual != sha256:
            raise ConfigError(f"{path} is not the file data.json names (its sha256 differs)")
        return cls(rows, tuple(columns), sha256, list(problems), path=path)

    def entry(self) -> dict[str, Any]:
        """What ``data.json`` records of the sessions (hashed with the rest of it)."""
        return {
            "file": SESSIONS_FILE,
            "rows": self.rows,
            "columns": list(self.columns),
            "sha256": self.sha256,
            "problems": list(self.problems),
        }

    def parquet_bytes(self) -> bytes:
        """The Parquet file's bytes (what a report job carries to its worker)."""
        if self._parquet is None:
            assert self.path is not None
            self._parquet = self.path.read_bytes()
        return self._parquet

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``sessions.parquet`` into ``folder`` atomically."""
        return atomic_write(Path(folder) / SESSIONS_FILE, self.parquet_bytes())

    def frame(self, columns: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
        """The sessions, all columns or only ``columns`` (those the month has: a report asks
        for ``arg_is_lead`` whether or not any session carries it). Only the columns asked
        for are read from the file; the whole frame, once read, is kept."""
        wanted = (
            list(self.columns) if columns is None else [c for c in columns if c in self.columns]
        )
        if self._frame is not None:
            return self._frame[wanted] if columns is not None else self._frame
        try:
            source = self.path if self._parquet is None else io.BytesIO(self._parquet)
            frame = pd.read_parquet(source, columns=wanted, engine="pyarrow")
        except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError
            raise ConfigError(f"cannot read {self.path}: {exc}") from None
        if len(frame) != self.rows or list(frame.columns) != wanted:
            raise ConfigError(f"{self.path} does not hold the sessions data.json describes")
        if columns is None:
            self._frame = frame
        return frame
