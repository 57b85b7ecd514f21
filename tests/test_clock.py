"""The hand-cranked clock moves time only when everything waits for time.

Pins down: `ManualClock.run()` does not move time on while the database works in its own
thread, however long that takes (a busy machine): tests of pacing and time limits would
otherwise see time pass that the bot never waited for, and fail now and then.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiosqlite

from tests.clock import ManualClock


def _slow() -> int:
    time.sleep(0.05)  # SQLite at work, in aiosqlite's thread
    return 1


async def test_time_stands_still_while_the_database_works(tmp_path: Path) -> None:
    clock = ManualClock()
    async with aiosqlite.connect(tmp_path / "slow.sqlite3") as db:
        await db.create_function("slow", 0, _slow)

        async def query_then_read_the_clock() -> float:
            await db.execute("SELECT slow()")
            return clock.monotonic()

        async def both() -> tuple[float, None]:
            return await asyncio.gather(query_then_read_the_clock(), clock.sleep(60))

        read, _ = await clock.run(both())

    assert read == 0.0  # the query needed no time of the clock; only the sleeper did
    assert clock.monotonic() == 60.0
