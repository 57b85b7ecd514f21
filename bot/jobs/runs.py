"""One run of a job at a time, and a stop that abandons the running one.

The digests and the money job each run as a task of their own, so that `stop()` at shutdown
can abandon a run without cancelling whoever awaited it: the one place that tells the two
cancellations apart (see `bot.tasks.cancelled_from_outside`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from bot.tasks import cancel_and_wait, cancelled_from_outside


class OneRunAtATime:
    """Runs a job's work one run at a time until stopped."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._current: asyncio.Task[int] | None = None
        self._stopped = False

    async def run(self, work: Callable[[], Coroutine[Any, Any, int]]) -> int:
        """`work()`'s result; 0 without starting it while a run is going on or once stopped.

        A run abandoned by `stop()` also gives 0: what it recorded stays recorded.
        """
        if self._stopped or self._current is not None:
            return 0
        self._current = asyncio.create_task(work(), name=self._name)
        try:
            return await self._current
        except asyncio.CancelledError:
            if self._current.cancelled() and not cancelled_from_outside():
                return 0  # stop() abandoned it
            raise
        finally:
            self._current = None

    async def stop(self) -> None:
        """Start no new run and abandon a running one."""
        self._stopped = True
        if self._current is not None:
            await cancel_and_wait(self._current)
