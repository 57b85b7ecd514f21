"""Time as a dependency: the core never reads the wall clock itself, and the poller and jobs
never sleep or time themselves on the event loop's clock directly.

A `Clock` tells the time (`now`), measures durations (`monotonic`), waits (`sleep`) and bounds
how long a block may take (`time_limit`), so a test can drive all four by hand
(`tests/clock.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that says what time it is (always timezone-aware UTC), and can wait."""

    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps, for measuring durations and deadlines."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (at once for zero or less, after letting other tasks run)."""
        ...

    def time_limit(self, seconds: float) -> AbstractAsyncContextManager[None]:
        """A block that raises TimeoutError when it is still running after `seconds`."""
        ...


class SystemClock:
    """The real wall clock, and the event loop's timers."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """The event loop's clock (the one its timers run on)."""
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        """Wait on the event loop."""
        await asyncio.sleep(max(seconds, 0.0))

    @asynccontextmanager
    async def time_limit(self, seconds: float) -> AsyncIterator[None]:
        """`asyncio.timeout`, relative to now."""
        async with asyncio.timeout(seconds):
            yield


class ScaledClock(SystemClock):
    """Real time sped up by a factor, starting at a chosen moment; for the demo.

    Only the date and time run fast: sleeps and time limits take real seconds, as the demo's
    poll interval is given in real seconds.
    """

    def __init__(self, start: datetime, speed: float) -> None:
        self._start = start
        self._speed = speed
        self._origin = time.monotonic()

    def now(self) -> datetime:
        """Return the simulated time."""
        elapsed = (time.monotonic() - self._origin) * self._speed
        return self._start + timedelta(seconds=elapsed)
