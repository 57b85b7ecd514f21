"""The poll cycle: every active account's `/chargers`, diffed and stored with its events.

One cycle polls each account once, spread over part of the poll interval with bounded
concurrency and a hard time limit; cycles never overlap. A failed poll changes nothing: the
last known state stands and no charger event can come from it. Like Home Assistant's
coordinator, a failing account is logged once when it starts failing and once when it recovers.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Literal, Protocol

from bot.clock import Clock
from bot.core.catchup import away_since, mark_while_away, poll_news
from bot.core.credits import check_due, credit_news
from bot.core.diff import (
    SAME_START,
    DiffResult,
    LiveSession,
    baseline,
    diff,
    finalize,
    live_sessions,
    match_records,
)
from bot.core.events import SessionFinished, SessionStarted
from bot.core.notices import outage_notice, recovery_notice, token_problem
from bot.core.outgoing import Outgoing, outgoing, outgoing_all
from bot.core.stall import stalled_sessions
from bot.core.state import ChargerState, PendingEnd, changed_only_in_time
from bot.core.tags import mark_new_cards
from bot.crypto import TokenCipher, TokenUndecryptable
from bot.joulo.client import (
    JouloClient,
    JouloError,
    JouloRateLimited,
    JouloTokenRejected,
    JouloTransientError,
)
from bot.joulo.models import ChargerList, Session
from bot.metrics import UNOBSERVED, Observer, PollOutcome
from bot.store import Account, HeldPoll, Store
from bot.tasks import cancel_and_wait, cancelled_from_outside

log = logging.getLogger(__name__)

#: Accounts' polls are spread evenly over this share of the interval, leaving room to finish.
SPREAD_SHARE: Final = 0.75
#: A poll due at most this far ahead starts at once, with the others due by then: the dispatcher
#: wakes once per few polls instead of setting a timer for each (at 50,000 households a poll
#: is due every 0.9 ms). Each account starts at most this much before its moment.
DISPATCH_SLACK: Final = 0.005
#: Polls in flight at once: derived from accounts, interval and measured poll time, within these
#: bounds (the POLL_CONCURRENCY setting overrides it). 1,000 in flight at Joulo's 200 ms are
#: 5,000 polls a second: 50,000 households at a 60 s interval need 1,111 a second during the
#: spread, 444 in flight with the headroom below. The open-file limit may lower the ceiling
#: (`bot.app`): each poll in flight holds a connection.
MIN_CONCURRENCY: Final = 4
MAX_CONCURRENCY: Final = 1000
#: Room above the average need (Little's law) for slow answers and bursts of /sessions calls.
CONCURRENCY_HEADROOM: Final = 2.0
#: Assumed time of one account's poll until one has been measured (a slow Joulo, on purpose).
INITIAL_POLL_SECONDS: Final = 0.5
#: Weight of the newest measurement in the running average of poll times.
POLL_TIME_SMOOTHING: Final = 0.05
#: A cycle is cut off after this share of the interval, so the next one starts on time.
CYCLE_TIMEOUT_SHARE: Final = 0.9
#: How long to wait for `/sessions` to report a session's end before using the last figures.
FINAL_FIGURES_WAIT: Final = timedelta(minutes=10)
MAX_BACKOFF: Final = timedelta(minutes=15)
#: A paused account's rejected token is tried again this often (re-linking resumes at once).
RECHECK_REJECTED: Final = timedelta(hours=1)
#: What `poll_account` returns for a poll that failed, and for one not tried (backing off).
FAILED: Final = -1
BACKING_OFF: Final = -2


def derived_concurrency(
    accounts: int, interval: float, poll_seconds: float, *, ceiling: int = MAX_CONCURRENCY
) -> int:
    """Polls in flight that keep `accounts` polled once per `interval` at `poll_seconds` each.

    By Little's law the polls in flight average (accounts per second) x (seconds per poll); the
    limit is that with headroom, so a slow Joulo slows the cycle, never the schedule, between
    `MIN_CONCURRENCY` and `ceiling`.
    """
    rate = accounts / (interval * SPREAD_SHARE)
    need = math.ceil(rate * poll_seconds * CONCURRENCY_HEADROOM)
    return max(MIN_CONCURRENCY, min(ceiling, need))


@dataclass
class _Backoff:
    """In-memory back-off of one failing account (rebuilt after a restart).

    When the failing started is persisted on the account (`Account.failing_since`).
    """

    failures: int = 0
    not_before: datetime | None = None


class ChargerReadings(Protocol):
    """Where every reader gets an account's chargers: `/status`, the live cards, the menus."""

    async def charger_states(self, account_id: int, link_seq: int) -> dict[str, ChargerState]:
        """The chargers as last polled, for this link (`link_seq`) of the account."""
        ...

    def last_success(self, account: Account) -> datetime | None:
        """When the account was last polled successfully."""
        ...


