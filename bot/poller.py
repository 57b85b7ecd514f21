"""The poll cycle: every active account's `/chargers`, diffed and stored with its events.

One cycle polls each account once, spread over part of the poll interval with bounded
concurrency and a hard time limit; cycles never overlap. A failed poll changes nothing: the
last known state stands and no charger event can come from it. Like Home Assistant's
coordinator, a failing account is logged once when it starts failing and once when it recovers.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from .clock import Clock
from .crypto import TokenCipher, TokenUndecryptable
from .diff import baseline, diff, finalize
from .domain import Event, PendingEnd, SessionFinished, TokenRejected
from .joulo import (
    JouloClient,
    JouloError,
    JouloRateLimited,
    JouloTokenRejected,
    JouloTransientError,
)
from .models import Session
from .store import Account, Store

log = logging.getLogger(__name__)

HEARTBEAT_KEY: Final = "poller.last_cycle_at"
#: Accounts' polls are spread over this share of the interval, leaving room to finish.
SPREAD_SHARE: Final = 0.5
#: A cycle is cut off after this share of the interval, so the next one starts on time.
CYCLE_TIMEOUT_SHARE: Final = 0.9
#: How long to wait for `/sessions` to report a session's end before using the last figures.
FINAL_FIGURES_WAIT: Final = timedelta(minutes=10)
MAX_BACKOFF: Final = timedelta(minutes=15)


@dataclass
class _Health:
    """In-memory bookkeeping of one account's failures (rebuilt after a restart)."""

    failures: int = 0
    failing_since: datetime | None = None
    not_before: datetime | None = None


@dataclass(frozen=True)
class CycleReport:
    """What one cycle did, for logs and tests."""

    accounts: int
    polled: int
    failed: int
    events: int
    timed_out: bool


