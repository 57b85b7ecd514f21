"""One bot per database: the lock beside DATABASE_PATH.

Pins down: while the lock is held, the bot's `run()` ends with exit code 2 and one ERROR line
that says the bot is already running on that DATABASE_PATH and names the holder's process id,
before any database is made; a lock file left behind by a bot that died (nobody holds it) is no
obstacle; letting go of the lock lets the next bot take it, and the file stays (deleting it would
let two bots lock two files of one name). The same as processes: tests/test_operations.py.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.app import run
from bot.config import Settings
from bot.lock import AlreadyRunning, InstanceLock, LockError, lock_path


def test_while_a_bot_holds_the_lock_another_run_exits_2_before_making_a_database(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    database = settings.database_path
    caplog.set_level(logging.INFO)

    with InstanceLock.acquire(database):  # another open file: flock refuses it a second holder
        code = run(settings)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert code == 2, caplog.text
    assert [r.getMessage() for r in errors] == [
        f"the bot is already running on DATABASE_PATH {database} (process {os.getpid()}); "
        "stop it first, or give this one a DATABASE_PATH of its own"
    ]
    assert errors[0].exc_info is None
    assert sorted(p.name for p in database.parent.iterdir()) == ["bot.sqlite3.lock"]


def test_a_lock_file_left_behind_by_a_dead_bot_is_no_obstacle(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    lock_path(database).write_text("4194301 some-host\n")  # nobody holds it

    with InstanceLock.acquire(database) as lock:
        assert lock.path.read_text().split()[0] == str(os.getpid())


def test_letting_go_lets_the_next_bot_take_it_and_the_file_stays(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    first = InstanceLock.acquire(database)
    with pytest.raises(AlreadyRunning) as refused:
        InstanceLock.acquire(database)
    assert refused.value.pid == os.getpid()

    first.release()

    with InstanceLock.acquire(database):
        assert lock_path(database).exists()
    assert lock_path(database).exists()


def test_a_lock_whose_holder_wrote_nothing_yet_is_refused_without_a_process_id(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    with InstanceLock.acquire(database) as lock:
        lock.path.write_text("")

        with pytest.raises(AlreadyRunning) as refused:
            InstanceLock.acquire(database)

    assert refused.value.pid is None
    assert "(process" not in str(refused.value)


def test_a_lock_file_that_cannot_be_made_is_a_lock_error(tmp_path: Path) -> None:
    in_the_way = tmp_path / "data"
    in_the_way.write_text("a file where the folder should be\n")

    with pytest.raises(LockError, match="cannot open the lock file"):
        InstanceLock.acquire(in_the_way / "bot.sqlite3")
