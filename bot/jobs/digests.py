"""The monthly digests: on the 1st from 09:00 local time, each account's last month in short.

A job of its own, beside the polls: it never holds a poll cycle up. Each run is one batch:
the accounts still without this month's digest get their `/energy` fetched, at most
FETCH_CONCURRENCY at a time and started at no more than FETCH_RATE a second (Telegram sends
30 messages a second at most, so fetching faster only queues them up), and the batch stops
starting fetches after BATCH_SHARE of the job's interval, so batches never overlap. Whoever is
left waits for the next batch; one that failed is tried again then.

Exactly once per account and month, also across restarts: a digest is an event keyed by its
month, recorded with its outbox rows in one transaction, and an account that has it is skipped.
A bot that was down at 09:00 sends the digests when it is back that day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import tzinfo
from typing import Final

from bot.clock import Clock
from bot.core.digest import build_digest, digest_due
from bot.core.outgoing import outgoing
from bot.crypto import TokenCipher, TokenUndecryptable
from bot.jobs.runs import OneRunAtATime
from bot.joulo.client import JouloClient, JouloError
from bot.poller import RECHECK_REJECTED
from bot.store import Account, Store

log = logging.getLogger(__name__)

#: `/energy` requests of the digests in flight at once (the polls have their own).
FETCH_CONCURRENCY: Final = 8
#: Fetches started per second at most: above Telegram's 30 messages a second, so the outbox
#: never waits for a digest, yet 1,500 households are spread over half a minute.
FETCH_RATE: Final = 50.0
#: A batch starts no fetch after this share of the job's interval.
BATCH_SHARE: Final = 0.8


class Digests:
    """Records the monthly digests, one batch per run."""

    def __init__(
        self,
        *,
        store: Store,
        joulo: JouloClient,
        cipher: TokenCipher,
        clock: Clock,
        tz: tzinfo,
        interval: float,
        on_recorded: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._joulo = joulo
        self._cipher = cipher
        self._clock = clock
        self._tz = tz
        self._interval = interval
        self._on_recorded = on_recorded
        self._runs = OneRunAtATime("digest-batch")

    async def run(self, *, spread: bool = False) -> int:
        """Record the digests that are due (one batch); returns how many were recorded.

        With `spread` the fetches are paced and the batch is cut off after its share of the
        interval (the scheduled job); without, every due account is fetched at once (a batch
        run by hand, as tests do). Nothing happens while a batch runs or once stopped.
        """
        return await self._runs.run(lambda: self._batch(spread))

    async def stop(self) -> None:
        """Start no new batch and abandon a running one (what it recorded stays recorded)."""
        await self._runs.stop()

    async def _batch(self, spread: bool) -> int:
        now = self._clock.now()
        due = digest_due(now, self._tz)
        if due is None:
            return 0
        month, previous = due
        done = await self._store.accounts_with_event(f"digest:{month}")
        waiting = [
            account
            for account in await self._store.accounts_to_poll(now, RECHECK_REJECTED)
            if account.status == "active" and account.id not in done
        ]
        if not waiting:
            return 0
        slots = asyncio.Semaphore(FETCH_CONCURRENCY)
        recorded = 0

        async def one(account: Account) -> None:
            nonlocal recorded
            try:
                token = self._cipher.decrypt(account.token_enc)
                energy = await self._joulo.energy(token)
            except (JouloError, TokenUndecryptable) as err:
                log.info("account %s: monthly digest not ready (%s); next batch", account.id, err)
                return
            finally:
                slots.release()
            mark = await self._store.money_mark(account.id)
            money = mark.money if mark is not None else None
            digest = build_digest(energy, month, previous, account.owner_name, money=money)
            if await self._store.record_digest(account.id, outgoing(digest), self._clock.now()):
                recorded += 1
                self._on_recorded()  # out it goes while the batch goes on

        clock = self._clock
        start = clock.monotonic()
        budget = self._interval * BATCH_SHARE
        async with asyncio.TaskGroup() as group:
            for index, account in enumerate(waiting):
                if spread:
                    await clock.sleep(start + index / FETCH_RATE - clock.monotonic())
                await slots.acquire()
                if spread and clock.monotonic() - start >= budget:
                    slots.release()
                    break
                group.create_task(one(account))
        left = len(waiting) - recorded
        log.info(
            "recorded %d monthly digest(s) for %s; %d account(s) left for the next batch",
            recorded,
            month,
            left,
        )
        return recorded
