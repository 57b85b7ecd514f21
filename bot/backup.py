"""`python -m bot backup FILE`: a consistent, checked copy of the database, while the bot runs.

The copy is made by SQLite's online backup API (`bot.store.copy_database`), not by copying the
file, whose last writes may still sit in the `-wal` side file. It is written to a hidden file in
the target's folder, checked, flushed to disk and only then given its name: whatever goes wrong,
no half-written backup is left behind and an existing file is never touched. It does not take
the bot's lock (see `bot.lock`): backing up is meant for a bot that is running.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from bot.config import Settings
from bot.crypto import KEY_FILE_NAME
from bot.exits import ExitStatus
from bot.store import SQLITE_HEADER, StoreError, copy_database

#: The side files SQLite may make beside a database while it is open.
_SIDE_FILES = ("-journal", "-wal", "-shm")


class Refused(Exception):
    """The backup cannot be made as asked; the message reads after "cannot back up …: "."""


def backup(settings: Settings, target: Path) -> int:
    """Copy DATABASE_PATH to `target` (a new file); say how big it is and where, in one line."""
    source = settings.database_path
    try:
        _check_source(source)
    except Refused as err:
        print(f"cannot back up DATABASE_PATH {source}: {err}", file=sys.stderr)
        return ExitStatus.CANNOT_WORK
    try:
        _check_target(target)
        partial = _new_partial_file(target)
    except Refused as err:
        print(f"cannot back up to {target}: {err}", file=sys.stderr)
        return ExitStatus.CANNOT_WORK
    try:
        copy_database(source, partial)
        _flush(partial)
        _give_name(partial, target)
    except Refused as err:
        print(f"cannot back up to {target}: {err}", file=sys.stderr)
        return ExitStatus.CANNOT_WORK
    except (StoreError, OSError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else err
        print(f"backup of {source} to {target} failed: {reason}", file=sys.stderr)
        return ExitStatus.FAILED
    finally:
        for path in (partial, *(Path(f"{partial}{side}") for side in _SIDE_FILES)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    keys = "ENCRYPTION_KEY" if settings.encryption_keys() else str(source.parent / KEY_FILE_NAME)
    print(
        f"backed up {source} to {os.path.abspath(target)}: {_size(target.stat().st_size)}, "
        f"integrity ok; keep {keys} with it"
    )
    return ExitStatus.OK


def _check_source(source: Path) -> None:
    """The database must exist and be one; this command never makes one."""
    if source.is_dir():
        raise Refused("it is a folder, not the bot's database")
    if not source.exists():
        raise Refused("there is no database there (has the bot run with this DATABASE_PATH?)")
    try:
        with source.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as err:
        raise Refused(f"cannot read it: {err.strerror or err}") from err
    if header != SQLITE_HEADER:
        raise Refused("it is not a database (an SQLite file)")


def _check_target(target: Path) -> None:
    """A new file in an existing folder: never overwrite, never guess a name."""
    if target.is_dir():
        raise Refused(f"it is a folder; give a file name, such as {target / 'bot-backup.sqlite3'}")
    if target.exists() or target.is_symlink():
        raise Refused("it already exists and was left as it is; give a new file name")
    folder = target.parent
    if not folder.exists():
        raise Refused(f"the folder {folder} does not exist")
    if not folder.is_dir():
        raise Refused(f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise Refused(f"no permission to write in the folder {folder}")


def _new_partial_file(target: Path) -> Path:
    """An empty hidden file beside the target, to build the backup in."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as err:
        raise Refused(f"cannot write in the folder {target.parent}: {err.strerror}") from err
    os.close(fd)
    return Path(name)


def _flush(path: Path) -> None:
    """Make the finished copy durable before it gets its name."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _give_name(partial: Path, target: Path) -> None:
    """Name the copy `target`, unless a file of that name appeared meanwhile."""
    try:
        os.link(partial, target)  # unlike rename, refuses to replace an existing file
    except FileExistsError:
        raise Refused("it already exists and was left as it is; give a new file name") from None
    except OSError:
        # A file system without hard links: a rename, after one more look.
        if target.exists():
            raise Refused("it already exists and was left as it is; give a new file name") from None
        partial.rename(target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)  # the new name, too, survives a power cut
    finally:
        os.close(fd)


def _size(size: int) -> str:
    """`245,760 bytes (0.2 MB)`: exact, and readable at a glance."""
    return f"{size:,} bytes ({size / 1_000_000:.1f} MB)"
