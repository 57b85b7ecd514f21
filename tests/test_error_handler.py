"""When handling an update fails unexpectedly, the chat is told so in its language, and the log
says where it happened without the message's text (which may hold a token).

Driven through the real Application and the fake Bot API; the failure is a real one (the
database lost a table under the running bot).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from tests.fake_telegram import FakeUser
from tests.story import World

KEES = FakeUser(id=5010, first_name="Kees", language_code="nl")


def _drop_table(database: Path, table: str) -> None:
    with sqlite3.connect(database, timeout=30) as db:
        db.execute(f"DROP TABLE {table}")


async def test_a_failing_command_is_logged_and_the_chat_hears_something_went_wrong(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.say(KEES, KEES, f"/link {world.token}")
    # In a thread: a write transaction of the running bot may hold the lock, and it can only
    # commit while the event loop runs (blocking the loop here waited 5 s for "database is locked").
    await asyncio.to_thread(_drop_table, world.settings.database_path, "chat_settings")
    caplog.set_level(logging.ERROR, logger="bot")

    reply = await world.say(KEES, KEES, "/settings")

    assert reply == "Er ging bij mij iets mis; dat is gelogd. Probeer het opnieuw."
    (record,) = [r for r in caplog.records if "error while handling" in r.getMessage()]
    assert f"chat {KEES.id}" in record.getMessage()
    assert record.exc_info is not None
    assert "/settings" not in record.getMessage()
