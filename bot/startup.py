"""What starting the bot checks and claims before python-telegram-bot is even imported.

The ports it listens on, DATABASE_PATH, the key file beside it and the one-bot-per-database
lock: each of these can stop a start with one line and exit code 2, and does so before
anything is made and before the heavy libraries are loaded, so a second bot or a bad path is
refused in a fraction of a second. `bot.app.run` goes on from what is claimed here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.crypto import KeyFileError, check_key_file
from bot.exits import ExitStatus
from bot.listeners import ListenError, Listeners, open_listeners
from bot.lock import AlreadyRunning, InstanceLock, LockError
from bot.store import StoreError, check_database_path

log = logging.getLogger(__name__)


@dataclass
class Claimed:
    """The bound listening sockets and the held lock, for `bot.app.run`."""

    listeners: Listeners
    lock: InstanceLock


def claim_database(settings: Settings) -> InstanceLock:
    """Check DATABASE_PATH and the key file, then take the one-bot-per-database lock beside them.

    The checks come first, so that an unusable path leaves no lock file (or folder) behind;
    the lock comes before the database is created or migrated.
    """
    check_database_path(settings.database_path)
    if not settings.encryption_keys():
        check_key_file(settings.database_path.parent)
    return InstanceLock.acquire(settings.database_path)


def file_problem(settings: Settings, err: Exception) -> int | None:
    """Log a problem with DATABASE_PATH or the key file in one line; its exit status, or None
    when `err` is no such problem."""
    if isinstance(err, AlreadyRunning):
        log.error("%s", err)
    elif isinstance(err, LockError | StoreError):
        log.error("cannot use DATABASE_PATH %s: %s", settings.database_path, err)
    elif isinstance(err, KeyFileError):
        log.error(
            "ENCRYPTION_KEY is not set and the key file beside DATABASE_PATH cannot be used: %s",
            err,
        )
    else:
        return None
    return ExitStatus.CANNOT_WORK


def claim(settings: Settings) -> Claimed | int:
    """Bind the ports, check the files and take the lock; or log why not and return exit 2."""
    try:
        listeners = open_listeners(settings)  # before anything is made: a port in use stops it
    except ListenError as err:
        log.error("%s", err)
        return ExitStatus.CANNOT_WORK
    try:
        return Claimed(listeners, claim_database(settings))
    except (LockError, StoreError, KeyFileError) as err:
        listeners.close()
        status = file_problem(settings, err)
        assert status is not None  # noqa: S101  (every kind caught is one)
        return status
