"""The send log (``reports/<month>/sent.jsonl``) and the per-month batch lock."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import MailError

SEND_LOG = "sent.jsonl"


# --- send log --------------------------------------------------------------------------------


class SendLog:
    """``reports/<month>/sent.jsonl``: one JSON line per accepted delivery, fsynced on append."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def entries(self) -> list[dict[str, Any]]:
        """Every readable entry (a torn last line from a crash is ignored)."""
        if not self.path.is_file():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict):
                    out.append(entry)
        return out

    def sent(self, customer: str, month: str) -> list[dict]:
        """Entries for this customer-month, whatever PDFs they carried."""
        return [
            e for e in self.entries() if e.get("customer") == customer and e.get("month") == month
        ]

    @staticmethod
    def same_pdfs(entry: Mapping[str, Any], pdf_hashes: Mapping[str, str]) -> bool:
        """Whether an entry's attachments had exactly these sha256s."""
        return {a.get("file"): a.get("sha256") for a in entry.get("attachments", [])} == dict(
            pdf_hashes
        )

    def record(self, entry: Mapping[str, Any]) -> None:
        """Append one entry durably."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())


@contextlib.contextmanager
def _batch_lock(month_dir: Path) -> Iterator[None]:
    """Refuse to run two email batches for the same month at once."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    month_dir.mkdir(parents=True, exist_ok=True)
    with (month_dir / ".email.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise MailError(f"another email run for {month_dir.name} is in progress") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
