"""What the store is told to write with an event: who receives it, and what it waits for.

Pins down the rules that used to live inside the store: account trouble reaches the owner
alone, everything else every subscribed group too; a "finished" message whose credits were
null is awaited, nothing else is; and which change of a charger's state is only a new time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.catchup import PollNews
from bot.core.events import (
    Event,
    GroupLost,
    JouloRecovered,
    JouloUnreachable,
    SessionFinished,
    SessionStarted,
    TokenRejected,
)
from bot.core.outgoing import Outgoing, outgoing
from bot.core.state import ChargerState, SessionState, changed_only_in_time

NOW = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)


def finished(credits: float | None) -> SessionFinished:
    """A finished session announced with `credits`."""
    return SessionFinished(
        charger_id="c1",
        charger_name="Garage",
        session_id="s1",
        started_at=NOW - timedelta(hours=2),
        ended_at=NOW,
        kwh=7.4,
        ere_credits=credits,
    )


STARTED = SessionStarted(charger_id="c1", charger_name="Garage", session_id="s1", started_at=NOW)


@pytest.mark.parametrize(
    "event",
    [
        TokenRejected(link_seq=1, at=NOW),
        JouloUnreachable(since=NOW),
        JouloRecovered(since=NOW, at=NOW),
        GroupLost(chat_id=-100, title="Family", at=NOW),
    ],
)
def test_account_trouble_goes_to_the_owner_alone(event: Event) -> None:
    assert outgoing(event) == Outgoing(event, "owner", awaits_credits=False)


def test_a_start_goes_to_everyone_and_awaits_nothing() -> None:
    assert outgoing(STARTED) == Outgoing(STARTED, "everyone", awaits_credits=False)


def test_a_finish_without_credits_awaits_them_and_one_with_credits_does_not() -> None:
    assert outgoing(finished(None)).awaits_credits is True
    assert outgoing(finished(0.0)).awaits_credits is False
    assert outgoing(finished(2.44)).recipients == "everyone"


def test_poll_news_carries_its_events_as_outgoing_and_says_when_it_is_quiet() -> None:
    news = PollNews(events=[STARTED, finished(None)], new_pending=[], resolved=set())

    assert news.outgoing == [outgoing(STARTED), outgoing(finished(None))]
    assert news.quiet is False
    assert PollNews(events=[], new_pending=[], resolved=set()).quiet is True
    assert PollNews(events=[], new_pending=[], resolved={"s0"}).quiet is False


def charger(*, at: datetime, status: str = "online", kwh: float | None = None) -> ChargerState:
    """Charger c1 observed at `at` (with a running session of `kwh` if given)."""
    session = None if kwh is None else SessionState(id="s1", started_at=NOW, kwh=kwh)
    return ChargerState(
        charger_id="c1",
        name="Garage",
        status=status,
        online=True,
        is_charging=session is not None,
        session=session,
        observed_at=at,
    )


def test_an_idle_charger_seen_again_changed_only_in_time() -> None:
    later = NOW + timedelta(seconds=30)
    assert changed_only_in_time({"c1": charger(at=NOW)}, {"c1": charger(at=later)}) is True


def test_a_new_status_a_new_charger_or_a_running_session_is_a_change() -> None:
    later = NOW + timedelta(seconds=30)
    before = {"c1": charger(at=NOW)}
    assert changed_only_in_time(before, {"c1": charger(at=later, status="available")}) is False
    assert changed_only_in_time(before, {}) is False
    running = {"c1": charger(at=NOW, kwh=1.0)}
    assert changed_only_in_time(running, {"c1": charger(at=later, kwh=1.0)}) is False
