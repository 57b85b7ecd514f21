"""A hand-cranked clock: time moves only when a test says so, and so do the bot's waits.

`sleep()` returns once the test has advanced time past its deadline, and a `time_limit()`
expires the moment time is advanced past it. `run()` drives a coroutine to its end by moving
time on to the next wake-up whenever everything else is waiting, so a test of timing needs no
real seconds and cannot be made flaky by a busy machine.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiosqlite.core

T = TypeVar("T")

#: Event-loop turns `run()` lets pass before it decides that everything else is waiting.
SETTLE_TURNS = 20


class _DatabaseWork:
    """How many coroutines now wait for SQLite's thread (aiosqlite runs each call there).

    The event loop cannot tell a coroutine that waits for another thread from one that waits
    for time, and 20 turns of an idle loop are a few microseconds, while a query on a busy
    machine takes milliseconds: `run()` asks this count before it moves time on.
    """

    in_flight = 0

    @classmethod
    def count(cls) -> None:
        """Count aiosqlite's calls from now on (in this process; idempotent)."""
        execute: Callable[..., Awaitable[Any]] = aiosqlite.core.Connection._execute
        if getattr(execute, "counted", False):
            return

        @functools.wraps(execute)
        async def counted(*args: Any, **kwargs: Any) -> Any:
            cls.in_flight += 1
            try:
                return await execute(*args, **kwargs)
            finally:
                cls.in_flight -= 1

        counted.counted = True  # type: ignore[attr-defined]
        aiosqlite.core.Connection._execute = counted  # type: ignore[method-assign]


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 4, 9, 8, 0, tzinfo=UTC)
        self._elapsed = 0.0
        self._order = itertools.count()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._limits: dict[int, tuple[float, asyncio.Timeout]] = {}

    def now(self) -> datetime:
        """Return the clock's current time."""
        return self._now

    def monotonic(self) -> float:
        """Seconds the clock has been advanced since it was made."""
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        """Wait until the test has advanced time by `seconds` (zero or less: just yield)."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._order), woken))
        await woken  # a cancelled sleeper's future is skipped when its time comes

    @asynccontextmanager
    async def time_limit(self, seconds: float) -> AsyncIterator[None]:
        """Raise TimeoutError in the block once time is advanced `seconds` past its start."""
        async with asyncio.timeout(None) as limit:
            number = next(self._order)
            self._limits[number] = (self._elapsed + seconds, limit)
            if seconds <= 0:
                limit.reschedule(asyncio.get_running_loop().time())
            try:
                yield
            finally:
                del self._limits[number]

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward, wake the sleepers and expire the limits that fell due."""
        self._now += timedelta(seconds=seconds)
        self._elapsed += max(seconds, 0.0)
        while self._sleepers and self._sleepers[0][0] <= self._elapsed:
            _, _, woken = heapq.heappop(self._sleepers)
            if not woken.done():
                woken.set_result(None)
        for deadline, limit in list(self._limits.values()):
            if deadline <= self._elapsed and limit.when() is None:
                limit.reschedule(asyncio.get_running_loop().time())
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to an absolute (aware) time; waits fall due as if that time had passed."""
        self.advance((when - self._now).total_seconds())
        self._now = when

    def next_wakeup(self) -> float | None:
        """Seconds until the earliest sleeper wakes or a time limit expires before it.

        None when nobody sleeps: a time limit alone does not count, as what it bounds may be
        working off the event loop (the database's thread).
        """
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        if not self._sleepers:
            return None
        due = [d for d, limit in self._limits.values() if limit.when() is None]
        return min([self._sleepers[0][0], *due]) - self._elapsed

    async def run(self, awaitable: Awaitable[T], *, real_limit: float = 30.0) -> T:
        """Await `awaitable`, advancing time to the next wake-up whenever all else waits.

        Work off the event loop (the database's thread) is waited for in real time, and time
        moves on only while no query is in flight, and jumps only to the next wake-up, never
        past it: a time limit expires only while something that sleeps beyond it is still
        waiting. `real_limit` real seconds bound the whole, so a test that would hang fails
        instead.
        """
        _DatabaseWork.count()
        task = asyncio.ensure_future(awaitable)
        async with asyncio.timeout(real_limit):
            while not task.done():
                for _ in range(SETTLE_TURNS):
                    await asyncio.sleep(0)
                if task.done():
                    break
                wakeup = self.next_wakeup()
                if wakeup is None or _DatabaseWork.in_flight:
                    await asyncio.wait({task}, timeout=0.002)
                else:
                    self.advance(wakeup)
        return task.result()
