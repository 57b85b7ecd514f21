"""Operating a running bot, as processes: one bot per database, backups while it runs, JSON logs.

Rules pinned down here, with one real `python -m bot` (against the fake Bot API and the Joulo
simulator on loopback, an account linked and polled) shared by the tests of this module: a second
`python -m bot` on the same DATABASE_PATH exits with status 2 and one line that says the bot is
already running there, with the first one's process id, and changes nothing; `python -m bot
backup FILE` while the bot runs and writes makes a checked copy that holds what the bot wrote
last (it sits in the `-wal` file, which a file copy would miss), says in one line how big it is
and where, leaves nothing else behind and does not hold the bot up; with LOG_FORMAT=json
everything the bot writes to stderr (python-telegram-bot's, httpx's and aiosqlite's lines at
DEBUG included) is one JSON object per line, with the bot token redacted, and nothing goes to
stdout. Each `python -m bot` is forked from an interpreter that has loaded the bot
(tests/forkserver.py), so the tests do not wait for its imports. That a lock left by a
dead bot (even a SIGKILLed one) is no obstacle is pinned down in tests/test_lock.py, and by
tests/test_process.py, which kills the bot and starts it again many times; the backup's
refusals in tests/test_backup.py.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.jobs.housekeeping import HEARTBEAT_KEY
from bot.store import SCHEMA_VERSION
from tests.fake_telegram import BOT_TOKEN, FakeBotAPI
from tests.joulo_server import SimulatorServer
from tests.joulo_sim import JouloSimulator
from tests.processes import BotProcess, bot_environment, run_bot_command
from tests.story import ANNA

POLL_INTERVAL = 0.2
START_TIMEOUT = 30.0


@dataclass
class RunningBot:
    """A bot process with Anna's account linked and polled, and what it talks to."""

    process: BotProcess
    env: dict[str, str]
    workdir: Path
    database: Path
    sim: JouloSimulator

    def polls(self) -> int:
        """How many times the bot asked Joulo for the chargers."""
        return sum(1 for request in self.sim.requests if request.endpoint == "/chargers")

    def heartbeat(self) -> str | None:
        """When the bot last recorded a completed poll cycle, as its database says."""
        uri = f"{self.database.as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            found = db.execute("SELECT value FROM meta WHERE key = ?", (HEARTBEAT_KEY,))
            row = found.fetchone()
        return None if row is None else str(row[0])


@pytest.fixture(scope="module")
def running_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """One bot for the whole module: started once, Anna linked, stopped at the end."""
    workdir = tmp_path_factory.mktemp("operations")
    database = workdir / "data" / "bot.sqlite3"
    with (
        FakeBotAPI() as telegram,
        SimulatorServer(JouloSimulator(SystemClock(), seed=3)) as joulo,
    ):
        sim = joulo.sim
        token = sim.add_account()
        sim.add_charger(token, "Garage")
        env = bot_environment(
            telegram_url=telegram.base_url,
            joulo_url=joulo.base_url,
            database=database,
            poll_interval=POLL_INTERVAL,
        )
        env["LOG_FORMAT"] = "json"
        process = BotProcess(env, workdir)
        try:
            process.start()
            bot = RunningBot(process, env, workdir, database, sim)
            telegram.private_message(ANNA, f"/link {token}")
            process.eventually(
                lambda: any(m.startswith("✅ Linked!") for m in telegram.messages_to(ANNA.id)),
                "the bot answered /link",
                timeout=START_TIMEOUT,
            )
            process.eventually(lambda: bot.polls() >= 2, "the bot polled Anna's account")
            # The heartbeat job records the cycle at its next run: wait, as a backup is checked
            # for it.
            process.eventually(lambda: bot.heartbeat() is not None, "a heartbeat was recorded")
            yield bot
        finally:
            process.stop()
        assert telegram.internal_errors == []


def test_a_second_bot_on_the_same_database_exits_2_naming_the_first_ones_process(
    running_bot: RunningBot,
) -> None:
    folder = running_bot.database.parent
    before = sorted(p.name for p in folder.iterdir())

    quiet = dict(running_bot.env, LOG_LEVEL="WARNING", LOG_FORMAT="text")
    second = run_bot_command(quiet, running_bot.workdir, timeout=30)

    assert second.returncode == 2, second.stderr
    (line,) = second.stderr.splitlines()
    assert f"already running on DATABASE_PATH {running_bot.database}" in line
    assert f"(process {running_bot.process.pid})" in line
    assert second.stdout == ""
    assert sorted(p.name for p in folder.iterdir()) == before
    assert running_bot.process.running, running_bot.process.log_tail()


def test_a_backup_while_the_bot_polls_is_a_checked_copy_of_what_it_wrote_last(
    running_bot: RunningBot, tmp_path: Path
) -> None:
    target = tmp_path / "backup.sqlite3"
    polls = running_bot.polls()

    result = run_bot_command(running_bot.env, running_bot.workdir, "backup", str(target))

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (line,) = result.stdout.splitlines()
    size = target.stat().st_size
    assert line.startswith(f"backed up {running_bot.database} to {target}: {size:,} bytes (")
    assert "integrity ok; keep ENCRYPTION_KEY with it" in line
    assert list(tmp_path.iterdir()) == [target]  # no partial file, no side files
    with contextlib.closing(sqlite3.connect(f"{target.as_uri()}?mode=ro", uri=True)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert copy.execute("SELECT count(*) FROM accounts").fetchone() == (1,)
        assert copy.execute("SELECT count(*) FROM charger_states").fetchone() == (1,)
        (heartbeat,) = copy.execute("SELECT value FROM meta WHERE key = ?", (HEARTBEAT_KEY,))
        assert heartbeat[0]
    process = running_bot.process
    process.eventually(lambda: running_bot.polls() >= polls + 3, "the bot went on polling")


def test_with_log_format_json_every_line_the_bot_writes_is_one_json_object(
    running_bot: RunningBot,
) -> None:
    process = running_bot.process

    lines = process.run_stderr().splitlines()
    stdout = process.stdout_path.read_text(encoding="utf-8")

    assert stdout == ""
    assert len(lines) > 20, process.log_tail()  # DEBUG: the libraries speak too
    entries = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
    assert any(entry["message"] == "bot @joulo_test_bot is running" for entry in entries)
    assert {"httpx", "aiosqlite", "bot.app"} <= {entry["logger"] for entry in entries}
    assert BOT_TOKEN not in process.run_stderr()
    assert any("/bot[redacted]/getUpdates" in entry["message"] for entry in entries)
