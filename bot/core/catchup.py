"""What one successful poll has to tell, once the diff is known. Pure: no I/O, no clock.

A poll normally reports what `diff` found. After a stretch in which the bot could not watch
an account (it was stopped, or Joulo failed), more is owed: ends and starts observed now are
marked as late, sessions that came and went meanwhile are read from `/sessions`, and what is
older than a day is no longer worth a message. These rules used to live inside the poller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from bot.core.diff import DiffResult, SeenSession, live_sessions, missed_sessions
from bot.core.events import Event, JouloRecovered, SessionFinished, SessionStarted
from bot.core.outgoing import Outgoing, outgoing_all
from bot.core.state import ChargerState, PendingEnd
from bot.joulo.models import Session

#: What happened longer ago than this while the bot was away is not announced any more.
MAX_CATCH_UP_AGE: Final = timedelta(hours=24)
#: `/sessions` is read from a little before the last successful poll, to miss nothing.
HISTORY_MARGIN: Final = timedelta(minutes=5)


def away_since(
    *,
    last_success_at: datetime | None,
    failing_since: datetime | None,
    bot_started_at: datetime,
    now: datetime,
    poll_interval: float,
) -> datetime | None:
    """Since when `/sessions` must be read because the bot could not watch, or None.

    That is the first poll after a restart, or the first success after failed polls, when
    more than two poll intervals have passed since the last successful poll.
    """
    last = last_success_at
    if last is None or now - last <= timedelta(seconds=2 * poll_interval):
        return None
    if last < bot_started_at or failing_since is not None:
        return last - HISTORY_MARGIN
    return None


def mark_while_away(result: DiffResult, now: datetime) -> DiffResult:
    """After a stretch away: ends and starts are reported late; day-old starts are dropped."""
    events: list[Event] = [
        event.model_copy(update={"while_away": True})
        if isinstance(event, SessionStarted)
        else event
        for event in result.events
        if not (isinstance(event, SessionStarted) and event.started_at < now - MAX_CATCH_UP_AGE)
    ]
    ended = [p.model_copy(update={"while_away": True}) for p in result.ended]
    return replace(result, events=events, ended=ended)


@dataclass(frozen=True)
class PollNews:
    """What a poll records besides the chargers' new state."""

    events: list[Event]
    #: Ended sessions still waiting for their final figures.
    new_pending: list[PendingEnd]
    #: Ids of pending ends that are announced now.
    resolved: set[str]

    @property
    def outgoing(self) -> list[Outgoing]:
        """The events as the store records them: with recipients and awaited credits."""
        return outgoing_all(self.events)

    @property
    def quiet(self) -> bool:
        """Nothing to announce and no pending end changed: only the chargers' state is new."""
        return not self.events and not self.new_pending and not self.resolved


def poll_news(
    *,
    result: DiffResult,
    previous: Mapping[str, ChargerState],
    stored_pending: Sequence[PendingEnd],
    finished: Mapping[str, SessionFinished],
    history: Sequence[Session] | None,
    since: datetime | None,
    recovered: JouloRecovered | None,
    now: datetime,
) -> PollNews:
    """Everything to announce, oldest news first: recovery, missed sessions, ends, the rest.

    `finished` are the announcements of pending ends whose figures are final (or overdue), by
    the pending `session_id` they resolve (a final one carries `/sessions`' id, which may
    differ); `history` is `/sessions` since `since` when the bot was away (None if not, or
    unreadable). A session the bot saw is not missed, under whatever id `/sessions` shows it.
    """
    resolved = set(finished)
    catch_up: list[SessionFinished] = []
    if since is not None:
        known: list[SeenSession] = [*stored_pending, *result.ended]
        known += [*live_sessions(previous), *live_sessions(result.states)]
        catch_up = missed_sessions(
            history or [],
            known=known,
            names={cid: state.name for cid, state in result.states.items()},
            since=since,
            now=now,
            max_age=MAX_CATCH_UP_AGE,
        )
    fresh = [e for e in finished.values() if e.ended_at >= now - MAX_CATCH_UP_AGE]
    events: list[Event] = [*([recovered] if recovered else []), *catch_up, *fresh, *result.events]
    return PollNews(
        events=events,
        new_pending=[p for p in result.ended if p.session_id not in resolved],
        resolved=resolved,
    )
