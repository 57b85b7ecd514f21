"""The money job: each account's `/ere-position` and Joulo's public ERE price feed, hourly.

A job of its own, beside the polls: the poll cycle does not get one request or one query more.
Each account is looked at about once per MONEY_CHECK_INTERVAL (Joulo's guidance for these
endpoints is hourly): the job runs SLICES times per interval and looks at the accounts due, at
most their share per run, longest-waiting first, so a thousand households are spread over the
hour instead of asked at once. The feed is read at most once per interval.

A look stores, in one transaction, the price per credit the account's texts use (see
`bot.core.money`), what it saw of the payouts, and what it announces: a payout, a quarter's
final price, each an event with a key, to the owner alone. The first look at an account
records where it stands and announces nothing; a restart neither repeats nor loses one.

Faults: a failed or garbled answer changes nothing but the time of the look (the next try is
an interval later, never a tight loop), is logged once when it starts and once when it ends,
and never reaches a chat: the euros are simply left out while no price is known. A token
without the scope for `/ere-position` (an OAuth token) gets no euros, and nothing is said.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from bot.clock import Clock
from bot.core.money import CreditPrice, MoneyMark, account_price, choose_price, feed_price
from bot.core.money import money_news as compare
from bot.core.outgoing import outgoing_all
from bot.crypto import TokenCipher, TokenUndecryptable
from bot.jobs.runs import OneRunAtATime
from bot.joulo.client import JouloClient, JouloError, JouloScopeMissing, JouloTokenRejected
from bot.poller import RECHECK_REJECTED
from bot.store import Account, Store

log = logging.getLogger(__name__)

#: Runs per interval: each looks at about 1/SLICES of the accounts.
SLICES: Final = 60
#: `/ere-position` requests in flight at once.
FETCH_CONCURRENCY: Final = 4
FEED_KEY: Final = "money.feed"
FEED_CHECKED_KEY: Final = "money.feed_checked_at"


def job_period(interval: float) -> float:
    """How often the money job runs for a MONEY_CHECK_INTERVAL of `interval` seconds."""
    return max(interval / SLICES, 1.0)


class Money:
    """Looks at the accounts' money, a slice per run (see module)."""

    def __init__(
        self,
        *,
        store: Store,
        joulo: JouloClient,
        cipher: TokenCipher,
        clock: Clock,
        interval: float,
        feed_url: str | None,
        on_recorded: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._joulo = joulo
        self._cipher = cipher
        self._clock = clock
        self._interval = timedelta(seconds=interval)
        self._feed_url = feed_url
        self._on_recorded = on_recorded
        #: Accounts whose last look failed (logged once per outage; memory only).
        self._failing: set[int] = set()
        self._denied: set[int] = set()
        self._feed_failing = False
        self._runs = OneRunAtATime("money-run")

    async def run(self, *, spread: bool = False) -> int:
        """Look at the feed and the accounts that are due; returns the events recorded.

        With `spread` only this run's share of the accounts due is looked at (the scheduled
        job); without, all of them (a run by hand, as tests do). Nothing happens while a run
        is going on or once stopped.
        """
        return await self._runs.run(lambda: self._run(spread))

    async def stop(self) -> None:
        """Start no new run and abandon a running one (what it recorded stays recorded)."""
        await self._runs.stop()

    async def _run(self, spread: bool) -> int:
        now = self._clock.now()
        feed = await self._feed(now)
        checks = await self._store.money_checks()
        active = [
            account
            for account in await self._store.accounts_to_poll(now, RECHECK_REJECTED)
            if account.status == "active"
        ]
        due = [
            account
            for account in active
            if account.id not in checks or checks[account.id][0] <= now - self._interval
        ]
        # Never looked at first, then the longest waiting.
        due.sort(key=lambda a: (a.id in checks, checks[a.id][0] if a.id in checks else now, a.id))
        if spread:
            due = due[: math.ceil(len(active) / SLICES)]
        if not due:
            return 0
        prices = await self._store.credit_prices(a.id for a in due)
        slots = asyncio.Semaphore(FETCH_CONCURRENCY)
        recorded = 0

        async def one(account: Account) -> None:
            nonlocal recorded
            async with slots:
                try:
                    mark = checks[account.id][1] if account.id in checks else None
                    created = await self._look(account, mark, prices.get(account.id), feed)
                except Exception:  # one account's bug must not stop the others
                    log.exception("account %s: unexpected error in the money job", account.id)
                    return
            if created:
                recorded += created
                self._on_recorded()

        async with asyncio.TaskGroup() as group:
            for account in due:
                group.create_task(one(account))
        return recorded

    async def _feed(self, now: datetime) -> CreditPrice | None:
        """The feed's price: read when due (once per interval), else as last stored."""
        stored = await self._store.meta(FEED_KEY)
        price = None
        if stored is not None:
            eur, _, as_of = stored.partition(" ")
            price = CreditPrice(float(eur), "feed", datetime.fromisoformat(as_of), False)
        if self._feed_url is None:
            return None
        checked = await self._store.meta(FEED_CHECKED_KEY)
        if checked is not None and datetime.fromisoformat(checked) > now - self._interval:
            return price
        await self._store.set_meta(FEED_CHECKED_KEY, now.isoformat())
        try:
            fresh = feed_price(await self._joulo.ere_price(self._feed_url), now)
        except JouloError as err:
            if not self._feed_failing:
                log.warning("ERE price feed not available: %s (next try in an interval)", err)
            self._feed_failing = True
            return price
        if self._feed_failing:
            log.info("ERE price feed answers again")
        self._feed_failing = False
        if fresh is not None:
            await self._store.set_meta(FEED_KEY, f"{fresh.eur!r} {fresh.as_of.isoformat()}")
        return fresh or price

    async def _look(
        self,
        account: Account,
        mark: MoneyMark | None,
        previous: CreditPrice | None,
        feed: CreditPrice | None,
    ) -> int:
        """Look at one account's `/ere-position`; save its price, mark and news."""
        now = self._clock.now()
        try:
            position = await self._joulo.ere_position(self._cipher.decrypt(account.token_enc))
        except JouloScopeMissing as err:
            if account.id not in self._denied:
                log.info("account %s: its token may not read /ere-position (%s)", account.id, err)
                self._denied.add(account.id)
            return await self._store.record_money(
                account.id, link_seq=account.link_seq, checked_at=now, price=None, mark=None
            )
        except (JouloTokenRejected, TokenUndecryptable):
            # The poller pauses the account and tells the owner; until then, the look counts
            # (asked again in an interval, not at every run) and changes nothing else.
            return await self._store.record_money(
                account.id, link_seq=account.link_seq, checked_at=now, price=previous, mark=None
            )
        except JouloError as err:
            if account.id not in self._failing:
                log.warning(
                    "account %s: /ere-position not available: %s (next try in an interval)",
                    account.id,
                    err,
                )
                self._failing.add(account.id)
            price = choose_price(own=None, feed=feed, previous=previous, answered=False, now=now)
            return await self._store.record_money(
                account.id, link_seq=account.link_seq, checked_at=now, price=price, mark=None
            )
        if account.id in self._failing:
            log.info("account %s: /ere-position answers again", account.id)
        self._failing.discard(account.id)
        self._denied.discard(account.id)
        news = compare(mark, position, now)
        price = choose_price(
            own=account_price(position, now), feed=feed, previous=previous, now=now
        )
        created = await self._store.record_money(
            account.id,
            link_seq=account.link_seq,
            checked_at=now,
            price=price,
            mark=news.mark,
            events=outgoing_all(news.events),
        )
        if created:
            log.info("account %s: %d money announcement(s)", account.id, created)
        return created
