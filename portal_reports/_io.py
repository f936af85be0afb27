"""Files and folders: atomic writes (a crash never leaves a truncated file under its final
name), stale temporary files of dead processes, writable-folder checks, folder locks."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_IN_FLIGHT: set[Path] = set()  # temporary files of atomic writes not yet moved into place
_IN_FLIGHT_LOCK = threading.Lock()


def discard_unfinished_writes() -> None:
    """Remove the temporary files of atomic writes still under way in other threads: called
    just before the process exits without waiting for them (an interrupted batch)."""
    with _IN_FLIGHT_LOCK:
        paths = list(_IN_FLIGHT)
    for tmp in paths:
        with contextlib.suppress(OSError):
            tmp.unlink()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is moved into place, else removed."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{final.name}.{os.getpid()}.", suffix=".tmp", dir=final.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.add(tmp_path)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; final files get the usual mode
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, final)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    finally:
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT.discard(tmp_path)


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically and return the path."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return Path(path)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- folders and locks

_STALE_TMP = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running (on this machine). A zombie, one that has
    exited but was not reaped yet (a killed run's workers, until init collects them), is not."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):  # no /proc (not Linux), or it exited just now
        return True


def remove_stale_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete hidden temporary files of :func:`atomic_path` left by processes that died."""
    removed = []
    root = Path(folder)
    if not root.is_dir():
        return removed
    for path in root.iterdir():
        found = _STALE_TMP.match(path.name)
        if found and path.is_file() and not pid_alive(int(found.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def remove_stale_temp_dirs(prefix: str) -> list[Path]:
    """Delete ``<tmp>/<prefix><pid>-*`` folders whose process has died (killed before it
    could clean up: a worker's job folder holds a customer's month data)."""
    import shutil

    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)-")
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        found = pattern.match(path.name)
        if found and path.is_dir() and not pid_alive(int(found.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def check_writable_dir(path: str | os.PathLike[str], what: str = "output folder") -> Path:
    """Check that ``path`` is, or can be created as, a folder we may write in (nothing is
    created); a one-line :class:`ConfigError` otherwise."""
    from .errors import ConfigError

    target = Path(path).absolute()
    if target.exists() and not target.is_dir():
        raise ConfigError(f"cannot use {str(path)!r} as the {what}: it is not a folder")
    parent = target
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(
            f"cannot use {str(path)!r} as the {what}: {str(parent)!r} is not a folder"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(
            f"cannot use {str(path)!r} as the {what}: no permission to write in {str(parent)!r}"
        )
    return target


class FolderLock:
    """An exclusive lock on a folder (``.lock`` inside it) that names its holder.

    Held with ``fcntl.flock``, so it is released when the holder dies, whatever the reason.
    """

    def __init__(self, folder: str | os.PathLike[str], purpose: str) -> None:
        self.folder = Path(folder)
        self.purpose = purpose
        self._fh: Any = None

    @property
    def path(self) -> Path:
        return self.folder / ".lock"

    def acquire(self) -> FolderLock:
        """Take the lock, or raise a one-line :class:`ConfigError` naming its holder."""
        import fcntl
        import json
        from datetime import UTC, datetime

        from .errors import ConfigError

        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.seek(0)
                holder = fh.read().strip()
                fh.close()
                try:
                    info = json.loads(holder)
                    who = f"pid {info.get('pid')} since {info.get('since')} ({info.get('purpose')})"
                except ValueError:
                    who = "another process"
                raise ConfigError(
                    f"{self.folder} is locked by {who}: wait for it to finish"
                ) from None
            try:  # the holder before us removes the file on release: lock the file in place
                same = os.fstat(fh.fileno()).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            fh.close()
        fh.seek(0)
        fh.truncate()
        since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        fh.write(json.dumps({"pid": os.getpid(), "since": since, "purpose": self.purpose}))
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        """Remove the lock file and let go (nothing is left behind in the folder)."""
        if self._fh is not None:
            import fcntl

            with contextlib.suppress(OSError):
                self.path.unlink()
                fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
