"""ERE credits Joulo fills in only after a session's end: when to ask again, and what changes.

A "finished" message whose credits were still null is awaited (`awaits_credits`; the store
keeps the list). The poller asks `/sessions` again at most every `RECHECK` per account, one
request for all of an account's awaited sessions, and for at most `WAIT` after a session's
end. When a record shows the credits, the session is credited once: its "finished" message is
edited in every chat that got it. Pure: `now` is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from bot.core.diff import match_records
from bot.core.events import Event, SessionCredited, SessionFinished
from bot.joulo.models import Session

#: An account's awaited credits are asked for at most this often.
RECHECK: Final = timedelta(minutes=5)
#: Credits are awaited this long after a session's end, then given up.
WAIT: Final = timedelta(days=1)


@dataclass(frozen=True)
class Awaited:
    """A "finished" announcement sent without credits, and when they were last asked for."""

    finished: SessionFinished
    checked_at: datetime


@dataclass(frozen=True)
class CreditNews:
    """What one look at `/sessions` settles: sessions credited, and keys no longer awaited."""

    credited: list[SessionCredited] = field(default_factory=list)
    #: Keys of "finished" events to stop awaiting (credited, never to be, or waited too long).
    settled: list[str] = field(default_factory=list)


def awaits_credits(event: Event) -> bool:
    """Whether an announcement waits for credits: a "finished" one whose credits were null."""
    return isinstance(event, SessionFinished) and event.ere_credits is None


def check_due(awaited: Iterable[Awaited], now: datetime) -> bool:
    """Whether the account's awaited credits should be asked for at `now`."""
    return any(now - item.checked_at >= RECHECK for item in awaited)


def credit_news(
    awaited: Sequence[Awaited], records: Sequence[Session] | None, *, now: datetime
) -> CreditNews:
    """Credit the awaited sessions whose `/sessions` record now has credits.

    `records` is None when `/sessions` could not be read: then only the waiting that is over
    is settled. A record is found by `match_records` (its id, or the same charger and a start
    within two minutes). A session announced with its last measured figures (not `final`) is
    credited with the record's final figures too. A record that does not count for ERE never
    gets credits, so it is not awaited any longer.
    """
    found = match_records([a.finished for a in awaited], records or ())
    news = CreditNews()
    for item in awaited:
        finished = item.finished
        record = found.get(finished.session_id)
        if record is not None and record.ended_at is not None and record.ere_credits is not None:
            update: dict[str, object] = {"ere_credits": record.ere_credits}
            if not finished.final:
                update |= {"kwh": record.kwh, "ended_at": record.ended_at, "final": True}
            news.credited.append(
                SessionCredited(
                    charger_id=finished.charger_id,
                    session_id=finished.session_id,
                    finished=finished.model_copy(update=update),
                )
            )
            news.settled.append(finished.key)
        elif (record is not None and record.counts_for_ere is False) or (
            now - finished.ended_at >= WAIT
        ):
            news.settled.append(finished.key)
    return news