@dataclass
class _Memory:
    """What the poller knows of an account after its last written poll, and what it holds back.

    Made when a poll was written; a failed poll leaves it as it is (the last known state
    stands). A quiet poll (no event, no pending end) of a healthy account is not written at
    once: it is held here, only its time of success (`held`) or also its states
    (`states_held`), until `Poller.flush` writes every held poll in one transaction, at the end
    of each cycle and at shutdown. A crash loses at most one cycle of such polls, none of which
    announced anything. A poll of an account that is failing or paused is always written: it
    is what makes the account healthy again.
    """

    link_seq: int
    states: dict[str, ChargerState]
    pending: list[PendingEnd]
    polled_at: datetime
    held: bool = False
    states_held: bool = False

    def hold(self, states: dict[str, ChargerState], at: datetime) -> None:
        """Remember a quiet poll; its states only if they changed in more than time."""
        if self.states_held or not changed_only_in_time(self.states, states):
            self.states_held = True
            self.states = states
        self.held = True
        self.polled_at = at


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
        stall_after: float = 1800.0,
        after_cycle: Callable[[], None] = lambda: None,
        concurrency: int | None = None,
        max_concurrency: int = MAX_CONCURRENCY,
        rng: random.Random | None = None,
        observer: Observer = UNOBSERVED,
    ) -> None:
        self._store = store
        self._observer = observer
        self._joulo = joulo
        self._cipher = cipher
        self._clock = clock
        self._interval = poll_interval
        self._grace = timedelta(seconds=offline_grace)
        self._stall_after = timedelta(seconds=stall_after)
        self._after_cycle = after_cycle
        self._fixed_concurrency = concurrency
        self._max_concurrency = max(MIN_CONCURRENCY, max_concurrency)
        self._poll_seconds = INITIAL_POLL_SECONDS
        self._accounts = 0
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not security)
        self._backoff: dict[int, _Backoff] = {}
        #: Decrypted tokens by ciphertext, for the accounts of the current cycle (memory only).
        self._tokens: dict[bytes, str] = {}
        #: Per account: its last written poll and what is held back (see `_Memory`).
        self._memory: dict[int, _Memory] = {}
        #: Accounts that may have "finished" announcements awaiting credits (a superset: an id
        #: whose query comes back empty is dropped). None until first read. Spares a query per
        #: poll for the common "none".
        self._awaiting: set[int] | None = None
        self._running = asyncio.Lock()
        self._current: asyncio.Task[CycleReport] | None = None
        self._stopped = False
        self._started_at = clock.now()
        self._last_cycle_at: datetime | None = None
        #: Accounts the last cycle was cut off before polling: the next cycle starts with them.
        self._left_unpolled: set[int] = set()
        #: Whether the memory was filled from the store (once, at the first cycle).
        self._recalled = False

    @property
    def last_cycle_at(self) -> datetime | None:
        """When the last cycle completed (None before the first): what the heartbeat records."""
        return self._last_cycle_at

    @property
    def concurrency(self) -> int:
        """How many accounts may be polled at once now (`derived_concurrency`, or the setting)."""
        if self._fixed_concurrency is not None:
            return self._fixed_concurrency
        return derived_concurrency(
            self._accounts, self._interval, self._poll_seconds, ceiling=self._max_concurrency
        )

    async def run_cycle(self, *, spread: bool = False) -> CycleReport | None:
        """Poll every active account once.

        Returns None if a cycle is already running, if `stop()` abandoned this one, or once the
        poller is stopped. A caller that is cancelled meanwhile sees its CancelledError. With
        `spread` the accounts' polls are spread over part of the interval (the scheduled
        cycle); without, they start at once (a cycle driven by hand, as tests do).
        """
        if self._stopped:
            return None
        if self._running.locked():
            log.warning("previous poll cycle still running; skipping this one")
            return None
        async with self._running:
            self._current = asyncio.create_task(self._cycle(spread), name="poll-cycle")
            try:
                report = await self._current
            except asyncio.CancelledError:
                # Awaiting the cycle passes our own cancellation on to it: only a cycle that
                # stop() cancelled, while nobody cancelled us, is an abandoned cycle.
                if self._current.cancelled() and not cancelled_from_outside():
                    return None
                raise
            finally:
                self._current = None
        self._last_cycle_at = self._clock.now()
        self._observer.cycle_finished(self._last_cycle_at)
        self._after_cycle()  # e.g. wake the sender: new events, or retries that fell due
        return report

    async def stop(self, grace: float) -> bool:
        """Start no new cycle; let a running one finish within `grace` seconds, else cancel it.

        Returns False when the cycle was abandoned. That is safe: each account's poll is saved
        in one transaction or not at all, and the next start simply polls again.
        """
        self._stopped = True
        cycle = self._current
        if cycle is None or cycle.done():
            return True
        done, _ = await asyncio.wait({cycle}, timeout=grace)
        if done:
            return True
        await cancel_and_wait(cycle)
        return False

    async def _cycle(self, spread: bool) -> CycleReport:
        accounts = await self._store.accounts_to_poll(self._clock.now(), RECHECK_REJECTED)
        # Those a cut-off cycle left unpolled go first, or the same ones would wait every time.
        accounts.sort(key=lambda account: account.id not in self._left_unpolled)
        self._left_unpolled = set()
        self._accounts = len(accounts)
        current = {account.token_enc for account in accounts}
        self._tokens = {blob: t for blob, t in self._tokens.items() if blob in current}
        if self._awaiting is None:  # read before any poll of the cycle can add to it
            self._awaiting = await self._store.accounts_awaiting_credits()
        seqs = {account.id: account.link_seq for account in accounts}
        for account_id, memory in list(self._memory.items()):
            if seqs.get(account_id) != memory.link_seq and not memory.held:
                del self._memory[account_id]  # unlinked, re-linked or paused meanwhile
        if not self._recalled:
            self._recalled = True
            await self._recall(accounts)
        results: list[int | None] = [None] * len(accounts)
        clock = self._clock
        in_flight = 0
        slot_freed = asyncio.Event()

        async def one(index: int, account: Account) -> None:
            nonlocal in_flight
            began = clock.monotonic()
            outcome: PollOutcome = "error"
            try:
                results[index] = found = await self.poll_account(account)
                outcome = (
                    "ok" if found >= 0 else "backing_off" if found == BACKING_OFF else "failed"
                )
            except Exception:  # one account's bug must not stop the others
                log.exception("account %s: unexpected error while polling", account.id)
                results[index] = FAILED
            finally:
                in_flight -= 1
                slot_freed.set()
            seconds = clock.monotonic() - began
            self._poll_seconds += POLL_TIME_SMOOTHING * (seconds - self._poll_seconds)
            self._observer.polled(outcome, None if outcome == "backing_off" else seconds)

        async def dispatch(group: asyncio.TaskGroup) -> None:
            """Start each account's poll at its own moment, evenly spread over the interval."""
            nonlocal in_flight
            start = clock.monotonic()
            step = self._interval * SPREAD_SHARE / max(len(accounts), 1) if spread else 0.0
            for index, account in enumerate(accounts):
                ahead = start + index * step - clock.monotonic()
                if ahead > DISPATCH_SLACK:
                    await clock.sleep(ahead)
                while in_flight >= self.concurrency:
                    slot_freed.clear()
                    await slot_freed.wait()
                in_flight += 1
                group.create_task(one(index, account))

        timed_out = False
        try:
            async with (
                clock.time_limit(self._interval * CYCLE_TIMEOUT_SHARE),
                asyncio.TaskGroup() as group,
            ):
                group.create_task(dispatch(group))
        except TimeoutError:
            timed_out = True
            unfinished = sum(1 for r in results if r is None)
            self._left_unpolled = {
                a.id for a, r in zip(accounts, results, strict=True) if r is None
            }
            log.warning(
                "poll cycle cut off at its time limit; %d account(s) unfinished "
                "(poll concurrency %d, %.2f s per poll)",
                unfinished,
                self.concurrency,
                self._poll_seconds,
            )
        await self.flush()  # the held quiet polls, in one transaction
        polled = [r for r in results if r is not None and r >= 0]
        return CycleReport(
            accounts=len(accounts),
            polled=len(polled),
            failed=sum(1 for r in results if r is not None and r < 0),
            events=sum(polled),
            timed_out=timed_out,
        )

    async def _recall(self, accounts: list[Account]) -> None:
        """Start from what the store last wrote of every account, read all at once.

        A new process knows nothing yet; without this its first cycle reads each account's
        chargers and pending ends one by one and writes every poll, quiet or not, which after
        a restart with many accounts takes longer than an interval (the cycle is cut off and
        households wait). With it, the first cycle costs what every other one does.
        """
        states, pending = await self._store.last_polls()
        for account in accounts:
            if (
                account.id in self._memory
                or account.baseline_at is None
                or account.last_success_at is None
            ):
                continue  # never polled (its first poll is a baseline) or already known
            self._memory[account.id] = _Memory(
                link_seq=account.link_seq,
                states=states.get(account.id, {}),
                pending=pending.get(account.id, []),
                polled_at=account.last_success_at,
            )

    async def poll_account(self, account: Account) -> int:
        """Poll one account; returns the number of new events, FAILED or BACKING_OFF (not tried)."""
        now = self._clock.now()
        backoff = self._backoff.get(account.id)
        if backoff is not None and backoff.not_before is not None and now < backoff.not_before:
            return BACKING_OFF
        try:
            return await self._poll(account, self._token(account), now)
        except (JouloTokenRejected, TokenUndecryptable) as err:
            reason: Literal["rejected", "unreadable"] = "rejected"
            if isinstance(err, TokenUndecryptable):
                reason = "unreadable"
            else:
                self._observer.joulo_failed(err)
            log.warning("account %s: token %s; polling paused", account.id, reason)
            notice = outgoing(token_problem(account.link_seq, now, reason))
            await self._store.pause_account(
                account.id, link_seq=account.link_seq, at=now, notice=notice
            )
            self._backoff.pop(account.id, None)
            return FAILED
        except JouloError as err:
            self._observer.joulo_failed(err)
            self._failed(account, err, now)
            await self._record_outage(account, now)
            return FAILED

    def _token(self, account: Account) -> str:
        """The account's token, decrypted once while it is among the cycle's accounts."""
        token = self._tokens.get(account.token_enc)
        if token is None:
            token = self._tokens[account.token_enc] = self._cipher.decrypt(account.token_enc)
        return token

    async def _record_outage(self, account: Account, now: datetime) -> None:
        """Persist when failing started; tell the owner once it has lasted long."""
        since = account.failing_since or now
        announce = outage_notice(since, account.outage_announced, now)
        if announce is not None:
            log.warning(
                "account %s: Joulo unreachable since %s; telling the owner", account.id, since
            )
        if account.failing_since is None or announce is not None:
            await self._store.record_failure(
                account.id, since, None if announce is None else outgoing(announce)
            )

    def _failed(self, account: Account, err: JouloError, now: datetime) -> None:
        backoff = self._backoff.setdefault(account.id, _Backoff())
        backoff.failures += 1
        if account.failing_since is None:
            log.warning(
                "account %s: Joulo poll failed: %s (keeping last known state)", account.id, err
            )
        else:
            log.debug("account %s: still failing (%d): %s", account.id, backoff.failures, err)
        if isinstance(err, JouloRateLimited):
            delay = timedelta(seconds=err.retry_after)
        elif isinstance(err, JouloTransientError) and backoff.failures < 3:
            return  # try again next cycle
        else:
            base = self._interval * 2 ** min(backoff.failures - 2, 10)
            delay = min(timedelta(seconds=base), MAX_BACKOFF) * self._rng.uniform(0.8, 1.2)
        backoff.not_before = now + delay

    async def linked(self, account: Account, found: ChargerList) -> None:
        """Take a just-linked account's chargers, as `/link` read them, as its poll.

        For a new account that is its first poll, the baseline: nothing is announced, and
        `/status` shows the chargers at once instead of after the next cycle. If this fails,
        the next cycle polls the account as usual.
        """
        try:
            await self._poll(account, self._token(account), self._clock.now(), found=found)
        except (JouloError, TokenUndecryptable) as err:
            log.info(
                "account %s: first poll after linking failed (%s); next cycle", account.id, err
            )

    async def _poll(
        self, account: Account, token: str, now: datetime, *, found: ChargerList | None = None
    ) -> int:
        if found is None:
            found = await self._joulo.chargers(token)
        self._backoff.pop(account.id, None)
        if account.failing_since is not None:
            log.info(
                "account %s: Joulo answers again (failing since %s)",
                account.id,
                account.failing_since,
            )
        memory = self._memory.get(account.id)
        if memory is not None and memory.link_seq != account.link_seq:
            memory = None  # re-linked: what was remembered is not this link's
        previous: dict[str, ChargerState] = {}
        if account.baseline_at is None:
            result = DiffResult(states=baseline(found.chargers, now))
        else:
            previous = (
                memory.states
                if memory is not None
                else await self._store.charger_states(account.id)
            )
            result = diff(
                previous,
                found.chargers,
                now=now,
                offline_grace=self._grace,
                keep=found.malformed_ids,
            )
            stalled = stalled_sessions(result.states, now=now, after=self._stall_after)
            if stalled:
                result = replace(result, events=[*result.events, *stalled])
        stored_pending = (
            memory.pending if memory is not None else await self._store.pending_ends(account.id)
        )
        since = away_since(
            last_success_at=account.last_success_at,
            failing_since=account.failing_since,
            bot_started_at=self._started_at,
            now=now,
            poll_interval=self._interval,
        )
        history: list[Session] | None = None
        if since is not None:
            log.info("account %s: catching up since %s", account.id, account.last_success_at)
            result = mark_while_away(result, now)
            history = await self._history(token, since)
            if history is None:
                log.warning(
                    "account %s: could not read /sessions to catch up; sessions that started "
                    "and ended while away will not be announced",
                    account.id,
                )
        pending = [*stored_pending, *result.ended]
        finished: dict[str, SessionFinished] = {}
        if pending:
            running = live_sessions(result.states)
            finished = await self._finalize(token, pending, running, now, history)
        news = poll_news(
            result=result,
            previous=previous,
            stored_pending=stored_pending,
            finished=finished,
            history=history,
            since=since,
            recovered=recovery_notice(account.failing_since, account.outage_announced, now),
            now=now,
        )
        healthy = account.status == "active" and account.failing_since is None
        if memory is not None and news.quiet and healthy:
            memory.hold(result.states, now)
            return await self._late_credits(account, token, now, history)
        self._memory.pop(account.id, None)  # this write supersedes what was held
        outgoing_events = await self._new_cards(account.id, news.outgoing)
        created = await self._store.record_poll(
            account.id,
            link_seq=account.link_seq,
            states=result.states,
            events=outgoing_events,
            new_pending=news.new_pending,
            resolved_pending=news.resolved,
            now=now,
        )
        pending = [p for p in stored_pending if p.session_id not in news.resolved]
        have = {p.session_id for p in pending}
        pending += [p for p in news.new_pending if p.session_id not in have]
        self._memory[account.id] = _Memory(
            link_seq=account.link_seq, states=result.states, pending=pending, polled_at=now
        )
        if self._awaiting is not None and any(item.awaits_credits for item in outgoing_events):
            self._awaiting.add(account.id)
        return created + await self._late_credits(account, token, now, history)

    async def _new_cards(self, account_id: int, items: list[Outgoing]) -> list[Outgoing]:
        """`items` with each start on a card the account never saw marked (`mark_new_cards`);
        the store is asked only when a start with a card is among them."""
        if not any(isinstance(i.event, SessionStarted) and i.event.id_tag for i in items):
            return items
        names = await self._store.tag_names(account_id)
        if not names:
            return items
        return mark_new_cards(items, await self._store.seen_tags(account_id), names)

    async def charger_states(self, account_id: int, link_seq: int) -> dict[str, ChargerState]:
        """An account's chargers as last polled: the one reading every reader shares.

        From memory when the poller has it for this link of the account (`link_seq`; it may be
        newer than the database while a quiet poll is held), else as last written.
        """
        memory = self._memory.get(account_id)
        if memory is not None and memory.link_seq == link_seq:
            return dict(memory.states)
        return await self._store.charger_states(account_id)

    def last_success(self, account: Account) -> datetime | None:
        """When the account was last polled successfully (a held poll included)."""
        memory = self._memory.get(account.id)
        if memory is not None and memory.link_seq == account.link_seq:
            return max(memory.polled_at, account.last_success_at or memory.polled_at)
        return account.last_success_at

    async def flush(self) -> int:
        """Write every held quiet poll in one transaction; returns how many were written.

        Called at the end of each cycle and at shutdown, before the store closes. If writing
        fails, the polls stay held for the next try.
        """
        held = [(account_id, memory) for account_id, memory in self._memory.items() if memory.held]
        if not held:
            return 0
        polls = [
            HeldPoll(
                account_id=account_id,
                link_seq=memory.link_seq,
                polled_at=memory.polled_at,
                states=dict(memory.states) if memory.states_held else None,
            )
            for account_id, memory in held
        ]
        for _, memory in held:
            memory.held = memory.states_held = False
        try:
            return await self._store.write_held_polls(polls)
        except BaseException:
            for (account_id, memory), poll in zip(held, polls, strict=True):
                if self._memory.get(account_id) is memory:
                    memory.held = True
                    memory.states_held = memory.states_held or poll.states is not None
            raise

    async def _late_credits(
        self, account: Account, token: str, now: datetime, history: list[Session] | None
    ) -> int:
        """Ask `/sessions` for credits still null at a session's end (see `bot.core.credits`).

        Nothing is requested unless something is awaited and due: then one request covers all
        of the account's awaited sessions, or none when the catch-up `history` already does.
        """
        if self._awaiting is None:
            self._awaiting = await self._store.accounts_awaiting_credits()
        if account.id not in self._awaiting:
            return 0
        awaited = await self._store.awaited_credits(account.id)
        if not awaited:
            self._awaiting.discard(account.id)
        if not awaited or not check_due(awaited, now):
            return 0
        finished = [item.finished for item in awaited]
        records: list[Session] | None = history
        if history is None or len(match_records(finished, history)) < len(finished):
            since = min(f.started_at for f in finished) - SAME_START
            records = await self._history(token, since)
        news = credit_news(awaited, records, now=now)
        created = await self._store.record_credits(
            account.id,
            link_seq=account.link_seq,
            credited=outgoing_all(news.credited),
            settled=news.settled,
            now=now,
        )
        if news.credited:
            log.info("account %s: %d session(s) credited late", account.id, len(news.credited))
        return created

    async def _history(
        self, token: str, since: datetime, *, charger_id: str | None = None
    ) -> list[Session] | None:
        """Sessions since `since` (of one charger, if given), or None if Joulo would not say."""
        try:
            return await self._joulo.sessions(token, charger_id=charger_id, since=since)
        except JouloTokenRejected:
            raise
        except JouloError as err:
            self._observer.joulo_failed(err)
            if charger_id is None:
                log.info("session history not available: %s", err)
            else:
                log.info("final figures for charger %s not available yet: %s", charger_id, err)
            return None

    async def _finalize(
        self,
        token: str,
        pending: list[PendingEnd],
        running: list[LiveSession],
        now: datetime,
        history: list[Session] | None = None,
    ) -> dict[str, SessionFinished]:
        """Announce ended sessions with `/sessions`' final figures (or, late, the last ones).

        Returns the announcements by the pending `session_id` they resolve. A charger's ends
        are looked up in the catch-up `history` when it holds a record of each, else fetched.
        """
        by_charger: dict[str, list[PendingEnd]] = defaultdict(list)
        for item in pending:
            by_charger[item.charger_id].append(item)
        finished: dict[str, SessionFinished] = {}
        for charger_id, items in by_charger.items():
            busy = [s for s in running if s.charger_id == charger_id]
            sessions: list[Session] | None
            covered = match_records([*items, *busy], history or ())
            if history is not None and all(item.session_id in covered for item in items):
                sessions = history
            else:
                # since the oldest pending start: its record may start a little earlier
                since = min(p.started_at for p in items) - SAME_START
                sessions = await self._history(token, since, charger_id=charger_id)
            finished |= finalize(
                items, sessions, now=now, max_wait=FINAL_FIGURES_WAIT, running=busy
            )
        return finished
