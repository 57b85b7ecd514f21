"""Housekeeping jobs: the heartbeat that `healthcheck` reads, and forgetting old notifications
and expired invite links.

Neither runs inside the poll cycle: the heartbeat records when the poller last completed a
cycle (so a poller that stops completing goes stale however the job queue fares), and the prune
runs once a day in a job of its own.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final, Protocol

from bot.clock import Clock
from bot.store import Store

log = logging.getLogger(__name__)

HEARTBEAT_KEY: Final = "poller.last_cycle_at"
PRUNED_KEY: Final = "store.pruned_at"
#: Delivered notifications are kept this long (for support questions), then forgotten.
RETENTION: Final = timedelta(days=30)
#: How often the prune job looks whether a day has passed since the last prune.
PRUNE_CHECK_SECONDS: Final = 3600.0


class CompletesCycles(Protocol):
    """What the heartbeat needs to know of the poller."""

    @property
    def last_cycle_at(self) -> datetime | None:
        """When the last poll cycle completed (None before the first)."""
        ...


class Housekeeping:
    """The heartbeat and the daily prune, each run by a job of its own."""

    def __init__(self, *, store: Store, clock: Clock, poller: CompletesCycles) -> None:
        self._store = store
        self._clock = clock
        self._poller = poller
        self._recorded: datetime | None = None

    async def heartbeat(self) -> bool:
        """Record when the poller last completed a cycle; False when nothing new happened."""
        completed = self._poller.last_cycle_at
        if completed is None or completed == self._recorded:
            return False
        await self._store.set_meta(HEARTBEAT_KEY, completed.isoformat())
        self._recorded = completed
        return True

    async def prune(self) -> int:
        """Forget delivered notifications older than RETENTION, and expired invite links, at
        most once a day."""
        now = self._clock.now()
        last = await self._store.meta(PRUNED_KEY)
        if last is not None and now - datetime.fromisoformat(last) < timedelta(days=1):
            return 0
        removed = await self._store.prune(now - RETENTION)
        invites = await self._store.prune_invites(now)
        await self._store.set_meta(PRUNED_KEY, now.isoformat())
        if removed:
            log.info("forgot %d notification(s) older than %d days", removed, RETENTION.days)
        if invites:
            log.info("forgot %d expired invite link(s)", invites)
        return removed
