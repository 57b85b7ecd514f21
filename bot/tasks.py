"""Cancelling a task this code started, without swallowing a cancellation meant for the caller.

`except CancelledError` may swallow only when this very task cancelled the awaited one and
nobody cancelled this task. Awaiting a task passes the caller's own cancellation on to it, so
"the awaited task was cancelled" does not tell the two apart; `current_task().cancelling()` does.
"""

from __future__ import annotations

import asyncio
from typing import Any


def cancelled_from_outside() -> bool:
    """Whether someone asked the running task to stop (and it has not taken that back)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait until it has finished; a cancellation of the caller propagates."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        if cancelled_from_outside():
            raise
