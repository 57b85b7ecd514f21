"""One bot per database: an OS file lock beside DATABASE_PATH, held for the process's lifetime.

Two bots on one database would both poll every account and both drain one outbox. The lock is
`flock(2)` on `<DATABASE_PATH>.lock`: the OS releases it when the process ends in any way,
SIGKILL included, so a lock file left behind by a dead bot is no obstacle and needs no clean-up.
The file is never deleted (a second bot could otherwise lock a new file of the same name while
the first still holds the old one). It holds the holder's process id and host name, for the
message the second bot prints. Only the bot itself takes it: the demo, `healthcheck` and
`backup` do not.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import Final

LOCK_SUFFIX: Final = ".lock"


class LockError(Exception):
    """The lock file beside the database cannot be made or opened."""


class AlreadyRunning(LockError):
    """Another process holds the lock: a bot is already running on this database."""

    def __init__(self, database: Path, pid: int | None, host: str | None) -> None:
        self.pid = pid
        holder = ""
        if pid is not None:
            elsewhere = host is not None and host != socket.gethostname()
            holder = f" (process {pid}{f' on {host}' if elsewhere else ''})"
        super().__init__(
            f"the bot is already running on DATABASE_PATH {database}{holder}; stop it first, "
            "or give this one a DATABASE_PATH of its own"
        )


def lock_path(database: Path) -> Path:
    """Where the lock for this database lives."""
    return database.with_name(database.name + LOCK_SUFFIX)


class InstanceLock:
    """The held lock; `release()` (or the end of the process) lets the next bot start."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, database: Path) -> InstanceLock:
        """Lock `<database>.lock` (making its folder) or raise AlreadyRunning, without waiting."""
        path = lock_path(database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise LockError(f"cannot open the lock file {path}: {err.strerror or err}") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, host = _holder(fd)
            os.close(fd)
            raise AlreadyRunning(database, pid, host) from None
        except OSError as err:
            os.close(fd)
            raise LockError(f"cannot lock {path}: {err.strerror or err}") from err
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
        except OSError:
            pass  # the lock holds all the same; a second bot just cannot name this process
        return cls(fd, path)

    def release(self) -> None:
        """Let go of the lock (closing the file releases it); the file stays."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def _holder(fd: int) -> tuple[int | None, str | None]:
    """The process id and host the lock's holder wrote, where it did."""
    try:
        text = os.pread(fd, 256, 0).decode("utf-8", errors="replace")
    except OSError:
        return None, None
    parts = text.split()
    if not parts or not parts[0].isdigit():
        return None, None
    return int(parts[0]), (parts[1] if len(parts) > 1 else None)
