"""A database or key file the bot cannot use stops it with one line, exit code 2, nothing touched.

Pins down: a DATABASE_PATH that is not a database, names a folder or a device, whose folder
cannot be created or written in, or whose generated key file beside it is damaged or unreadable
ends `run()` with exit code 2 and exactly one ERROR line that names the setting (DATABASE_PATH,
or ENCRYPTION_KEY for the key file) and the problem in our words, without a traceback; every
file is checked before any is made, so an existing file is left byte for byte as it was, no key
file is made beside a file that is not a database, and no database beside a damaged key file.
As a process, such a start ends at once instead of hanging on the database connection's thread.
And a Telegram that refuses the bot's command menus ends the start with exit code 1 and one
ERROR line that calls it Telegram's error, not a network failure, without a traceback.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.app import run
from bot.config import Settings
from bot.crypto import KEY_FILE_NAME
from bot.exits import ExitStatus
from tests.fake_telegram import FakeBotAPI
from tests.processes import bot_environment, run_bot_command

NOT_A_DATABASE = b"These are my notes, not a database.\n" * 200


def failed_start(settings: Settings, caplog: pytest.LogCaptureFixture) -> str:
    """Run the bot, expect exit code 2, and return its one ERROR line."""
    caplog.set_level(logging.INFO)

    code = run(settings)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert code == 2, caplog.text
    assert len(errors) == 1, caplog.text
    assert errors[0].exc_info is None, caplog.text  # no traceback
    line = errors[0].getMessage()
    assert "\n" not in line
    return line


@pytest.mark.parametrize("with_key", [True, False], ids=["ENCRYPTION_KEY set", "key file"])
def test_a_file_that_is_not_a_database_is_refused_and_left_untouched(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture, with_key: bool
) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    database.parent.mkdir()
    database.write_bytes(NOT_A_DATABASE)
    if not with_key:
        settings = settings.model_copy(update={"encryption_key": None})

    line = failed_start(settings.model_copy(update={"database_path": database}), caplog)

    assert "DATABASE_PATH" in line
    assert str(database) in line
    assert "not a database" in line
    assert database.read_bytes() == NOT_A_DATABASE
    assert [p.name for p in database.parent.iterdir()] == ["bot.sqlite3"]  # no key file either


@pytest.mark.parametrize("with_key", [True, False], ids=["ENCRYPTION_KEY set", "key file"])
def test_a_database_folder_that_cannot_be_created_is_named_in_one_line(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture, with_key: bool
) -> None:
    in_the_way = tmp_path / "data"
    in_the_way.write_text("a file where the folder should be\n")
    if not with_key:
        settings = settings.model_copy(update={"encryption_key": None})
    database = in_the_way / "bot.sqlite3"

    line = failed_start(settings.model_copy(update={"database_path": database}), caplog)

    assert "DATABASE_PATH" in line
    assert str(in_the_way) in line
    assert in_the_way.read_text() == "a file where the folder should be\n"


def test_a_damaged_key_file_is_named_and_left_alone(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings.model_copy(update={"encryption_key": None})
    key_file = settings.database_path.parent / KEY_FILE_NAME
    key_file.parent.mkdir(parents=True)
    key_file.write_text("not a key\n")

    line = failed_start(settings, caplog)

    assert "ENCRYPTION_KEY" in line
    assert str(key_file) in line
    assert "does not hold a valid key" in line
    assert key_file.read_text() == "not a key\n"
    assert [p.name for p in key_file.parent.iterdir()] == [KEY_FILE_NAME]  # no new database


def test_a_database_path_naming_a_folder_says_so_in_our_words(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()

    line = failed_start(settings.model_copy(update={"database_path": folder}), caplog)

    assert line == (
        f"cannot use DATABASE_PATH {folder}: it is a folder; give a file path, such as "
        f"{folder / 'bot.sqlite3'}"
    )
    assert list(folder.iterdir()) == []


def test_a_database_path_naming_a_device_says_so_in_our_words(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    line = failed_start(settings.model_copy(update={"database_path": Path("/dev/null")}), caplog)

    assert line == (
        "cannot use DATABASE_PATH /dev/null: it is not a regular file (a device?); give a file path"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_a_database_folder_the_bot_may_not_write_in_is_named_before_anything_is_made(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    settings = settings.model_copy(
        update={"database_path": locked / "data" / "bot.sqlite3", "encryption_key": None}
    )

    line = failed_start(settings, caplog)

    assert f"the bot may not write in the folder {locked}" in line
    assert list(locked.iterdir()) == []


def test_a_key_file_that_cannot_be_read_is_named_in_one_line(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings.model_copy(update={"encryption_key": None})
    key_file = settings.database_path.parent / KEY_FILE_NAME
    key_file.mkdir(parents=True)  # a folder in its place: unreadable, even for root

    line = failed_start(settings, caplog)

    assert "ENCRYPTION_KEY" in line
    assert "DATABASE_PATH" in line
    assert str(key_file) in line


def test_the_bot_on_a_file_that_is_not_a_database_exits_at_once_with_one_line(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    database.parent.mkdir()
    database.write_bytes(NOT_A_DATABASE)
    env = bot_environment(
        telegram_url="http://127.0.0.1:9/bot",  # never reached
        joulo_url="http://127.0.0.1:9/api",
        database=database,
        poll_interval=60,
    )
    env["LOG_LEVEL"] = "WARNING"
    del env["ENCRYPTION_KEY"]

    result = run_bot_command(env, tmp_path, timeout=30)  # it used to hang here

    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert "DATABASE_PATH" in line
    assert "not a database" in line
    assert database.read_bytes() == NOT_A_DATABASE
    assert [p.name for p in database.parent.iterdir()] == ["bot.sqlite3"]


def test_a_telegram_failing_while_the_menus_are_set_ends_the_start_in_one_line(
    settings: Settings, fake_bot: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    fake_bot.fail_next(
        "setMyCommands", error_code=400, description="Bad Request: too many commands", times=2
    )
    settings = settings.model_copy(update={"telegram_api_url": fake_bot.base_url})

    code = run(settings)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert code == ExitStatus.FAILED, caplog.text
    assert [r.getMessage() for r in errors] == ["Telegram error at start-up: Too many commands"]
    assert errors[0].exc_info is None