class Poller:
    """Polls Joulo for every active account and records what changed."""

    def __init__(
        self,
        *,
        store: Store,
        joulo: JouloClient,
        cipher: TokenCipher,
        clock: Clock,
        poll_interval: float,
        offline_grace: float,
        on_events: Callable[[], None] = lambda: None,
        concurrency: int = 8,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._joulo = joulo
        self._cipher = cipher
        self._clock = clock
        self._interval = poll_interval
        self._grace = timedelta(seconds=offline_grace)
        self._on_events = on_events
        self._concurrency = concurrency
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not security)
        self._health: dict[int, _Health] = defaultdict(_Health)
        self._running = asyncio.Lock()
        self.cycles = 0

    async def run_cycle(self) -> CycleReport | None:
        """Poll every active account once. Returns None if a cycle is already running."""
        if self._running.locked():
            log.warning("previous poll cycle still running; skipping this one")
            return None
        async with self._running:
            report = await self._cycle()
        self.cycles += 1
        await self._store.set_meta(HEARTBEAT_KEY, self._clock.now().isoformat())
        if report.events:
            self._on_events()
        return report

    async def _cycle(self) -> CycleReport:
        accounts = await self._store.accounts_to_poll()
        gate = asyncio.Semaphore(self._concurrency)
        step = self._interval * SPREAD_SHARE / max(len(accounts), 1)
        results: list[int | None] = [None] * len(accounts)

        async def one(index: int, account: Account) -> None:
            await asyncio.sleep(index * step)
            async with gate:
                try:
                    results[index] = await self.poll_account(account)
                except Exception:  # one account's bug must not stop the others
                    log.exception("account %s: unexpected error while polling", account.id)
                    results[index] = -1

        timed_out = False
        try:
            async with asyncio.timeout(self._interval * CYCLE_TIMEOUT_SHARE):
                async with asyncio.TaskGroup() as group:
                    for index, account in enumerate(accounts):
                        group.create_task(one(index, account))
        except TimeoutError:
            timed_out = True
            unfinished = sum(1 for r in results if r is None)
            log.warning(
                "poll cycle cut off at its time limit; %d account(s) unfinished", unfinished
            )
        polled = [r for r in results if r is not None and r >= 0]
        return CycleReport(
            accounts=len(accounts),
            polled=len(polled),
            failed=sum(1 for r in results if r is not None and r < 0),
            events=sum(polled),
            timed_out=timed_out,
        )

    async def poll_account(self, account: Account) -> int:
        """Poll one account; returns the number of new events, or -1 when the poll failed."""
        now = self._clock.now()
        health = self._health[account.id]
        if health.not_before is not None and now < health.not_before:
            return -1
        try:
            token = self._cipher.decrypt(account.token_enc)
            return await self._poll(account, token, now)
        except (JouloTokenRejected, TokenUndecryptable) as err:
            log.warning("account %s: token rejected (%s); polling paused", account.id, err)
            await self._store.pause_account(
                account.id, TokenRejected(link_seq=account.link_seq, at=now)
            )
            self._health.pop(account.id, None)
            self._on_events()
            return -1
        except JouloError as err:
            self._failed(account, health, err, now)
            return -1

    def _failed(self, account: Account, health: _Health, err: JouloError, now: datetime) -> None:
        health.failures += 1
        if health.failing_since is None:
            health.failing_since = now
            log.warning(
                "account %s: Joulo poll failed: %s (keeping last known state)", account.id, err
            )
        else:
            log.debug("account %s: still failing (%d): %s", account.id, health.failures, err)
        if isinstance(err, JouloRateLimited):
            delay = timedelta(seconds=err.retry_after)
        elif isinstance(err, JouloTransientError) and health.failures < 3:
            return  # try again next cycle
        else:
            base = self._interval * 2 ** min(health.failures - 2, 10)
            delay = min(timedelta(seconds=base), MAX_BACKOFF) * self._rng.uniform(0.8, 1.2)
        health.not_before = now + delay

    async def _poll(self, account: Account, token: str, now: datetime) -> int:
        found = await self._joulo.chargers(token)
        health = self._health.pop(account.id, None)
        if health is not None and health.failing_since is not None:
            log.info(
                "account %s: Joulo answers again after %d failure(s)", account.id, health.failures
            )
        if account.baseline_at is None:
            states, events, ended = baseline(found.chargers, now), [], []
        else:
            previous = await self._store.charger_states(account.id)
            result = diff(
                previous,
                found.chargers,
                now=now,
                offline_grace=self._grace,
                keep=found.malformed_ids,
            )
            states, events, ended = result.states, result.events, result.ended
        pending = [*await self._store.pending_ends(account.id), *ended]
        finished = await self._finalize(token, pending, now) if pending else []
        resolved = {event.session_id for event in finished}
        all_events: list[Event] = [*finished, *events]  # an end before the next start
        return await self._store.record_poll(
            account.id,
            states=states,
            events=all_events,
            new_pending=[p for p in ended if p.session_id not in resolved],
            resolved_pending=resolved,
            now=now,
        )

    async def _finalize(
        self, token: str, pending: list[PendingEnd], now: datetime
    ) -> list[SessionFinished]:
        """Announce ended sessions with `/sessions`' final figures (or, late, the last ones)."""
        by_charger: dict[str, list[PendingEnd]] = defaultdict(list)
        for item in pending:
            by_charger[item.charger_id].append(item)
        finished = []
        for charger_id, items in by_charger.items():
            sessions: list[Session] | None
            try:
                sessions = await self._joulo.sessions(
                    token, charger_id=charger_id, since=min(p.started_at for p in items)
                )
            except JouloTokenRejected:
                raise
            except JouloError as err:
                log.info("final figures for charger %s not available yet: %s", charger_id, err)
                sessions = None
            for item in items:
                event = finalize(item, sessions, now=now, max_wait=FINAL_FIGURES_WAIT)
                if event is not None:
                    finished.append(event)
        return finished
