"""`python -m bot backup FILE` refuses what it cannot do in one line, and never leaves a half copy.

Pins down: an existing file, a folder, a folder it may not write in, a missing folder and a
missing database are refused with exit code 2 and one line on stderr that names the problem,
before anything is written (the existing file stays byte for byte as it was, no database is
made); a copy that fails its integrity check ends with exit code 1 and leaves nothing behind.
A backup of a running, writing bot: tests/test_operations.py.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.store import Store

EXISTING = b"last week's backup\n"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bot's database, made and migrated by the store, at DATABASE_PATH."""
    path = tmp_path / "data" / "bot.sqlite3"

    async def make() -> None:
        store = await Store.open(path)
        await store.set_meta("made by", "test_backup")
        await store.close()

    asyncio.run(make())
    monkeypatch.setenv("DATABASE_PATH", str(path))
    return path


def refusal(capsys: pytest.CaptureFixture[str], *args: str, code: int = 2) -> str:
    """Run `backup`, expect `code` and nothing on stdout; return the one line on stderr."""
    assert main(["backup", *args]) == code
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    return line


def test_an_existing_file_is_refused_and_left_as_it_was(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "backups" / "bot.sqlite3"
    target.parent.mkdir()
    target.write_bytes(EXISTING)

    line = refusal(capsys, str(target))

    assert line == (
        f"cannot back up to {target}: it already exists and was left as it is; give a new file name"
    )
    assert target.read_bytes() == EXISTING
    assert list(target.parent.iterdir()) == [target]


def test_a_folder_is_refused_with_a_file_name_to_give_instead(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()

    line = refusal(capsys, str(folder))

    assert line == (
        f"cannot back up to {folder}: it is a folder; give a file name, such as "
        f"{folder / 'bot-backup.sqlite3'}"
    )
    assert list(folder.iterdir()) == []


def test_a_missing_folder_is_named(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nowhere" / "bot.sqlite3"

    line = refusal(capsys, str(target))

    assert line == f"cannot back up to {target}: the folder {target.parent} does not exist"
    assert not target.parent.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_a_folder_it_may_not_write_in_is_refused(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)

    line = refusal(capsys, str(folder / "bot.sqlite3"))

    assert line.endswith(f"no permission to write in the folder {folder}")
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's /sys")
def test_a_folder_nobody_may_write_in_is_refused_even_for_root(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = Path("/sys/bot-backup.sqlite3")

    line = refusal(capsys, str(target))

    assert line.startswith(f"cannot back up to {target}: ")
    assert "write in the folder /sys" in line
    assert not target.exists()


def test_without_a_database_at_database_path_nothing_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "data" / "bot.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(missing))

    line = refusal(capsys, str(tmp_path / "backup.sqlite3"))

    assert line == (
        f"cannot back up DATABASE_PATH {missing}: there is no database there "
        "(has the bot run with this DATABASE_PATH?)"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_copy_that_fails_its_check_ends_with_1_and_leaves_nothing_behind(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The key "made by" is stored twice: in the meta table and in its primary key's index.
    # Changing the table's copy leaves a file SQLite reads without complaint, which only
    # `PRAGMA integrity_check` finds wanting ("row 1 missing from index").
    content = database.read_bytes()
    assert content.count(b"made by") == 2
    database.write_bytes(content.replace(b"made by", b"made bx", 1))
    folder = tmp_path / "backups"
    folder.mkdir()
    target = folder / "bot.sqlite3"

    line = refusal(capsys, str(target), code=1)

    assert line.startswith(
        f"backup of {database} to {target} failed: the copy failed its integrity check: "
    ), line
    assert list(folder.iterdir()) == []
